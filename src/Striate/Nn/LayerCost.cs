namespace Striate.Nn;

/// <summary>
/// What a layer costs per image, for summaries: multiply-accumulates, the sliding window it applies (for
/// receptive fields and strides that do not tile), and whether its output may overwrite its input.
/// </summary>
public readonly record struct LayerCost(long MultiplyAccumulates, LayerWindow? Window = null, bool InPlace = false);

/// <summary>
/// A convolution or pooling window: kernel, stride, dilation and total padding per axis, and ceil mode; for a
/// transposed convolution (<see cref="Transposed"/>) the stride upsamples: each output pixel sees ceil(kernel / stride)
/// input pixels a side, and the jump between output pixels is the input's divided by the stride.
/// </summary>
public readonly record struct LayerWindow(int KernelH, int KernelW, int StrideH, int StrideW, int DilationH, int DilationW,
    int PadH, int PadW, bool CeilMode = false, bool Transposed = false);
