namespace Striate.Backends.Cpu;

/// <summary>
/// Image-to-column packing for convolution as matrix multiply, and its adjoint. Row r = (c, ki, kj) of the
/// column matrix holds, for every output position, the input pixel that kernel tap (ki, kj) of channel c sees.
/// </summary>
public static class Im2Col
{
    // image: [C, H, W] of one image; cols: [(C/G)*KH*KW, OH*OW] for group g. Zero outside the padded input.
    public static void Pack(in Conv2dGeometry geo, ReadOnlySpan<float> image, int group, Span<float> cols)
    {
        int cpg = geo.InChannelsPerGroup, oh = geo.OutHeight, ow = geo.OutWidth, h = geo.InHeight, w = geo.InWidth;
        CheckLengths(geo, image.Length, cols.Length, "Pack");
        int row = 0;
        for (int c = 0; c < cpg; c++)
        {
            var plane = image.Slice((group * cpg + c) * h * w, h * w);
            for (int ki = 0; ki < geo.KernelHeight; ki++)
                for (int kj = 0; kj < geo.KernelWidth; kj++, row++)
                {
                    var dst = cols.Slice(row * oh * ow, oh * ow);
                    int xOff = kj * geo.DilationW - geo.PadLeft;
                    // Output columns whose input column lies inside the image: x0 <= x < x1.
                    int x0 = Math.Clamp(CeilDiv(-xOff, geo.StrideW), 0, ow);
                    int x1 = Math.Clamp(CeilDiv(w - xOff, geo.StrideW), x0, ow);
                    for (int y = 0; y < oh; y++)
                    {
                        var d = dst.Slice(y * ow, ow);
                        int iy = y * geo.StrideH - geo.PadTop + ki * geo.DilationH;
                        if ((uint)iy >= (uint)h)
                        {
                            d.Clear();
                            continue;
                        }
                        d[..x0].Clear();
                        d[x1..].Clear();
                        if (x1 == x0) continue; // the tap sees only padding in this row
                        var src = plane.Slice(iy * w, w);
                        if (geo.StrideW == 1)
                        {
                            src.Slice(x0 + xOff, x1 - x0).CopyTo(d[x0..x1]);
                        }
                        else
                        {
                            for (int x = x0; x < x1; x++) d[x] = src[x * geo.StrideW + xOff];
                        }
                    }
                }
        }
    }

    // The adjoint of Pack: accumulates (+=) cols back into dImage [C, H, W] for that group's channels.
    public static void Unpack(in Conv2dGeometry geo, ReadOnlySpan<float> cols, int group, Span<float> dImage)
    {
        int cpg = geo.InChannelsPerGroup, oh = geo.OutHeight, ow = geo.OutWidth, h = geo.InHeight, w = geo.InWidth;
        CheckLengths(geo, dImage.Length, cols.Length, "Unpack");
        int row = 0;
        for (int c = 0; c < cpg; c++)
        {
            var plane = dImage.Slice((group * cpg + c) * h * w, h * w);
            for (int ki = 0; ki < geo.KernelHeight; ki++)
                for (int kj = 0; kj < geo.KernelWidth; kj++, row++)
                {
                    var src = cols.Slice(row * oh * ow, oh * ow);
                    int xOff = kj * geo.DilationW - geo.PadLeft;
                    int x0 = Math.Clamp(CeilDiv(-xOff, geo.StrideW), 0, ow);
                    int x1 = Math.Clamp(CeilDiv(w - xOff, geo.StrideW), x0, ow);
                    for (int y = 0; y < oh; y++)
                    {
                        int iy = y * geo.StrideH - geo.PadTop + ki * geo.DilationH;
                        if ((uint)iy >= (uint)h || x1 == x0) continue;
                        var s = src.Slice(y * ow, ow);
                        var dst = plane.Slice(iy * w, w);
                        if (geo.StrideW == 1)
                        {
                            var seg = dst.Slice(x0 + xOff, x1 - x0);
                            TensorPrimitives.Add(seg, s[x0..x1], seg);
                        }
                        else
                        {
                            for (int x = x0; x < x1; x++) dst[x * geo.StrideW + xOff] += s[x];
                        }
                    }
                }
        }
    }

    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);

    private static void CheckLengths(in Conv2dGeometry geo, int imageLength, int colsLength, string what)
    {
        long image = (long)geo.InChannels * geo.InHeight * geo.InWidth;
        long cols = (long)geo.ColRows * geo.ColCols;
        if (imageLength < image || colsLength < cols)
            throw new ArgumentException($"Im2Col.{what}: image has {imageLength} of {image} values, columns {colsLength} of {cols}.");
    }
}
