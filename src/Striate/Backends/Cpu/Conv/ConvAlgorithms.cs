namespace Striate.Backends.Cpu;

/// <summary>
/// Which convolution algorithms the CPU backend may choose; every one is on by default, and each off falls back to
/// im2col + GEMM. A setting of a backend instance (<see cref="CpuBackend.Algorithms"/>), passed down to the kernels, so
/// two backends (or a test and the library) can differ without a global switch.
/// </summary>
/// <param name="Winograd">3x3 stride-1 convolutions with enough channels use Winograd's F(2x2, 3x3) for the forward
/// pass, the input gradient and (F(3x3, 2x2)) the weight gradient (<see cref="WinogradKernels"/>).</param>
/// <param name="Winograd4x4">With <paramref name="Winograd"/>, the forward pass on wide maps (at least 24x24 outputs)
/// uses F(4x4, 3x3), with 4x fewer multiplications than the direct sum rather than 2.25x; its rounding error is larger
/// (about 1e-5 of the output's largest magnitude against 1e-6) but far below 1e-4.</param>
/// <param name="Direct">The forward pass and the weight gradient of small ungrouped stride-1 layers (at most 16 output
/// channels, a short reduction) run the direct kernels (<see cref="DirectConvKernels"/>).</param>
public sealed record ConvAlgorithms(bool Winograd = true, bool Winograd4x4 = true, bool Direct = true)
{
    /// <summary>Every algorithm allowed: what the library runs.</summary>
    public static ConvAlgorithms All { get; } = new();

    /// <summary>im2col + GEMM (or a depthwise kernel) only: the general path, for comparisons.</summary>
    public static ConvAlgorithms Im2ColOnly { get; } = new(false, false, false);
}
