using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Striate.Threading;

namespace Striate.Backends.Cpu;

public static unsafe partial class DirectConvKernels
{
    /// <summary>Fixed number of image groups whose partial weight gradients are summed in order.</summary>
    private const int WeightGroups = 8;

    /// <summary>Taps (c, kh, kw) per register tile of the weight gradient.</summary>
    private const int TileTaps = 8;

    // dw: [OC, C, KH, KW] (overwritten) = sum over images and output positions of dy[n, oc, p] * x[n, c, p + tap].
    // Each tap's eight output channels are one vector; a tile of eight taps is accumulated in registers over every
    // position of an image (the input value of each tap broadcast, dy read as [position, channels]). Images go in a
    // fixed number of groups whose partial sums are added in group order, so the bits do not depend on the threads.
    public static void BackwardWeight(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw)
    {
        KernelSpans.Conv(g, "DirectConvKernels.BackwardWeight", x.Length, dw.Length, dy.Length);
        if (!Applies(g)) throw new ArgumentException($"DirectConvKernels: {g} is not a convolution these kernels handle (see Applies).");
        var geo = g;
        int taps = g.ColRows, blocks = (g.OutChannels + Lanes - 1) / Lanes, padded = blocks * Lanes;
        int tiles = (taps + TileTaps - 1) / TileTaps, groups = Math.Min(g.Batch, WeightGroups), positions = g.OutHeight * g.OutWidth;
        var pad = new Padded(geo);
        // Each tap's offset in the zero-bordered input; the last tile repeats the last tap (its sums are dropped).
        int[] offsets = new int[tiles * TileTaps];
        for (int t = 0; t < offsets.Length; t++)
        {
            int tap = Math.Min(t, taps - 1), c = tap / (g.KernelHeight * g.KernelWidth), r = tap % (g.KernelHeight * g.KernelWidth);
            offsets[t] = c * pad.Length + r / g.KernelWidth * pad.Cols + r % g.KernelWidth;
        }
        int partLength = tiles * TileTaps * padded;
        float[] parts = ArrayPool<float>.Shared.Rent(groups * partLength);
        try
        {
            fixed (float* px = x, pdy = dy, pp = parts)
            fixed (int* po = offsets)
            {
                nint ax = (nint)px, ady = (nint)pdy, ap = (nint)pp, ao = (nint)po;
                long cost = (long)partLength * positions * g.Batch / groups;
                Parallelism.ForRanges(groups, cost, (start, end) =>
                {
                    float[] input = ArrayPool<float>.Shared.Rent(geo.InChannels * pad.Length);
                    float[] grads = ArrayPool<float>.Shared.Rent(positions * padded);
                    try
                    {
                        fixed (float* buf = input, dyt = grads)
                        {
                            Array.Clear(grads, 0, positions * padded);
                            for (int grp = start; grp < end; grp++)
                            {
                                float* part = (float*)ap + (long)grp * partLength;
                                new Span<float>(part, partLength).Clear();
                                int first = grp * geo.Batch / groups, last = (grp + 1) * geo.Batch / groups;
                                for (int n = first; n < last; n++)
                                {
                                    for (int c = 0; c < geo.InChannels; c++)
                                        pad.Fill(buf + (long)c * pad.Length, (float*)ax + ((long)n * geo.InChannels + c) * geo.InHeight * geo.InWidth);
                                    // dy[n] as [position, channels padded to whole vectors].
                                    float* src = (float*)ady + (long)n * geo.OutChannels * positions;
                                    for (int oc = 0; oc < geo.OutChannels; oc++)
                                        for (int p = 0; p < positions; p++)
                                            dyt[p * padded + oc] = src[oc * positions + p];
                                    for (int ocb = 0; ocb < blocks; ocb++)
                                        for (int tile = 0; tile < tiles; tile++)
                                            Tile8(buf, dyt + ocb * Lanes, padded, (int*)ao + tile * TileTaps, geo.OutHeight, geo.OutWidth, pad.Cols,
                                                part + tile * TileTaps * padded + ocb * Lanes, padded);
                                }
                            }
                        }
                    }
                    finally
                    {
                        ArrayPool<float>.Shared.Return(input);
                        ArrayPool<float>.Shared.Return(grads);
                    }
                });
            }
            // Groups in order, then [tap, channel] -> [channel, tap].
            for (int oc = 0; oc < g.OutChannels; oc++)
                for (int t = 0; t < taps; t++)
                {
                    float sum = 0f;
                    for (int grp = 0; grp < groups; grp++) sum += parts[grp * partLength + t * padded + oc];
                    dw[oc * taps + t] = sum;
                }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(parts);
        }
    }

    // sums[t * ldSums + lanes] += over every output position p of the image: dy[p, lanes] * x[p's window origin + offsets[t]],
    // for the tile's eight taps t.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile8(float* x, float* dyt, int ldd, int* offsets, int oh, int ow, int cols, float* sums, int ldSums)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        nint o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3], o4 = offsets[4], o5 = offsets[5], o6 = offsets[6], o7 = offsets[7];
        float* d = dyt;
        for (int i = 0; i < oh; i++)
        {
            float* p = x + (long)i * cols;
            for (float* end = p + ow; p < end; p++)
            {
                var v = Avx.LoadVector256(d);
                d += ldd;
                a0 = Fma.MultiplyAdd(v, Vector256.Create(p[o0]), a0);
                a1 = Fma.MultiplyAdd(v, Vector256.Create(p[o1]), a1);
                a2 = Fma.MultiplyAdd(v, Vector256.Create(p[o2]), a2);
                a3 = Fma.MultiplyAdd(v, Vector256.Create(p[o3]), a3);
                a4 = Fma.MultiplyAdd(v, Vector256.Create(p[o4]), a4);
                a5 = Fma.MultiplyAdd(v, Vector256.Create(p[o5]), a5);
                a6 = Fma.MultiplyAdd(v, Vector256.Create(p[o6]), a6);
                a7 = Fma.MultiplyAdd(v, Vector256.Create(p[o7]), a7);
            }
        }
        (Avx.LoadVector256(sums) + a0).Store(sums);
        (Avx.LoadVector256(sums + ldSums) + a1).Store(sums + ldSums);
        (Avx.LoadVector256(sums + 2 * ldSums) + a2).Store(sums + 2 * ldSums);
        (Avx.LoadVector256(sums + 3 * ldSums) + a3).Store(sums + 3 * ldSums);
        (Avx.LoadVector256(sums + 4 * ldSums) + a4).Store(sums + 4 * ldSums);
        (Avx.LoadVector256(sums + 5 * ldSums) + a5).Store(sums + 5 * ldSums);
        (Avx.LoadVector256(sums + 6 * ldSums) + a6).Store(sums + 6 * ldSums);
        (Avx.LoadVector256(sums + 7 * ldSums) + a7).Store(sums + 7 * ldSums);
    }
}
