namespace Striate.Backends.Cpu;

/// <summary>Image-to-column packing for convolution as matrix multiply (simple version).</summary>
public static class Im2Col
{
    // x: [C, H, W] of one image; cols: [(C/G)*KH*KW, OutH*OutW] for group g. Zero outside the padded input.
    public static void Pack(in Conv2dGeometry geo, ReadOnlySpan<float> image, int group, Span<float> cols)
    {
        int cpg = geo.InChannelsPerGroup, oh = geo.OutHeight, ow = geo.OutWidth;
        int row = 0;
        for (int c = 0; c < cpg; c++)
        {
            int ch = group * cpg + c;
            for (int ki = 0; ki < geo.KernelHeight; ki++)
            for (int kj = 0; kj < geo.KernelWidth; kj++, row++)
            {
                var dst = cols.Slice(row * oh * ow, oh * ow);
                for (int y = 0; y < oh; y++)
                {
                    int iy = y * geo.StrideH - geo.PadTop + ki * geo.DilationH;
                    for (int x = 0; x < ow; x++)
                    {
                        int ix = x * geo.StrideW - geo.PadLeft + kj * geo.DilationW;
                        dst[y * ow + x] = (uint)iy < (uint)geo.InHeight && (uint)ix < (uint)geo.InWidth
                            ? image[(ch * geo.InHeight + iy) * geo.InWidth + ix] : 0f;
                    }
                }
            }
        }
    }

    // the adjoint of Pack: accumulates (+=) cols back into dImage [C, H, W] for that group's channels.
    public static void Unpack(in Conv2dGeometry geo, ReadOnlySpan<float> cols, int group, Span<float> dImage)
    {
        int cpg = geo.InChannelsPerGroup, oh = geo.OutHeight, ow = geo.OutWidth;
        int row = 0;
        for (int c = 0; c < cpg; c++)
        {
            int ch = group * cpg + c;
            for (int ki = 0; ki < geo.KernelHeight; ki++)
            for (int kj = 0; kj < geo.KernelWidth; kj++, row++)
            {
                var src = cols.Slice(row * oh * ow, oh * ow);
                for (int y = 0; y < oh; y++)
                {
                    int iy = y * geo.StrideH - geo.PadTop + ki * geo.DilationH;
                    if ((uint)iy >= (uint)geo.InHeight) continue;
                    for (int x = 0; x < ow; x++)
                    {
                        int ix = x * geo.StrideW - geo.PadLeft + kj * geo.DilationW;
                        if ((uint)ix < (uint)geo.InWidth)
                            dImage[(ch * geo.InHeight + iy) * geo.InWidth + ix] += src[y * ow + x];
                    }
                }
            }
        }
    }
}
