using System.Buffers;

namespace Striate.Backends.Cpu;

/// <summary>
/// 2-D convolution (cross-correlation, as in every CNN framework) by im2col and GEMM. Per image and group:
/// Y_g [OCg, OH*OW] = W_g [OCg, K] x cols [K, OH*OW], with K = (C/G)*KH*KW. A 1x1, stride-1, unpadded
/// convolution multiplies the input directly.
/// </summary>
public static class ConvKernels
{
    // x: [N, C, H, W]; w: [OC, C/G, KH, KW]; bias: [OC] or empty; y: [N, OC, OH, OW].
    public static void Forward(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y)
    {
        CheckLengths(g, x.Length, w.Length, y.Length, "Forward");
        int k = g.ColRows, hw = g.ColCols, ocg = g.OutChannelsPerGroup, inPlane = g.InChannels * g.InHeight * g.InWidth;
        int outPlane = g.OutChannels * hw;
        bool direct = IsPointwise(g);
        float[]? cols = direct ? null : ArrayPool<float>.Shared.Rent(k * hw);
        try
        {
            for (int n = 0; n < g.Batch; n++)
            {
                var img = x.Slice(n * inPlane, inPlane);
                var yImg = y.Slice(n * outPlane, outPlane);
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    ReadOnlySpan<float> b;
                    if (direct)
                    {
                        b = img.Slice(grp * k * hw, k * hw);
                    }
                    else
                    {
                        Im2Col.Pack(g, img, grp, cols.AsSpan(0, k * hw));
                        b = cols.AsSpan(0, k * hw);
                    }
                    Gemm.Sgemm(false, false, ocg, hw, k, 1f, w.Slice(grp * ocg * k, ocg * k), k, b, hw, 0f, yImg.Slice(grp * ocg * hw, ocg * hw), hw);
                }
                if (!bias.IsEmpty)
                    for (int oc = 0; oc < g.OutChannels; oc++)
                    {
                        var plane = yImg.Slice(oc * hw, hw);
                        TensorPrimitives.Add(plane, bias[oc], plane);
                    }
            }
        }
        finally
        {
            if (cols is not null) ArrayPool<float>.Shared.Return(cols);
        }
    }

    // dy: [N, OC, OH, OW]; w: [OC, C/G, KH, KW]; dx: [N, C, H, W] (overwritten).
    public static void BackwardData(in Conv2dGeometry g, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx)
    {
        CheckLengths(g, dx.Length, w.Length, dy.Length, "BackwardData");
        int k = g.ColRows, hw = g.ColCols, ocg = g.OutChannelsPerGroup, inPlane = g.InChannels * g.InHeight * g.InWidth;
        int outPlane = g.OutChannels * hw;
        bool direct = IsPointwise(g);
        float[]? cols = direct ? null : ArrayPool<float>.Shared.Rent(k * hw);
        try
        {
            for (int n = 0; n < g.Batch; n++)
            {
                var dImg = dx.Slice(n * inPlane, inPlane);
                var dyImg = dy.Slice(n * outPlane, outPlane);
                if (!direct) dImg.Clear();
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    var wg = w.Slice(grp * ocg * k, ocg * k);
                    var dyg = dyImg.Slice(grp * ocg * hw, ocg * hw);
                    if (direct)
                    {
                        Gemm.Sgemm(true, false, k, hw, ocg, 1f, wg, k, dyg, hw, 0f, dImg.Slice(grp * k * hw, k * hw), hw);
                    }
                    else
                    {
                        var c = cols.AsSpan(0, k * hw);
                        Gemm.Sgemm(true, false, k, hw, ocg, 1f, wg, k, dyg, hw, 0f, c, hw);
                        Im2Col.Unpack(g, c, grp, dImg);
                    }
                }
            }
        }
        finally
        {
            if (cols is not null) ArrayPool<float>.Shared.Return(cols);
        }
    }

    // x: [N, C, H, W]; dy: [N, OC, OH, OW]; dw: [OC, C/G, KH, KW] and dbias: [OC] or empty (both overwritten).
    // Images are summed in order 0..N-1 so the result does not depend on the thread count.
    public static void BackwardWeight(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, Span<float> dbias)
    {
        CheckLengths(g, x.Length, dw.Length, dy.Length, "BackwardWeight");
        int k = g.ColRows, hw = g.ColCols, ocg = g.OutChannelsPerGroup, inPlane = g.InChannels * g.InHeight * g.InWidth;
        int outPlane = g.OutChannels * hw;
        bool direct = IsPointwise(g);
        float[]? cols = direct ? null : ArrayPool<float>.Shared.Rent(k * hw);
        try
        {
            for (int n = 0; n < g.Batch; n++)
            {
                var img = x.Slice(n * inPlane, inPlane);
                var dyImg = dy.Slice(n * outPlane, outPlane);
                float beta = n == 0 ? 0f : 1f;
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    ReadOnlySpan<float> b;
                    if (direct)
                    {
                        b = img.Slice(grp * k * hw, k * hw);
                    }
                    else
                    {
                        Im2Col.Pack(g, img, grp, cols.AsSpan(0, k * hw));
                        b = cols.AsSpan(0, k * hw);
                    }
                    Gemm.Sgemm(false, true, ocg, k, hw, 1f, dyImg.Slice(grp * ocg * hw, ocg * hw), hw, b, hw, beta, dw.Slice(grp * ocg * k, ocg * k), k);
                }
            }
            if (g.Batch == 0) dw.Clear();
            if (!dbias.IsEmpty)
            {
                dbias.Clear();
                for (int n = 0; n < g.Batch; n++)
                    for (int oc = 0; oc < g.OutChannels; oc++)
                        dbias[oc] += TensorPrimitives.Sum(dy.Slice(n * outPlane + oc * hw, hw));
            }
        }
        finally
        {
            if (cols is not null) ArrayPool<float>.Shared.Return(cols);
        }
    }

    private static bool IsPointwise(in Conv2dGeometry g) =>
        g.KernelHeight == 1 && g.KernelWidth == 1 && g.StrideH == 1 && g.StrideW == 1 &&
        g.PadTop == 0 && g.PadBottom == 0 && g.PadLeft == 0 && g.PadRight == 0;

    private static void CheckLengths(in Conv2dGeometry g, int xLen, int wLen, int yLen, string what)
    {
        long xs = (long)g.Batch * g.InChannels * g.InHeight * g.InWidth;
        long ws = (long)g.OutChannels * g.InChannelsPerGroup * g.KernelHeight * g.KernelWidth;
        long ys = (long)g.Batch * g.OutChannels * g.OutHeight * g.OutWidth;
        if (xLen < xs || wLen < ws || yLen < ys)
            throw new ArgumentException($"ConvKernels.{what}: buffers too small for {g} (input {xLen}/{xs}, weight {wLen}/{ws}, output {yLen}/{ys}).");
    }
}
