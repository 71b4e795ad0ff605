using System.Buffers;

namespace Striate.Backends.Cpu;

/// <summary>
/// 2-D convolution (cross-correlation, as in every CNN framework) by im2col and GEMM. Per image and group:
/// Y_g [OCg, OH*OW] = W_g [OCg, K] x cols [K, OH*OW], with K = (C/G)*KH*KW. A 1x1, stride-1, unpadded
/// convolution multiplies the input directly.
/// </summary>
/// <remarks>
/// Threads: when one image's product is small, images are spread over the threads (each running a
/// single-threaded GEMM); when it is large, images go one by one and the GEMM uses the threads. The weight
/// gradient sums over images in fixed blocks whose partial sums are added in block order, so the bits do not
/// depend on the thread count. The choice depends on the shapes only.
/// </remarks>
public static unsafe class ConvKernels
{
    /// <summary>Multiply-adds per image above which the GEMM, not the batch, is split over threads.</summary>
    private const long LargeImage = 8L << 20;

    /// <summary>Fixed number of partial weight gradients for small layers (a cap; fewer with a small batch).</summary>
    private const int WeightBlocks = 8;

    private static long ImageWork(in Conv2dGeometry g) => (long)g.OutChannels * g.ColRows * g.ColCols;

    private static bool SplitBatch(in Conv2dGeometry g) => g.Batch > 1 && ImageWork(g) < LargeImage;

    // x: [N, C, H, W]; w: [OC, C/G, KH, KW]; bias: [OC] or empty; y: [N, OC, OH, OW].
    public static void Forward(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y)
    {
        CheckLengths(g, x.Length, w.Length, y.Length, "Forward");
        if (g.Batch == 0) return;
        var geo = g;
        fixed (float* px = x, pw = w, pb = bias, py = y)
        {
            nint ax = (nint)px, aw = (nint)pw, ab = (nint)pb, ay = (nint)py;
            int biasLen = bias.Length;
            ForImages(geo, (first, end, gemmThreads) =>
            {
                var cols = RentCols(geo);
                try
                {
                    for (int n = first; n < end; n++)
                        ForwardImage(geo, n, new ReadOnlySpan<float>((void*)ax, geo.Batch * InPlane(geo)), new ReadOnlySpan<float>((void*)aw, WeightLength(geo)),
                            new ReadOnlySpan<float>((void*)ab, biasLen), new Span<float>((void*)ay, geo.Batch * OutPlane(geo)), cols, gemmThreads);
                }
                finally
                {
                    ReturnCols(cols);
                }
            });
        }
    }

    private static void ForwardImage(in Conv2dGeometry g, int n, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, float[]? cols, int threads)
    {
        int k = g.ColRows, hw = g.ColCols, ocg = g.OutChannelsPerGroup;
        var img = x.Slice(n * InPlane(g), InPlane(g));
        var yImg = y.Slice(n * OutPlane(g), OutPlane(g));
        for (int grp = 0; grp < g.Groups; grp++)
        {
            var b = Columns(g, img, grp, cols);
            Gemm.Sgemm(Gemm.DefaultKernel, threads, false, false, ocg, hw, k, 1f, w.Slice(grp * ocg * k, ocg * k), k, b, hw, 0f, yImg.Slice(grp * ocg * hw, ocg * hw), hw);
        }
        if (!bias.IsEmpty)
            for (int oc = 0; oc < g.OutChannels; oc++)
            {
                var plane = yImg.Slice(oc * hw, hw);
                TensorPrimitives.Add(plane, bias[oc], plane);
            }
    }

    // dy: [N, OC, OH, OW]; w: [OC, C/G, KH, KW]; dx: [N, C, H, W] (overwritten).
    public static void BackwardData(in Conv2dGeometry g, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx)
    {
        CheckLengths(g, dx.Length, w.Length, dy.Length, "BackwardData");
        if (g.Batch == 0) return;
        var geo = g;
        fixed (float* pdy = dy, pw = w, pdx = dx)
        {
            nint ady = (nint)pdy, aw = (nint)pw, adx = (nint)pdx;
            ForImages(geo, (first, end, gemmThreads) =>
            {
                var cols = RentCols(geo);
                try
                {
                    var dyAll = new ReadOnlySpan<float>((void*)ady, geo.Batch * OutPlane(geo));
                    var wAll = new ReadOnlySpan<float>((void*)aw, WeightLength(geo));
                    var dxAll = new Span<float>((void*)adx, geo.Batch * InPlane(geo));
                    int k = geo.ColRows, hw = geo.ColCols, ocg = geo.OutChannelsPerGroup;
                    for (int n = first; n < end; n++)
                    {
                        var dImg = dxAll.Slice(n * InPlane(geo), InPlane(geo));
                        var dyImg = dyAll.Slice(n * OutPlane(geo), OutPlane(geo));
                        if (cols is not null) dImg.Clear();
                        for (int grp = 0; grp < geo.Groups; grp++)
                        {
                            var wg = wAll.Slice(grp * ocg * k, ocg * k);
                            var dyg = dyImg.Slice(grp * ocg * hw, ocg * hw);
                            if (cols is null)
                            {
                                Gemm.Sgemm(Gemm.DefaultKernel, gemmThreads, true, false, k, hw, ocg, 1f, wg, k, dyg, hw, 0f, dImg.Slice(grp * k * hw, k * hw), hw);
                            }
                            else
                            {
                                var c = cols.AsSpan(0, k * hw);
                                Gemm.Sgemm(Gemm.DefaultKernel, gemmThreads, true, false, k, hw, ocg, 1f, wg, k, dyg, hw, 0f, c, hw);
                                Im2Col.Unpack(geo, c, grp, dImg);
                            }
                        }
                    }
                }
                finally
                {
                    ReturnCols(cols);
                }
            });
        }
    }

    // x: [N, C, H, W]; dy: [N, OC, OH, OW]; dw: [OC, C/G, KH, KW] and dbias: [OC] or empty (both overwritten).
    public static void BackwardWeight(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, Span<float> dbias)
    {
        CheckLengths(g, x.Length, dw.Length, dy.Length, "BackwardWeight");
        int wl = WeightLength(g);
        if (!dbias.IsEmpty)
        {
            // Per channel, images in order: a fixed summation order.
            dbias.Clear();
            int hw = g.ColCols;
            for (int n = 0; n < g.Batch; n++)
                for (int oc = 0; oc < g.OutChannels; oc++)
                    dbias[oc] += TensorPrimitives.Sum(dy.Slice(n * OutPlane(g) + oc * hw, hw));
        }
        if (g.Batch == 0)
        {
            dw.Slice(0, wl).Clear();
            return;
        }
        var geo = g;
        int blocks = SplitBatch(g) ? Math.Min(WeightBlocks, g.Batch) : 1;
        float[]? partials = blocks > 1 ? ArrayPool<float>.Shared.Rent((blocks - 1) * wl) : null;
        try
        {
            fixed (float* px = x, pdy = dy, pdw = dw, ppart = partials)
            {
                nint ax = (nint)px, ady = (nint)pdy, adw = (nint)pdw, apart = (nint)ppart;
                int threads = Math.Min(Parallelism.Threads, blocks);
                int gemmThreads = blocks > 1 ? 1 : Parallelism.Threads;
                // Block j covers images [j*N/B, (j+1)*N/B); block 0 writes dw itself, the others their partial.
                Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, j =>
                {
                    var cols = RentCols(geo);
                    try
                    {
                        var xAll = new ReadOnlySpan<float>((void*)ax, geo.Batch * InPlane(geo));
                        var dyAll = new ReadOnlySpan<float>((void*)ady, geo.Batch * OutPlane(geo));
                        var target = j == 0 ? new Span<float>((void*)adw, wl) : new Span<float>((void*)(apart + (nint)((long)(j - 1) * wl * sizeof(float))), wl);
                        int first = (int)((long)j * geo.Batch / blocks), end = (int)((long)(j + 1) * geo.Batch / blocks);
                        int k = geo.ColRows, hw = geo.ColCols, ocg = geo.OutChannelsPerGroup;
                        for (int n = first; n < end; n++)
                        {
                            var img = xAll.Slice(n * InPlane(geo), InPlane(geo));
                            var dyImg = dyAll.Slice(n * OutPlane(geo), OutPlane(geo));
                            float beta = n == first ? 0f : 1f;
                            for (int grp = 0; grp < geo.Groups; grp++)
                            {
                                var b = Columns(geo, img, grp, cols);
                                Gemm.Sgemm(Gemm.DefaultKernel, gemmThreads, false, true, ocg, k, hw, 1f, dyImg.Slice(grp * ocg * hw, ocg * hw), hw, b, hw, beta, target.Slice(grp * ocg * k, ocg * k), k);
                            }
                        }
                    }
                    finally
                    {
                        ReturnCols(cols);
                    }
                });
            }
            for (int j = 1; j < blocks; j++)
                TensorPrimitives.Add(dw.Slice(0, wl), partials.AsSpan((j - 1) * wl, wl), dw.Slice(0, wl));
        }
        finally
        {
            if (partials is not null) ArrayPool<float>.Shared.Return(partials);
        }
    }

    /// <summary>Runs <paramref name="body"/>(first, end, gemmThreads) over the images, split as the remarks say.</summary>
    private static void ForImages(in Conv2dGeometry g, Action<int, int, int> body)
    {
        int batch = g.Batch;
        if (!SplitBatch(g) || Parallelism.Threads == 1)
        {
            body(0, batch, Parallelism.Threads);
            return;
        }
        int parts = Math.Min(Parallelism.Threads, batch);
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts },
            t => body((int)((long)t * batch / parts), (int)((long)(t + 1) * batch / parts), 1));
    }

    /// <summary>The [K, OH*OW] matrix of one group: the input itself for a pointwise convolution, else packed into <paramref name="cols"/>.</summary>
    private static ReadOnlySpan<float> Columns(in Conv2dGeometry g, ReadOnlySpan<float> img, int grp, float[]? cols)
    {
        int size = g.ColRows * g.ColCols;
        if (cols is null) return img.Slice(grp * size, size);
        Im2Col.Pack(g, img, grp, cols.AsSpan(0, size));
        return cols.AsSpan(0, size);
    }

    private static int InPlane(in Conv2dGeometry g) => g.InChannels * g.InHeight * g.InWidth;

    private static int OutPlane(in Conv2dGeometry g) => g.OutChannels * g.OutHeight * g.OutWidth;

    private static int WeightLength(in Conv2dGeometry g) => g.OutChannels * g.InChannelsPerGroup * g.KernelHeight * g.KernelWidth;

    private static bool IsPointwise(in Conv2dGeometry g) =>
        g.KernelHeight == 1 && g.KernelWidth == 1 && g.StrideH == 1 && g.StrideW == 1 &&
        g.PadTop == 0 && g.PadBottom == 0 && g.PadLeft == 0 && g.PadRight == 0;

    private static float[]? RentCols(in Conv2dGeometry g) => IsPointwise(g) ? null : ArrayPool<float>.Shared.Rent(g.ColRows * g.ColCols);

    private static void ReturnCols(float[]? cols)
    {
        if (cols is not null) ArrayPool<float>.Shared.Return(cols);
    }

    private static void CheckLengths(in Conv2dGeometry g, int xLen, int wLen, int yLen, string what)
    {
        long xs = (long)g.Batch * g.InChannels * g.InHeight * g.InWidth;
        long ws = (long)g.OutChannels * g.InChannelsPerGroup * g.KernelHeight * g.KernelWidth;
        long ys = (long)g.Batch * g.OutChannels * g.OutHeight * g.OutWidth;
        if (xLen < xs || wLen < ws || yLen < ys)
            throw new ArgumentException($"ConvKernels.{what}: buffers too small for {g} (input {xLen}/{xs}, weight {wLen}/{ws}, output {yLen}/{ys}).");
    }
}
