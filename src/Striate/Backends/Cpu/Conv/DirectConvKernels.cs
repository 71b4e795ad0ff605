using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Striate.Threading;

namespace Striate.Backends.Cpu;

/// <summary>
/// Forward convolution computed directly for layers with few output channels and a short reduction (LeNet-5's
/// 1 -> 6 and 6 -> 16 layers, a 3 -> 16 stem): im2col would copy every input value K times for a GEMM with only a
/// handful of rows, which costs as much as the products themselves. Here a vector holds eight output channels of
/// one output position; eight positions along an output row are accumulated in registers over every tap
/// (c, kh, kw), each tap one weight vector times the input value broadcast.
/// </summary>
/// <remarks>
/// Each output is the sum over the taps in (c, kh, kw) order plus the bias, whatever block it is computed in, so a
/// row's last block may overlap the one before and the bits do not depend on the thread count (threads take whole
/// (image, channel-block) pairs). Needs AVX2 with FMA; elsewhere convolutions run im2col + GEMM.
/// </remarks>
public static unsafe partial class DirectConvKernels
{
    private const int Lanes = 8;

    /// <summary>Output channels up to which the direct kernel runs (two channel blocks).</summary>
    private const int MaxOutChannels = 16;

    /// <summary>Reduction length (C * KH * KW) up to which the direct kernel runs.</summary>
    private const int MaxReduction = 256;

    /// <summary>
    /// Whether <paramref name="g"/> runs here: ungrouped, stride 1, no dilation, at most
    /// <see cref="MaxOutChannels"/> output channels, a reduction of at most <see cref="MaxReduction"/> and output
    /// rows of at least four positions, on a processor with AVX2 and FMA.
    /// </summary>
    public static bool Applies(in Conv2dGeometry g) =>
        Fma.IsSupported && Avx2.IsSupported &&
        g.Groups == 1 && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1 &&
        g.OutChannels <= MaxOutChannels && g.ColRows <= MaxReduction && g.OutWidth >= 4 && g.OutHeight >= 1;

    /// <summary>
    /// Whether <see cref="ForwardPooled"/> runs for <paramref name="g"/>: <see cref="Applies"/> with an even number
    /// of output rows and columns.
    /// </summary>
    public static bool AppliesPooled(in Conv2dGeometry g) => Applies(g) && g.OutHeight % 2 == 0 && g.OutWidth % 2 == 0;

    // x: [N, C, H, W]; w: [OC, C, KH, KW]; bias: [OC] or empty; residual: [N, OC, OH, OW] or empty; y: [N, OC, OH, OW].
    // y = relu?(conv(x, w) + bias + residual).
    public static void Forward(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> residual, bool relu, Span<float> y)
    {
        KernelSpans.Conv(g, "DirectConvKernels.Forward", x.Length, w.Length, y.Length, bias.Length, residual.Length);
        if (!Applies(g)) throw new ArgumentException($"DirectConvKernels: {g} is not a convolution these kernels handle (see Applies).");
        Run(g, x, w, bias, residual, relu, false, y);
    }

    // y: [N, OC, OH/2, OW/2] = max_pool2d(relu?(conv(x, w) + bias), 2): LeNet's convolution, activation and pooling in
    // one pass, the full-size output never written. Equal to the three steps (max commutes with adding the bias
    // and with ReLU; a NaN in a window gives NaN).
    public static void ForwardPooled(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, bool relu, Span<float> y)
    {
        KernelSpans.Require(x.Length, g.InputLength, "DirectConvKernels.ForwardPooled", "x", "[N, C, H, W]", g);
        KernelSpans.Require(w.Length, g.WeightLength, "DirectConvKernels.ForwardPooled", "w", "[OC, C, KH, KW]", g);
        if (!bias.IsEmpty) KernelSpans.Require(bias.Length, g.OutChannels, "DirectConvKernels.ForwardPooled", "bias", "[OC]", g);
        if (!AppliesPooled(g)) throw new ArgumentException($"DirectConvKernels: {g} is not a convolution the pooled kernel handles (see AppliesPooled).");
        if (y.Length < (long)g.Batch * g.OutChannels * (g.OutHeight / 2) * (g.OutWidth / 2))
            throw new ArgumentException($"DirectConvKernels.ForwardPooled: the output needs {(long)g.Batch * g.OutChannels * (g.OutHeight / 2) * (g.OutWidth / 2)} values, got {y.Length}.", nameof(y));
        Run(g, x, w, bias, default, relu, true, y);
    }

    private static void Run(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> residual, bool relu, bool pool, Span<float> y)
    {
        var geo = g;
        int k = g.ColRows, blocks = (g.OutChannels + Lanes - 1) / Lanes, padded = blocks * Lanes;
        // Weights as [K, OC padded to whole vectors]: tap t's weights for eight channels are one load.
        float[] wt = ArrayPool<float>.Shared.Rent(k * padded);
        try
        {
            Array.Clear(wt, 0, k * padded);
            for (int oc = 0; oc < g.OutChannels; oc++)
                for (int t = 0; t < k; t++)
                    wt[t * padded + oc] = w[oc * k + t];
            fixed (float* px = x, pw = wt, pb = bias, pr = residual, py = y)
            {
                nint ax = (nint)px, aw = (nint)pw, ab = (nint)pb, ar = (nint)pr, ay = (nint)py;
                bool hasBias = !bias.IsEmpty, hasResidual = !residual.IsEmpty;
                var pad = new Padded(geo);
                long cost = (long)k * Lanes * geo.OutHeight * geo.OutWidth;
                int outPlane = pool ? geo.OutHeight / 2 * (geo.OutWidth / 2) : geo.OutHeight * geo.OutWidth;
                Parallelism.ForRanges(geo.Batch * blocks, cost, (start, end) =>
                {
                    float[] buffer = ArrayPool<float>.Shared.Rent(geo.InChannels * pad.Length);
                    try
                    {
                        fixed (float* buf = buffer)
                        {
                            int filled = -1;
                            for (int item = start; item < end; item++)
                            {
                                int n = item / blocks, ocb = item % blocks;
                                if (filled != n)
                                {
                                    for (int c = 0; c < geo.InChannels; c++)
                                        pad.Fill(buf + (long)c * pad.Length, (float*)ax + ((long)n * geo.InChannels + c) * geo.InHeight * geo.InWidth);
                                    filled = n;
                                }
                                long outBase = ((long)n * geo.OutChannels + ocb * Lanes) * outPlane;
                                var o = new Output((float*)ay + outBase, hasResidual ? (float*)ar + outBase : null,
                                    hasBias ? (float*)ab + ocb * Lanes : null, Math.Min(Lanes, geo.OutChannels - ocb * Lanes),
                                    outPlane, relu, pool);
                                Image(geo, pad, buf, (float*)aw + ocb * Lanes, padded, o);
                            }
                        }
                    }
                    finally
                    {
                        ArrayPool<float>.Shared.Return(buffer);
                    }
                });
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(wt);
        }
    }

    // Where a block of up to eight channels goes: y and residual at the block's first channel, [channels, plane].
    private readonly struct Output(float* y, float* residual, float* bias, int channels, int plane, bool relu, bool pool)
    {
        /// <summary>Whether y is the 2x2 max-pooled output (rows i, i+1 and columns j, j+1 -> one value).</summary>
        public bool Pool { get; } = pool;
        public float* Y { get; } = y;
        public float* Residual { get; } = residual;
        public float* Bias { get; } = bias;
        public int Channels { get; } = channels;
        public int Plane { get; } = plane;
        public bool Relu { get; } = relu;
    }

    // One image, one block of eight channels: output rows two at a time (the weight vector of a tap serves both),
    // each in blocks of eight positions (four for the last short stretch), the last block overlapping the one
    // before when the row is not a whole number of blocks.
    private static void Image(in Conv2dGeometry g, in Padded pad, float* src, float* wt, int ldw, in Output o)
    {
        int oh = g.OutHeight, ow = g.OutWidth, cols = pad.Cols;
        var taps = new Taps(g.InChannels, g.KernelHeight, g.KernelWidth, pad.Length, cols, ldw);
        float* acc = stackalloc float[16 * Lanes];
        for (int i = 0; i < oh; i += 2)
        {
            int rows = Math.Min(2, oh - i);
            float* row = src + (long)i * cols;
            int j = 0;
            for (; ow - j >= 8; j += 8)
                Run(o, taps, row, wt, acc, i, j, 8, rows, ow);
            if (j == ow) continue;
            if (ow - j > 4 && ow >= 8)
            {
                Run(o, taps, row, wt, acc, i, ow - 8, 8, rows, ow);
                continue;
            }
            for (; j < ow; j += 4)
                Run(o, taps, row, wt, acc, i, Math.Min(j, ow - 4), 4, rows, ow);
        }
    }

    // Positions [at, at + width) of output rows i and (rows == 2) i + 1; a lone last row is computed twice (the
    // kernels' second row reads the same input) and stored once.
    private static void Run(in Output o, in Taps taps, float* row, float* wt, float* acc, int i, int at, int width, int rows, int ow)
    {
        nint down = rows == 2 ? taps.Cols : 0;
        if (width == 8) Block8x2(row + at, down, wt, taps, acc);
        else Block4x2(row + at, down, wt, taps, acc);
        if (o.Pool)
        {
            StorePooled(o, acc, i / 2 * (ow / 2) + at / 2, width);
            return;
        }
        Store(o, acc, i * ow + at, width);
        if (rows == 2) Store(o, acc + 8 * Lanes, (i + 1) * ow + at, width);
    }

    private readonly struct Taps(int channels, int kh, int kw, int plane, int cols, int ldw)
    {
        public int Channels { get; } = channels;
        public int KernelHeight { get; } = kh;
        public int KernelWidth { get; } = kw;
        public int Plane { get; } = plane;
        public int Cols { get; } = cols;
        public int Ldw { get; } = ldw;
    }

    // acc [2 rows, 8 positions, 8 channels]: two output rows at once, sixteen accumulators (the second row's
    // input is down floats further on: one padded row, or 0 for a lone last row).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Block8x2(float* x, nint down, float* w, in Taps t, float* acc)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        int kh = t.KernelHeight, kw = t.KernelWidth, cols = t.Cols, plane = t.Plane, ldw = t.Ldw;
        for (int c = 0; c < t.Channels; c++)
        {
            float* xc = x + (long)c * plane;
            for (int r = 0; r < kh; r++)
            {
                float* xr = xc + r * cols;
                for (int s = 0; s < kw; s++)
                {
                    var v = Avx.LoadVector256(w);
                    w += ldw;
                    float* p = xr + s;
                    float* q = p + down;
                    a0 = Fma.MultiplyAdd(v, Vector256.Create(p[0]), a0);
                    a1 = Fma.MultiplyAdd(v, Vector256.Create(p[1]), a1);
                    a2 = Fma.MultiplyAdd(v, Vector256.Create(p[2]), a2);
                    a3 = Fma.MultiplyAdd(v, Vector256.Create(p[3]), a3);
                    a4 = Fma.MultiplyAdd(v, Vector256.Create(p[4]), a4);
                    a5 = Fma.MultiplyAdd(v, Vector256.Create(p[5]), a5);
                    a6 = Fma.MultiplyAdd(v, Vector256.Create(p[6]), a6);
                    a7 = Fma.MultiplyAdd(v, Vector256.Create(p[7]), a7);
                    b0 = Fma.MultiplyAdd(v, Vector256.Create(q[0]), b0);
                    b1 = Fma.MultiplyAdd(v, Vector256.Create(q[1]), b1);
                    b2 = Fma.MultiplyAdd(v, Vector256.Create(q[2]), b2);
                    b3 = Fma.MultiplyAdd(v, Vector256.Create(q[3]), b3);
                    b4 = Fma.MultiplyAdd(v, Vector256.Create(q[4]), b4);
                    b5 = Fma.MultiplyAdd(v, Vector256.Create(q[5]), b5);
                    b6 = Fma.MultiplyAdd(v, Vector256.Create(q[6]), b6);
                    b7 = Fma.MultiplyAdd(v, Vector256.Create(q[7]), b7);
                }
            }
        }
        a0.Store(acc);
        a1.Store(acc + 8);
        a2.Store(acc + 16);
        a3.Store(acc + 24);
        a4.Store(acc + 32);
        a5.Store(acc + 40);
        a6.Store(acc + 48);
        a7.Store(acc + 56);
        b0.Store(acc + 64);
        b1.Store(acc + 72);
        b2.Store(acc + 80);
        b3.Store(acc + 88);
        b4.Store(acc + 96);
        b5.Store(acc + 104);
        b6.Store(acc + 112);
        b7.Store(acc + 120);
    }

    // The same for four positions of two rows.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Block4x2(float* x, nint down, float* w, in Taps t, float* acc)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        int kh = t.KernelHeight, kw = t.KernelWidth, cols = t.Cols, plane = t.Plane, ldw = t.Ldw;
        for (int c = 0; c < t.Channels; c++)
        {
            float* xc = x + (long)c * plane;
            for (int r = 0; r < kh; r++)
            {
                float* xr = xc + r * cols;
                for (int s = 0; s < kw; s++)
                {
                    var v = Avx.LoadVector256(w);
                    w += ldw;
                    float* p = xr + s;
                    float* q = p + down;
                    a0 = Fma.MultiplyAdd(v, Vector256.Create(p[0]), a0);
                    a1 = Fma.MultiplyAdd(v, Vector256.Create(p[1]), a1);
                    a2 = Fma.MultiplyAdd(v, Vector256.Create(p[2]), a2);
                    a3 = Fma.MultiplyAdd(v, Vector256.Create(p[3]), a3);
                    b0 = Fma.MultiplyAdd(v, Vector256.Create(q[0]), b0);
                    b1 = Fma.MultiplyAdd(v, Vector256.Create(q[1]), b1);
                    b2 = Fma.MultiplyAdd(v, Vector256.Create(q[2]), b2);
                    b3 = Fma.MultiplyAdd(v, Vector256.Create(q[3]), b3);
                }
            }
        }
        a0.Store(acc);
        a1.Store(acc + 8);
        a2.Store(acc + 16);
        a3.Store(acc + 24);
        b0.Store(acc + 64);
        b1.Store(acc + 72);
        b2.Store(acc + 80);
        b3.Store(acc + 88);
    }
}
