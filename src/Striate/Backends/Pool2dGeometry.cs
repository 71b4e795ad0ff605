namespace Striate.Backends;

/// <summary>
/// The shape arithmetic of 2-D max or average pooling over NCHW planes, the one place the pooling
/// output-size formula lives: out = floor_or_ceil((in + 2 * pad - dilation * (k - 1) - 1) / stride) + 1, where
/// with ceil mode the last window must still start inside the input or the left padding.
/// </summary>
public readonly record struct Pool2dGeometry(
    int Batch, int Channels, int InHeight, int InWidth,
    int KernelHeight, int KernelWidth, int StrideH, int StrideW,
    int PadH, int PadW, int DilationH, int DilationW, bool CeilMode, bool CountIncludePad)
{
    public int OutHeight => OutputSize(InHeight, KernelHeight, StrideH, PadH, DilationH, CeilMode);
    public int OutWidth => OutputSize(InWidth, KernelWidth, StrideW, PadW, DilationW, CeilMode);
    public int Planes => Batch * Channels;

    /// <summary>Values of the input [N, C, H, W].</summary>
    public long InputLength => (long)Planes * InHeight * InWidth;

    /// <summary>Values of the output (and of max pooling's argmax) [N, C, OH, OW].</summary>
    public long OutputLength => (long)Planes * Math.Max(OutHeight, 0) * Math.Max(OutWidth, 0);

    public static int OutputSize(int n, int k, int stride, int pad, int dilation, bool ceilMode)
    {
        long span = (long)n + 2 * pad - (long)dilation * (k - 1) - 1;
        long o = (ceilMode ? CeilDiv(span, stride) : FloorDiv(span, stride)) + 1;
        // PyTorch: in ceil mode the last window must start inside the input or the left padding.
        if (ceilMode && (o - 1) * stride >= n + pad) o--;
        return (int)o;
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    private static long CeilDiv(long a, long b) => a >= 0 ? (a + b - 1) / b : -(-a / b);
}
