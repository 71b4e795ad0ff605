using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Striate.Threading;

namespace Striate.Backends.Cpu;

/// <summary>
/// The general path of the convolution: im2col and GEMM. Images are taken in
/// blocks of B; per block and group: Y_g [OCg, B*OH*OW] = W_g [OCg, K] x cols [K, B*OH*OW], with
/// K = (C/G)*KH*KW and the B images' columns side by side. A 1x1, stride-1, unpadded convolution multiplies the
/// input directly (gathered when B > 1).
/// </summary>
/// <remarks>
/// Blocks: a small feature map (the deep layers of a ResNet have 4x4 or 8x8 outputs) would give a GEMM only a
/// few columns, so the micro-kernel would mostly multiply padding and the weights would be re-packed for every
/// image; B images per block bring the product back to at least <see cref="TargetColumns"/> columns.
/// Threads: when a block's column matrix is small, blocks are spread over the threads (each running a
/// single-threaded GEMM); when it is large, blocks go one by one and the GEMM uses the threads. The weight
/// gradient sums over blocks in fixed groups whose partial sums are added in group order. Block size, the choice
/// and the groups depend on the shapes only, so the bits do not depend on the thread count.
/// </remarks>
public static unsafe partial class ConvKernels
{
    /// <summary>Columns per GEMM that a block of images is built to reach.</summary>
    private const int TargetColumns = 256;

    /// <summary>Column-matrix floats per block (4 MB) up to which blocks, not the GEMM, are split over threads.</summary>
    private const long SmallBlock = 1L << 20;

    /// <summary>Column-matrix floats (16 MB) a block of several images may not exceed.</summary>
    private const long LargestBlock = 4L << 20;

    /// <summary>Fixed number of partial weight gradients for small layers (a cap; fewer with few blocks).</summary>
    private const int WeightBlocks = 8;

    /// <summary>Images per column block for this geometry: 1 for large maps, more for small ones (shapes only).</summary>
    internal static int ImagesPerBlock(in Conv2dGeometry g)
    {
        int hw = g.ColCols;
        if (g.Batch <= 1 || hw >= TargetColumns) return 1;
        long perImage = Math.Max(1L, (long)g.ColRows * hw);
        long images = Math.Min((TargetColumns + hw - 1) / hw, Math.Max(1L, LargestBlock / perImage));
        return (int)Math.Min(images, g.Batch);
    }

    /// <summary>
    /// Images per block so that a few blocks (fewer than four per thread) come in a multiple of the thread count:
    /// 16 images in blocks of 6 are 3 blocks, one thread doing two while the other does one; in blocks of 4 they are 4.
    /// </summary>
    internal static int BalancedImages(int batch, int perBlock, int threads)
    {
        int blocks = (batch + perBlock - 1) / perBlock;
        if (threads <= 1 || batch <= 1 || blocks % threads == 0 || blocks >= 4 * threads) return perBlock;
        int wanted = (blocks + threads - 1) / threads * threads;
        return Math.Max(1, (batch + wanted - 1) / wanted);
    }

    // The forward pass by im2col + GEMM per block and group, the output step fused; buffers checked by the caller.
    private static void Im2ColForward(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> residual, bool relu, Span<float> y)
    {
        var plan = new BlockPlan(g, balanced: true);
        fixed (float* px = x, pw = w, pb = bias, pr = residual, py = y)
        {
            var p = new Pointers(px, pw, pb, bias.Length, py, pr, relu);
            ForBlocks(plan, (firstBlock, endBlock, gemmThreads) =>
            {
                var scratch = new Scratch(plan);
                try
                {
                    for (int blk = firstBlock; blk < endBlock; blk++)
                        ForwardBlock(plan, blk, p, scratch, gemmThreads);
                }
                finally
                {
                    scratch.Return();
                }
            });
        }
    }

    private static void ForwardBlock(in BlockPlan plan, int blk, in Pointers p, in Scratch s, int threads)
    {
        ref readonly var g = ref plan.Geometry;
        int k = g.ColRows, hw = g.ColCols, ocg = g.OutChannelsPerGroup;
        int first = plan.First(blk), count = plan.Size(blk), cols = count * hw;
        var x = p.Span0(g.Batch * InPlane(g));
        var w = p.Span1(WeightLength(g));
        var bias = p.Span2();
        var residual = p.Residual(g.Batch * OutPlane(g));
        var y = p.Out(g.Batch * OutPlane(g));
        for (int grp = 0; grp < g.Groups; grp++)
        {
            var b = Columns(g, x, first, count, grp, s.Cols, threads);
            var wg = w.Slice(grp * ocg * k, ocg * k);
            ReadOnlySpan<float> result;
            int ld;
            if (count == 1)
            {
                var yg = y.Slice(first * OutPlane(g) + grp * ocg * hw, ocg * hw);
                Gemm.Sgemm(Gemm.DefaultKernel, threads, false, false, ocg, hw, k, 1f, wg, k, b, hw, 0f, yg, hw);
                result = yg;
                ld = hw;
            }
            else
            {
                var stage = s.Stage.AsSpan(0, ocg * cols);
                Gemm.Sgemm(Gemm.DefaultKernel, threads, false, false, ocg, cols, k, 1f, wg, k, b, cols, 0f, stage, cols);
                result = stage;
                ld = cols;
            }
            // The output step, while the block is still in cache: y = relu?(result + bias + residual), per plane.
            for (int i = 0; i < count; i++)
                for (int oc = 0; oc < ocg; oc++)
                {
                    int at = (first + i) * OutPlane(g) + (grp * ocg + oc) * hw;
                    Epilogue(result.Slice(oc * ld + i * hw, hw), bias.IsEmpty ? 0f : bias[grp * ocg + oc],
                        residual.IsEmpty ? default : residual.Slice(at, hw), p.Relu, y.Slice(at, hw));
                }
        }
    }

    // dst[i] = relu?(src[i] + bias + residual[i]); src may be dst itself.
    private static void Epilogue(ReadOnlySpan<float> src, float bias, ReadOnlySpan<float> residual, bool relu, Span<float> dst)
    {
        if (residual.IsEmpty)
        {
            if (bias != 0f) TensorPrimitives.Add(src, bias, dst);
            else if (!Unsafe.AreSame(ref MemoryMarshal.GetReference(src), ref MemoryMarshal.GetReference(dst))) src.CopyTo(dst);
        }
        else
        {
            TensorPrimitives.Add(src, residual, dst);
            if (bias != 0f) TensorPrimitives.Add(dst, bias, dst);
        }
        if (relu) TensorPrimitives.Max(dst, 0f, dst);
    }

    // The input gradient by transposed GEMMs and col2im per block and group (dx overwritten).
    private static void Im2ColBackwardData(in Conv2dGeometry g, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx)
    {
        var plan = new BlockPlan(g, balanced: true);
        fixed (float* pdy = dy, pw = w, pdx = dx)
        {
            var p = new Pointers(pdy, pw, null, 0, pdx);
            ForBlocks(plan, (firstBlock, endBlock, gemmThreads) =>
            {
                var scratch = new Scratch(plan);
                try
                {
                    for (int blk = firstBlock; blk < endBlock; blk++)
                        BackwardDataBlock(plan, blk, p, scratch, gemmThreads);
                }
                finally
                {
                    scratch.Return();
                }
            });
        }
    }

    private static void BackwardDataBlock(in BlockPlan plan, int blk, in Pointers p, in Scratch s, int threads)
    {
        ref readonly var g = ref plan.Geometry;
        int k = g.ColRows, hw = g.ColCols, ocg = g.OutChannelsPerGroup, cpg = g.InChannelsPerGroup;
        int first = plan.First(blk), count = plan.Size(blk), cols = count * hw;
        var dy = p.Span0(g.Batch * OutPlane(g));
        var w = p.Span1(WeightLength(g));
        var dx = p.Out(g.Batch * InPlane(g));
        bool pointwise = IsPointwise(g);
        if (!pointwise) dx.Slice(first * InPlane(g), count * InPlane(g)).Clear();
        for (int grp = 0; grp < g.Groups; grp++)
        {
            var wg = w.Slice(grp * ocg * k, ocg * k);
            ReadOnlySpan<float> dyg = count == 1
                ? dy.Slice(first * OutPlane(g) + grp * ocg * hw, ocg * hw)
                : Gather(dy, OutPlane(g), first, count, grp * ocg, ocg, hw, s.Stage!);
            if (pointwise && count == 1)
            {
                Gemm.Sgemm(Gemm.DefaultKernel, threads, true, false, k, hw, ocg, 1f, wg, k, dyg, hw, 0f, dx.Slice(first * InPlane(g) + grp * k * hw, k * hw), hw);
                continue;
            }
            var c = s.Cols.AsSpan(0, k * cols);
            Gemm.Sgemm(Gemm.DefaultKernel, threads, true, false, k, cols, ocg, 1f, wg, k, dyg, cols, 0f, c, cols);
            if (pointwise)
                Scatter(c, cpg, hw, count, dx, InPlane(g), first, grp * cpg);
            else
                UnpackBlock(g, s.Cols!, first, count, grp, dx, threads);
        }
    }

    // The weight gradient summed over blocks in fixed parts added in order (dw overwritten).
    private static void Im2ColBackwardWeight(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw)
    {
        int wl = WeightLength(g);
        var plan = new BlockPlan(g);
        int parts = plan.SplitOverThreads ? Math.Min(WeightBlocks, plan.Count) : 1;
        float[]? partials = parts > 1 ? ArrayPool<float>.Shared.Rent((parts - 1) * wl) : null;
        try
        {
            fixed (float* px = x, pdy = dy, pdw = dw, ppart = partials)
            {
                var p = new Pointers(px, pdy, null, 0, pdw);
                nint apart = (nint)ppart;
                int gemmThreads = parts > 1 ? 1 : Parallelism.Threads;
                // Part j covers blocks [j*B/P, (j+1)*B/P); part 0 writes dw itself, the others their partial.
                Parallelism.For(parts, parts, j =>
                {
                    var scratch = new Scratch(plan);
                    try
                    {
                        var target = j == 0 ? p.Out(wl) : new Span<float>((void*)(apart + (nint)((long)(j - 1) * wl * sizeof(float))), wl);
                        int firstBlock = (int)((long)j * plan.Count / parts), endBlock = (int)((long)(j + 1) * plan.Count / parts);
                        for (int blk = firstBlock; blk < endBlock; blk++)
                            BackwardWeightBlock(plan, blk, p, scratch, target, blk == firstBlock ? 0f : 1f, gemmThreads);
                    }
                    finally
                    {
                        scratch.Return();
                    }
                });
            }
            for (int j = 1; j < parts; j++)
                TensorPrimitives.Add(dw.Slice(0, wl), partials.AsSpan((j - 1) * wl, wl), dw.Slice(0, wl));
        }
        finally
        {
            if (partials is not null) ArrayPool<float>.Shared.Return(partials);
        }
    }

    private static void BackwardWeightBlock(in BlockPlan plan, int blk, in Pointers p, in Scratch s, Span<float> target, float beta, int threads)
    {
        ref readonly var g = ref plan.Geometry;
        int k = g.ColRows, hw = g.ColCols, ocg = g.OutChannelsPerGroup;
        int first = plan.First(blk), count = plan.Size(blk), cols = count * hw;
        var x = p.Span0(g.Batch * InPlane(g));
        var dy = p.Span1(g.Batch * OutPlane(g));
        for (int grp = 0; grp < g.Groups; grp++)
        {
            ReadOnlySpan<float> dyg = count == 1
                ? dy.Slice(first * OutPlane(g) + grp * ocg * hw, ocg * hw)
                : Gather(dy, OutPlane(g), first, count, grp * ocg, ocg, hw, s.Stage!);
            var b = Columns(g, x, first, count, grp, s.Cols, threads);
            Gemm.Sgemm(Gemm.DefaultKernel, threads, false, true, ocg, k, cols, 1f, dyg, cols, b, cols, beta, target.Slice(grp * ocg * k, ocg * k), k);
        }
    }

    /// <summary>Runs <paramref name="body"/>(firstBlock, endBlock, gemmThreads) over the blocks, split as the remarks say.</summary>
    private static void ForBlocks(in BlockPlan plan, Action<int, int, int> body)
    {
        if (!plan.SplitOverThreads || Parallelism.Threads == 1)
        {
            body(0, plan.Count, Parallelism.Threads);
            return;
        }
        int parts = Math.Min(Parallelism.Threads, plan.Count), count = plan.Count;
        Parallelism.For(parts, parts,
            t => body((int)((long)t * count / parts), (int)((long)(t + 1) * count / parts), 1));
    }

    /// <summary>The [K, count*OH*OW] column matrix of one block and group: the input itself for a pointwise convolution of one image, else built in <paramref name="cols"/>.</summary>
    private static ReadOnlySpan<float> Columns(in Conv2dGeometry g, ReadOnlySpan<float> x, int first, int count, int grp, float[]? cols, int threads)
    {
        int k = g.ColRows, hw = g.ColCols, ld = count * hw;
        if (IsPointwise(g))
        {
            if (count == 1) return x.Slice(first * InPlane(g) + grp * k * hw, k * hw);
            return Gather(x, InPlane(g), first, count, grp * k, k, hw, cols!);
        }
        var dst = cols.AsSpan(0, k * ld);
        if (!SplitsChannels(g.InChannelsPerGroup, count, (long)k * hw, threads))
        {
            for (int i = 0; i < count; i++)
                Im2Col.Pack(g, x.Slice((first + i) * InPlane(g), InPlane(g)), grp, dst.Slice(i * hw), ld);
            return dst;
        }
        // When the GEMM is threaded (a large block, often a single image), the threads build the matrix together,
        // each a range of channels, so the copy does not run on one thread while the other waits.
        fixed (float* px = x)
            PackSplit(g, (nint)px, x.Length, first, count, grp, cols!, threads);
        return dst;
    }

    // Kept apart from Columns: a lambda's captured locals are allocated on entry to the scope that declares them,
    // so the single-thread path would pay for the closure too.
    private static void PackSplit(Conv2dGeometry geo, nint ax, int xLength, int first, int count, int grp, float[] cols, int threads)
    {
        int k = geo.ColRows, hw = geo.ColCols, ld = count * hw;
        ForChannelParts(geo.InChannelsPerGroup, count, (long)k * hw, threads, (i, c0, cn) =>
            Im2Col.Pack(geo, new ReadOnlySpan<float>((void*)ax, xLength).Slice((first + i) * InPlane(geo), InPlane(geo)), grp,
                cols.AsSpan(i * hw, k * ld - i * hw), ld, c0, cn));
    }

    /// <summary>Whether ForChannelParts splits the channels over threads (the single-thread path allocates nothing).</summary>
    private static bool SplitsChannels(int channels, int count, long workPerImage, int threads) =>
        Math.Min(channels, threads) > 1 && workPerImage * count >= (1 << 16);

    // The adjoint of Columns for a block: cols [K, count*OH*OW] accumulated into dx's images [first, first+count).
    private static void UnpackBlock(in Conv2dGeometry g, float[] cols, int first, int count, int grp, Span<float> dx, int threads)
    {
        int hw = g.ColCols, ld = count * hw, k = g.ColRows;
        if (!SplitsChannels(g.InChannelsPerGroup, count, (long)k * hw, threads))
        {
            for (int i = 0; i < count; i++)
                Im2Col.Unpack(g, cols.AsSpan(i * hw, k * ld - i * hw), grp, dx.Slice((first + i) * InPlane(g), InPlane(g)), ld);
            return;
        }
        fixed (float* pdx = dx)
            UnpackSplit(g, cols, first, count, grp, (nint)pdx, dx.Length, threads);
    }

    private static void UnpackSplit(Conv2dGeometry geo, float[] cols, int first, int count, int grp, nint adx, int dxLength, int threads)
    {
        int hw = geo.ColCols, ld = count * hw, k = geo.ColRows;
        ForChannelParts(geo.InChannelsPerGroup, count, (long)k * hw, threads, (i, c0, cn) =>
            Im2Col.Unpack(geo, cols.AsSpan(i * hw, k * ld - i * hw), grp,
                new Span<float>((void*)adx, dxLength).Slice((first + i) * InPlane(geo), InPlane(geo)), ld, c0, cn));
    }

    /// <summary>
    /// Runs body(image, firstChannel, channelCount) over every image of a block, split into channel ranges over the
    /// threads when there is more than one and the work is worth it; each (image, channel) is visited once.
    /// </summary>
    private static void ForChannelParts(int channels, int count, long workPerImage, int threads, Action<int, int, int> body)
    {
        int chunks = Math.Min(channels, threads);
        if (!SplitsChannels(channels, count, workPerImage, threads))
        {
            for (int i = 0; i < count; i++) body(i, 0, channels);
            return;
        }
        Parallelism.For(count * chunks, threads, t =>
        {
            int i = t / chunks, part = t % chunks;
            int c0 = (int)((long)part * channels / chunks), c1 = (int)((long)(part + 1) * channels / chunks);
            body(i, c0, c1 - c0);
        });
    }

    // src: [N, plane] with rows of hw floats; dst: [rows, count*hw] <- rows [row0, row0+rows) of images [first, first+count).
    private static ReadOnlySpan<float> Gather(ReadOnlySpan<float> src, int plane, int first, int count, int row0, int rows, int hw, float[] dst)
    {
        int ld = count * hw;
        fixed (float* s0 = src, d0 = dst)
        {
            for (int i = 0; i < count; i++)
            {
                float* s = s0 + (long)(first + i) * plane + (long)row0 * hw;
                float* d = d0 + (long)i * hw;
                for (int r = 0; r < rows; r++, s += hw, d += ld)
                    Unsafe.CopyBlockUnaligned(d, s, (uint)(hw * sizeof(float)));
            }
        }
        return dst.AsSpan(0, rows * ld);
    }

    // The inverse of Gather: dst [N, plane] rows [row0, row0+rows) of images [first, first+count) <- src [rows, count*hw].
    private static void Scatter(ReadOnlySpan<float> src, int rows, int hw, int count, Span<float> dst, int plane, int first, int row0)
    {
        int ld = count * hw;
        for (int i = 0; i < count; i++)
            for (int r = 0; r < rows; r++)
                src.Slice(r * ld + i * hw, hw).CopyTo(dst.Slice((first + i) * plane + (row0 + r) * hw, hw));
    }

    private static int InPlane(in Conv2dGeometry g) => g.InChannels * g.InHeight * g.InWidth;

    private static int OutPlane(in Conv2dGeometry g) => g.OutChannels * g.OutHeight * g.OutWidth;

    private static int WeightLength(in Conv2dGeometry g) => g.OutChannels * g.InChannelsPerGroup * g.KernelHeight * g.KernelWidth;

    private static bool IsPointwise(in Conv2dGeometry g) =>
        g.KernelHeight == 1 && g.KernelWidth == 1 && g.StrideH == 1 && g.StrideW == 1 &&
        g.PadTop == 0 && g.PadBottom == 0 && g.PadLeft == 0 && g.PadRight == 0;

    /// <summary>How the batch is cut into blocks of images, and whether the blocks are spread over threads.</summary>
    private readonly struct BlockPlan
    {
        public readonly Conv2dGeometry Geometry;
        public readonly int PerBlock;
        public readonly int Count;
        public readonly bool SplitOverThreads;

        // balanced: the forward pass and the input gradient, whose bits do not depend on how images are blocked (a
        // block's columns are independent and each image's col2im runs alone), even out the blocks over the threads.
        public BlockPlan(in Conv2dGeometry g, bool balanced = false)
        {
            Geometry = g;
            PerBlock = ImagesPerBlock(g);
            if (balanced)
            {
                // Only while every block stays on the GEMM's packed path (at least 8 columns and 4,096 multiply-adds),
                // whose arithmetic per element does not depend on the number of columns.
                int images = BalancedImages(g.Batch, PerBlock, Parallelism.Threads);
                long columns = (long)images * g.ColCols;
                if (columns >= 64 && g.OutChannelsPerGroup * (long)g.ColRows * columns >= 4096) PerBlock = images;
            }
            Count = (g.Batch + PerBlock - 1) / PerBlock;
            SplitOverThreads = Count > 1 && (long)g.ColRows * g.ColCols * PerBlock <= SmallBlock;
        }

        public int First(int block) => block * PerBlock;

        public int Size(int block) => Math.Min(PerBlock, Geometry.Batch - block * PerBlock);
    }

    /// <summary>One worker's pooled buffers: the column matrix (when one is needed) and the staging block for B > 1.</summary>
    private readonly struct Scratch
    {
        public readonly float[]? Cols;
        public readonly float[]? Stage;

        public Scratch(in BlockPlan plan)
        {
            ref readonly var g = ref plan.Geometry;
            long cols = (long)plan.PerBlock * g.ColCols;
            bool needCols = !IsPointwise(g) || plan.PerBlock > 1;
            Cols = needCols ? ArrayPool<float>.Shared.Rent(checked((int)(g.ColRows * cols))) : null;
            Stage = plan.PerBlock > 1 ? ArrayPool<float>.Shared.Rent(checked((int)(g.OutChannelsPerGroup * cols))) : null;
        }

        public void Return()
        {
            if (Cols is not null) ArrayPool<float>.Shared.Return(Cols);
            if (Stage is not null) ArrayPool<float>.Shared.Return(Stage);
        }
    }

    /// <summary>The pinned operands of one call, as raw pointers a worker lambda can capture.</summary>
    private readonly struct Pointers(float* a, float* b, float* c, int cLength, float* output, float* residual = null, bool relu = false)
    {
        private readonly nint _a = (nint)a, _b = (nint)b, _c = (nint)c, _out = (nint)output, _residual = (nint)residual;
        private readonly int _cLength = cLength;

        public bool Relu { get; } = relu;

        public ReadOnlySpan<float> Residual(int length) => _residual == 0 ? default : new((void*)_residual, length);

        public ReadOnlySpan<float> Span0(int length) => new((void*)_a, length);

        public ReadOnlySpan<float> Span1(int length) => new((void*)_b, length);

        public ReadOnlySpan<float> Span2() => new((void*)_c, _cLength);

        public Span<float> Out(int length) => new((void*)_out, length);
    }
}
