namespace Striate.Backends.Cpu;

/// <summary>
/// The CPU backend's derived weights: the Winograd transform of 3x3 weights, <see cref="Matrices"/> (16 for F(2x2, 3x3),
/// 36 for F(4x4, 3x3)) x out x in floats.
/// </summary>
public sealed class WinogradWeights(int matrices, int outChannels, int inChannels, float[] u) : DerivedWeights
{
    public int Matrices { get; } = matrices;
    public int OutChannels { get; } = outChannels;
    public int InChannels { get; } = inChannels;

    /// <summary>The transformed weights, matrix-major.</summary>
    public float[] U { get; } = u;

    public override long Bytes => (long)U.Length * sizeof(float);

    /// <summary>True when this transform is of the given size.</summary>
    public bool Fits(int matrices, int outChannels, int inChannels) =>
        Matrices == matrices && OutChannels == outChannels && InChannels == inChannels;
}
