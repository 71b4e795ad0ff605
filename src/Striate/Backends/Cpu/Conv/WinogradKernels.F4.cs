using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Striate.Threading;

namespace Striate.Backends.Cpu;

/// <summary>
/// Winograd's F(4x4, 3x3) for the forward pass on wide maps: each 4x4 output tile is A^T [(G g G^T) . (B^T d B)] A for
/// the 6x6 input patch d under it, so the channel sums become 36 GEMMs [OC, C] x [C, tiles] with 36 multiplies per
/// tile and channel pair instead of 144 (4x fewer; F(2x2, 3x3) makes 2.25x fewer). The interpolation points are
/// 0, 1, -1, 2, -2 and infinity (Lavin and Gray, 2016):
/// B^T = [[4,0,-5,0,1,0],[0,-4,-4,1,1,0],[0,4,-4,-1,1,0],[0,-2,-1,2,1,0],[0,2,-1,-2,1,0],[0,4,0,-5,0,1]],
/// G = [[1/4,0,0],[-1/6,-1/6,-1/6],[-1/6,1/6,-1/6],[1/24,1/12,1/6],[1/24,-1/12,1/6],[0,0,1]],
/// A^T = [[1,1,1,1,1,0],[0,1,-1,2,-2,0],[0,1,1,4,4,0],[0,1,-1,8,-8,1]].
/// </summary>
/// <remarks>
/// The input and output transforms multiply only by 2, 4 and 8 (exact in float); the weights' transform, which has the
/// sixths and twenty-fourths, is computed in float64 and rounded once. Layout as for F(2x2, 3x3), with 36 matrices:
/// U [36][OC][C], V [36][C][T], M [36][OC][T], element 6i + j holding row i, column j of the 6x6 transform. The input
/// transform reads the zero-bordered plane split into its four column phases (column p to phase p mod 4 at p / 4), so
/// the tiles of a tile row, four columns apart, are contiguous vector loads.
/// </remarks>
public static unsafe partial class WinogradKernels
{
    /// <summary>
    /// Smallest output width and height for F(4x4, 3x3): six tiles a row, so the vectors along a tile row are mostly
    /// full. Narrower maps keep F(2x2, 3x3): in ResNet-18 at batch 1 its 256-channel 14x14 layers ran faster alone by
    /// F(4x4, 3x3) (0.96 against 1.39 ms, one thread) but slower in the model (16.6-17.2 ms an image against 15.1-16.1),
    /// where their transformed weights, 2.25x larger (9.4 MB a layer), come from memory rather than cache.
    /// </summary>
    private const int MinSide4x4 = 24;

    /// <summary>
    /// Fewest tiles per call when the weights' transform is not kept: it costs about 60 ns per channel pair (float64,
    /// 36 values), which 196 tiles (one 56x56 map) barely repay; a 128-channel 28x28 map at batch 1 (49 tiles) ran in
    /// 2.0 ms against F(2x2, 3x3)'s 1.3 (single thread, CPU time).
    /// </summary>
    private const int MinTiles4x4Uncached = 512;

    /// <summary>
    /// Tiles per block the images are gathered to reach: half F(2x2, 3x3)'s, as each tile has 36 transformed values
    /// instead of 16. ResNet-18's 64-channel 56x56 layers at batch 16 ran their stage in 37 ms on two threads in blocks
    /// of one image (196 tiles), 49 ms in blocks of two (8 MB of transformed input and output per thread).
    /// </summary>
    private const int TargetTiles4x4 = 128;

    /// <summary>Whether F(4x4, 3x3) applies to <paramref name="g"/> (and is preferred to F(2x2, 3x3)).</summary>
    public static bool Applies4x4(in Conv2dGeometry g) => Applies4x4(g, weightsKept: false);

    /// <summary>The same, knowing whether the transformed weights are kept between calls.</summary>
    public static bool Applies4x4(in Conv2dGeometry g, bool weightsKept) =>
        Fits4x4(g) && (weightsKept || (long)g.Batch * ((g.OutHeight + 3) / 4) * ((g.OutWidth + 3) / 4) >= MinTiles4x4Uncached);

    // The shape conditions alone.
    private static bool Fits4x4(in Conv2dGeometry g) =>
        g.KernelHeight == 3 && g.KernelWidth == 3 && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1 &&
        g.Groups == 1 && g.InChannels >= MinChannels && g.OutChannels >= MinChannels && g.OutHeight >= MinSide4x4 && g.OutWidth >= MinSide4x4 &&
        g.PadTop >= 0 && g.PadLeft >= 0 && g.PadTop <= 2 && g.PadLeft <= 2;

    /// <summary>The forward pass by F(4x4, 3x3); arguments as for <see cref="Forward"/>.</summary>
    public static void Forward4x4(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> residual, bool relu, Span<float> y, ConvWeightCache? cache = null)
    {
        KernelSpans.Conv(g, "WinogradKernels.Forward4x4", x.Length, w.Length, y.Length, bias.Length, residual.Length);
        if (!Fits4x4(g)) throw new ArgumentException($"WinogradKernels: {g} is not a 3x3 stride-1 ungrouped convolution with at least {MinChannels} channels and {MinSide4x4}x{MinSide4x4} outputs.");
        var geo = g;
        var tiles = new Tiling4(g, Parallelism.Threads);
        float[] u = TransformedWeights(g, 36, w, cache, &TransformWeights4x4, out float[]? rented);
        try
        {
            fixed (float* px = x, pu = u, pb = bias, pr = residual, py = y)
            {
                nint ax = (nint)px, au = (nint)pu, ab = (nint)pb, ar = (nint)pr, ay = (nint)py;
                bool hasBias = !bias.IsEmpty, hasResidual = !residual.IsEmpty;
                ForItems(g, tiles.ImagesPerBlock, tiles.TilesH, tiles.BandRows, tiles.VLength(g.InChannels), tiles.VLength(g.OutChannels), tiles.PlaneLength,
                    (n0, count, ty0, ty1, gemmThreads, pv, pm, pp) =>
                    {
                        int band = (ty1 - ty0) * tiles.TilesW, t = count * band;
                        nint av = (nint)pv, am = (nint)pm;
                        ForPlanes(count * geo.InChannels, gemmThreads, tiles.PlaneLength, pp, (idx, scratch) =>
                        {
                            int i = idx / geo.InChannels, c = idx % geo.InChannels;
                            TransformInput4x4(geo, tiles, (float*)ax + ((long)(n0 + i) * geo.InChannels + c) * geo.InHeight * geo.InWidth,
                                scratch, (float*)av + (long)c * t + (long)i * band, RowStride((long)geo.InChannels * t), ty0, ty1);
                        });
                        ForwardGemms(geo, 36, t, gemmThreads, au, av, am);
                        long outPlane = (long)geo.OutHeight * geo.OutWidth;
                        ForPlanes(count * geo.OutChannels, gemmThreads, 0, null, (idx, _) =>
                        {
                            int i = idx / geo.OutChannels, oc = idx % geo.OutChannels;
                            long at = ((long)(n0 + i) * geo.OutChannels + oc) * outPlane;
                            TransformOutput4x4(geo, tiles, (float*)am + (long)oc * t + (long)i * band, RowStride((long)geo.OutChannels * t),
                                hasBias ? ((float*)ab)[oc] : 0f, hasResidual ? (float*)ar + at : null, relu, (float*)ay + at, ty0, ty1);
                        });
                    });
            }
        }
        finally
        {
            if (rented is not null) ArrayPool<float>.Shared.Return(rented);
        }
    }

    // w: [OC, C, 3, 3] -> u: [36][OC][C], u[6i + j] = (G g G^T)[i][j], in float64 and rounded once. One output channel
    // at a time through a [36][C] buffer, so u is written in runs of C floats; the output channels are split over the
    // threads for deep layers as in TransformWeights.
    private static void TransformWeights4x4(int oc, int c, float* w, float* u)
    {
        int parts = (long)oc * c >= 1 << 14 ? Math.Min(Parallelism.Threads, oc) : 1;
        nint aw = (nint)w, au = (nint)u;
        Parallelism.For(parts, parts, part =>
        {
            long stride = (long)oc * c;
            double* gg = stackalloc double[18];
            double* row = stackalloc double[6];
            float[] buffer = ArrayPool<float>.Shared.Rent(36 * c);
            try
            {
                fixed (float* pb = buffer)
                    for (int o = oc * part / parts, end = oc * (part + 1) / parts; o < end; o++)
                    {
                        for (int ch = 0; ch < c; ch++)
                        {
                            float* k = (float*)aw + ((long)o * c + ch) * 9;
                            for (int j = 0; j < 3; j++)
                                Interpolate(k[j], k[3 + j], k[6 + j], gg + j, 3);
                            for (int i = 0; i < 6; i++)
                            {
                                Interpolate(gg[3 * i], gg[3 * i + 1], gg[3 * i + 2], row, 1);
                                for (int j = 0; j < 6; j++) pb[(6 * i + j) * c + ch] = (float)row[j];
                            }
                        }
                        for (int xi = 0; xi < 36; xi++)
                            new ReadOnlySpan<float>(pb + xi * c, c).CopyTo(new Span<float>((float*)au + xi * stride + (long)o * c, c));
                    }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(buffer);
            }
        });
    }

    // G (a, b, d)^T -> dst[0], dst[step], ..., dst[5 step]: the kernel's values at 0, 1, -1, 2, -2 and infinity, scaled.
    private static void Interpolate(double a, double b, double d, double* dst, int step)
    {
        const double Quarter = 0.25, Sixth = 1.0 / 6, Twelfth = 1.0 / 12, TwentyFourth = 1.0 / 24;
        dst[0] = a * Quarter;
        dst[step] = -(a + b + d) * Sixth;
        dst[2 * step] = -(a - b + d) * Sixth;
        dst[3 * step] = a * TwentyFourth + b * Twelfth + d * Sixth;
        dst[4 * step] = a * TwentyFourth - b * Twelfth + d * Sixth;
        dst[5 * step] = d;
    }
    // Tile rows [ty0, ty1) of one input plane [H, W] -> B^T d B of their 6x6 patches, written to v[xi * vStride + t], t
    // counted from the band's first tile.
    private static void TransformInput4x4(in Conv2dGeometry g, in Tiling4 tl, float* src, float* plane, float* v, long vStride, int ty0, int ty1)
    {
        int quarter = tl.Quarter, rows = 4 * (ty1 - ty0) + 2, first = 4 * ty0;
        long phase = (long)rows * quarter;
        new Span<float>(plane, (int)(4 * phase)).Clear();
        // Padded column p = q + PadLeft goes to phase p % 4 at p / 4; only the columns the tiles read are copied.
        int cols = Math.Min(g.InWidth, 4 * tl.TilesW + 2 - g.PadLeft);
        for (int r = Math.Max(0, first - g.PadTop), rEnd = Math.Min(g.InHeight, first + rows - g.PadTop); r < rEnd; r++)
        {
            float* s = src + (long)r * g.InWidth;
            float* row = plane + (long)(r + g.PadTop - first) * quarter;
            SplitPhases(s, cols, g.PadLeft, row, phase);
        }
        int vw = Vector<float>.Count;
        var d = stackalloc Vector<float>[36];
        float* tail = stackalloc float[Vector<float>.Count];
        for (int ty = ty0; ty < ty1; ty++)
        {
            float* top = plane + (long)4 * (ty - ty0) * quarter;
            for (int tx = 0; tx < tl.TilesW; tx += vw)
            {
                // A partial vector is stored whole (its extra lanes run into the next tile row's first tiles, which
                // that row writes afterwards) except on the band's last row, where they would reach another plane's.
                int lanes = ty < ty1 - 1 ? vw : Math.Min(vw, tl.TilesW - tx);
                // Down each of the six patch columns, then along each of the six resulting rows.
                for (int j = 0; j < 6; j++)
                {
                    float* col = top + (j & 3) * phase + tx + (j >> 2);
                    InputColumn(col, quarter, d + j);
                }
                long t = (long)(ty - ty0) * tl.TilesW + tx;
                for (int i = 0; i < 6; i++)
                {
                    var row = d + 6 * i;
                    var (r0, r1, r2, r3, r4, r5) = InputTransform(row[0], row[1], row[2], row[3], row[4], row[5]);
                    long at = (6 * i) * vStride + t;
                    Store(v, at, r0, lanes, tail, 0);
                    Store(v, at + vStride, r1, lanes, tail, 0);
                    Store(v, at + 2 * vStride, r2, lanes, tail, 0);
                    Store(v, at + 3 * vStride, r3, lanes, tail, 0);
                    Store(v, at + 4 * vStride, r4, lanes, tail, 0);
                    Store(v, at + 5 * vStride, r5, lanes, tail, 0);
                }
            }
        }
    }

    // One row of the source plane s[0, cols) -> the phase rows at dst (phase k at dst + k * phase), padded column
    // p = q + pad to phase p % 4 at p / 4.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SplitPhases(float* s, int cols, int pad, float* dst, long phase)
    {
        int q = 0;
        // Up to the first padded column that is a multiple of 4, then four phases at a time.
        for (; q < cols && ((q + pad) & 3) != 0; q++)
            dst[((q + pad) & 3) * phase + ((q + pad) >> 2)] = s[q];
        float* p0 = dst + ((q + pad) >> 2), p1 = p0 + phase, p2 = p1 + phase, p3 = p2 + phase;
        if (Avx2.IsSupported)
        {
            var index = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
            for (; q + 8 <= cols; q += 8)
            {
                // Eight values p .. p + 7 as (p, p + 4, p + 1, p + 5, ...): each phase's two values adjacent.
                var pairs = Avx2.PermuteVar8x32(Vector256.Load(s + q), index).AsDouble();
                var lo = pairs.GetLower();
                var hi = pairs.GetUpper();
                Sse2.StoreLow((double*)p0, lo);
                Sse2.StoreHigh((double*)p1, lo);
                Sse2.StoreLow((double*)p2, hi);
                Sse2.StoreHigh((double*)p3, hi);
                p0 += 2;
                p1 += 2;
                p2 += 2;
                p3 += 2;
            }
        }
        for (; q < cols; q++)
            dst[((q + pad) & 3) * phase + ((q + pad) >> 2)] = s[q];
    }

    // Six rows of one patch column (col, col + quarter, ...) -> B^T of them, to d[0], d[6], ..., d[30].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputColumn(float* col, int quarter, Vector<float>* d)
    {
        var (r0, r1, r2, r3, r4, r5) = InputTransform(
            Unsafe.ReadUnaligned<Vector<float>>(col),
            Unsafe.ReadUnaligned<Vector<float>>(col + quarter),
            Unsafe.ReadUnaligned<Vector<float>>(col + 2 * quarter),
            Unsafe.ReadUnaligned<Vector<float>>(col + 3 * quarter),
            Unsafe.ReadUnaligned<Vector<float>>(col + 4 * quarter),
            Unsafe.ReadUnaligned<Vector<float>>(col + 5 * quarter));
        d[0] = r0;
        d[6] = r1;
        d[12] = r2;
        d[18] = r3;
        d[24] = r4;
        d[30] = r5;
    }

    // B^T (d0, ..., d5): (4 d0 - 5 d2 + d4, -4 d1 - 4 d2 + d3 + d4, 4 d1 - 4 d2 - d3 + d4, -2 d1 - d2 + 2 d3 + d4,
    // 2 d1 - d2 - 2 d3 + d4, 4 d1 - 5 d3 + d5), grouped so that only additions round.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector<float>, Vector<float>, Vector<float>, Vector<float>, Vector<float>, Vector<float>) InputTransform(
        Vector<float> d0, Vector<float> d1, Vector<float> d2, Vector<float> d3, Vector<float> d4, Vector<float> d5)
    {
        var four = new Vector<float>(4f);
        var two = new Vector<float>(2f);
        var e = d4 - d2;
        var f = two * (d3 - d1);
        return (four * (d0 - d2) + e, d3 + d4 - four * (d1 + d2), d4 - d3 + four * (d1 - d2), e + f, e - f, four * (d1 - d3) + (d5 - d3));
    }

    /// <summary>Tile counts and buffer sizes of F(4x4, 3x3) for one geometry (as <see cref="Tiling"/> for F(2x2, 3x3)).</summary>
    private readonly struct Tiling4
    {
        public Tiling4(in Conv2dGeometry g, int threads)
        {
            TilesH = (g.OutHeight + 3) / 4;
            TilesW = (g.OutWidth + 3) / 4;
            PerImage = TilesH * TilesW;
            // Phase rows wide enough for a full vector load past the last tile (patch columns 4 and 5 read one further).
            Quarter = TilesW + Vector<float>.Count + 1;
            ImagesPerBlock = (int)Math.Clamp((TargetTiles4x4 + PerImage - 1) / PerImage, 1, Math.Max(1, g.Batch));
            int balanced = ConvKernels.BalancedImages(g.Batch, ImagesPerBlock, threads);
            if ((long)balanced * PerImage >= MinTiles) ImagesPerBlock = balanced;
            int band = Math.Max(MinBandTiles, BandFloats / (36 * Math.Max(g.InChannels, g.OutChannels)));
            int rows = ImagesPerBlock == 1 && PerImage > 4 * band ? Math.Max(2, band / TilesW) : TilesH;
            BandRows = (TilesH + (TilesH + rows - 1) / rows - 1) / ((TilesH + rows - 1) / rows);
        }

        /// <summary>Tile rows per band.</summary>
        public int BandRows { get; }

        public int TilesH { get; }

        public int TilesW { get; }

        public int PerImage { get; }

        /// <summary>Row length of each column-phase plane.</summary>
        public int Quarter { get; }

        public int ImagesPerBlock { get; }

        /// <summary>Floats of the four phase planes of one band (4 BandRows + 2 padded rows each).</summary>
        public int PlaneLength => 4 * (4 * BandRows + 2) * Quarter;

        public int VLength(int channels) => (int)(36 * RowStride((long)channels * ImagesPerBlock * Math.Min(PerImage, BandRows * TilesW))) + Vector<float>.Count;
    }
}
