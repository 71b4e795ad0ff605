namespace Striate.Backends;

/// <summary>
/// The shape arithmetic of one 2-D convolution (NCHW input, [OutC, C/Groups, KH, KW] weight), the one place
/// the output-size formula lives: out = floor((in + padBefore + padAfter - dilation * (k - 1) - 1) / stride) + 1.
/// The bottom and right padding only set the output size (the kernels bound-check every tap), so they may be
/// negative: ConvTranspose2d uses that for an output padding larger than its padding.
/// </summary>
public readonly record struct Conv2dGeometry(
    int Batch, int InChannels, int InHeight, int InWidth,
    int OutChannels, int KernelHeight, int KernelWidth,
    int StrideH, int StrideW,
    int PadTop, int PadBottom, int PadLeft, int PadRight,
    int DilationH, int DilationW, int Groups)
{
    public int OutHeight => OutputSize(InHeight, KernelHeight, StrideH, PadTop + PadBottom, DilationH);
    public int OutWidth => OutputSize(InWidth, KernelWidth, StrideW, PadLeft + PadRight, DilationW);
    public int InChannelsPerGroup => InChannels / Groups;
    public int OutChannelsPerGroup => OutChannels / Groups;

    /// <summary>Rows of the im2col matrix for one group: (C/G) * KH * KW.</summary>
    public int ColRows => InChannelsPerGroup * KernelHeight * KernelWidth;

    /// <summary>Columns of the im2col matrix: OutH * OutW.</summary>
    public int ColCols => OutHeight * OutWidth;

    /// <summary>Values of the input [N, C, H, W].</summary>
    public long InputLength => (long)Batch * InChannels * InHeight * InWidth;

    /// <summary>Values of the weight [OC, C/G, KH, KW].</summary>
    public long WeightLength => (long)OutChannels * InChannelsPerGroup * KernelHeight * KernelWidth;

    /// <summary>Values of the output [N, OC, OH, OW].</summary>
    public long OutputLength => (long)Batch * OutChannels * Math.Max(OutHeight, 0) * Math.Max(OutWidth, 0);

    /// <summary>floor((n + totalPad - dilation * (k - 1) - 1) / stride) + 1; may be below 1 for an invalid layer.</summary>
    public static int OutputSize(int n, int k, int stride, int totalPad, int dilation) =>
        (int)Math.Floor((double)(n + totalPad - dilation * (k - 1) - 1) / stride) + 1;
}
