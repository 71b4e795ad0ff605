using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Striate.Threading;

namespace Striate.Backends.Cpu;

/// <summary>
/// Winograd's minimal filtering F(2x2, 3x3) for 3x3, stride-1, undilated, ungrouped convolutions (Lavin and Gray,
/// "Fast algorithms for convolutional neural networks", 2016): each 2x2 output tile is A^T [(G g G^T) . (B^T d B)] A
/// for the 4x4 input patch d, so the channel sums become 16 GEMMs [OC, C] x [C, tiles] with 16 multiplies per tile
/// and channel pair instead of 36 (2.25x fewer). Used where the channel counts make the GEMMs worthwhile.
/// </summary>
/// <remarks>
/// Layout: U [16][OC][C] (transformed weights), V [16][C][T] (transformed input tiles of a block of images side
/// by side), M [16][OC][T]. The input transform reads a zero-bordered plane split into even and odd columns, so the
/// tiles of one tile row are contiguous vector loads; the output transform applies bias, residual and ReLU as it
/// writes each tile. Blocks of images, threads and the GEMMs' fixed k order keep the result independent of the
/// thread count. The error against the direct sum is a few float roundings (the transforms only add, subtract
/// and halve); WinogradTests bound it at 1e-5 relative.
/// </remarks>
public static unsafe partial class WinogradKernels
{
    /// <summary>Smallest channel counts for which the 16 small GEMMs beat one im2col GEMM.</summary>
    private const int MinChannels = 32;

    /// <summary>
    /// Smallest output map (4x4) for which the transforms pay off. With the gather transforms, a 512-channel layer on
    /// 4x4 maps at batch 64 ran its forward pass in 28 ms instead of im2col's 53 ms (single thread, CPU time); before
    /// them, with a plane's setup paid for every 4 tiles, it ran about 20% slower than im2col.
    /// </summary>
    private const int MinOutputs = 16;

    /// <summary>
    /// Fewest tiles per GEMM. The weights' transform costs as much per channel pair whatever the number of tiles, so
    /// few tiles do not pay for it: a 512-channel 7x7 layer ran 2.3x slower than im2col for one image (16 tiles) and
    /// 15% slower for two (32), 13% faster for four (64); a 256-channel 14x14 image (49 tiles) ran 21% faster
    /// (single thread, CPU time, with the gather transforms).
    /// </summary>
    private const int MinTiles = 48;

    /// <summary>Tiles per block the images are gathered to reach.</summary>
    private const int TargetTiles = 256;

    /// <summary>
    /// Floats of transformed input per band of tile rows when one image has many tiles: a 224x224 image has 12,544
    /// tiles, whose transformed input and output (16 x channels x tiles each, 51 MB at 64 channels) went through
    /// memory three times; bands of about 2 MB (512 tiles at 64 channels, 256 at 128) keep them in cache.
    /// </summary>
    private const int BandFloats = 1 << 19;

    /// <summary>Fewest tiles per band (fewer make the 16 GEMMs ragged).</summary>
    private const int MinBandTiles = 256;

    /// <summary>
    /// Fewest tiles per GEMM when the weights' transform is kept between calls (<see cref="ConvWeightCache"/>): then only
    /// the GEMMs and the data transforms are paid per call. A 512-channel 7x7 layer at batch 1 (16 tiles, one 16-column
    /// panel) ran in 1.9 ms against im2col's 2.9 ms (single thread, CPU time).
    /// </summary>
    private const int MinTilesCached = 16;

    /// <summary>Whether F(2x2, 3x3) applies to <paramref name="g"/> (and is worth it).</summary>
    public static bool Applies(in Conv2dGeometry g) => Applies(g, weightsKept: false);

    /// <summary>The same, knowing whether the transformed weights are kept between calls (which makes fewer tiles worth it).</summary>
    public static bool Applies(in Conv2dGeometry g, bool weightsKept) =>
        g.KernelHeight == 3 && g.KernelWidth == 3 && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1 &&
        g.Groups == 1 && g.InChannels >= MinChannels && g.OutChannels >= MinChannels && (long)g.OutHeight * g.OutWidth >= MinOutputs && g.OutWidth >= 2 &&
        g.PadTop >= 0 && g.PadLeft >= 0 && g.PadTop <= 2 && g.PadLeft <= 2 && TilesPerGemm(g) >= (weightsKept ? MinTilesCached : MinTiles);

    /// <summary>Columns of the 16 GEMMs: the tiles of one block of images.</summary>
    private static long TilesPerGemm(in Conv2dGeometry g)
    {
        long perImage = (long)((g.OutHeight + 1) / 2) * ((g.OutWidth + 1) / 2);
        long images = Math.Clamp((TargetTiles + perImage - 1) / perImage, 1, Math.Max(1, g.Batch));
        return perImage * images;
    }

    // x: [N, C, H, W]; w: [OC, C, 3, 3]; bias: [OC] or empty; residual: [N, OC, OH, OW] or empty; y: [N, OC, OH, OW].
    // cache: where the transformed weights are kept between calls (taken from it when there, stored in it when not), or null.
    public static void Forward(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> residual, bool relu, Span<float> y, ConvWeightCache? cache = null)
    {
        KernelSpans.Conv(g, "WinogradKernels.Forward", x.Length, w.Length, y.Length, bias.Length, residual.Length);
        if (!Applies(g, cache is not null)) throw new ArgumentException($"WinogradKernels: {g} is not a 3x3 stride-1 ungrouped convolution with at least {MinChannels} channels.");
        var geo = g;
        var tiles = new Tiling(g, Parallelism.Threads);
        float[] u = TransformedWeights(g, 16, w, cache, &TransformWeights, out float[]? rented);
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
                        if (Gathers(tiles))
                        {
                            ForwardGather(geo, tiles, n0, count, gemmThreads, ax, au, av, am, hasBias ? ab : 0, hasResidual ? ar : 0, ay, relu);
                            return;
                        }
                        ForPlanes(count * geo.InChannels, gemmThreads, tiles.PlaneLength, pp, (idx, scratch) =>
                        {
                            int i = idx / geo.InChannels, c = idx % geo.InChannels;
                            TransformInput(geo, tiles, (float*)ax + ((long)(n0 + i) * geo.InChannels + c) * geo.InHeight * geo.InWidth,
                                scratch, (float*)av + (long)c * t + (long)i * band, RowStride((long)geo.InChannels * t), ty0, ty1);
                        });
                        ForwardGemms(geo, 16, t, gemmThreads, au, av, am);
                        long outPlane = (long)geo.OutHeight * geo.OutWidth;
                        ForPlanes(count * geo.OutChannels, gemmThreads, 0, null, (idx, _) =>
                        {
                            int i = idx / geo.OutChannels, oc = idx % geo.OutChannels;
                            long at = ((long)(n0 + i) * geo.OutChannels + oc) * outPlane;
                            TransformOutput(geo, tiles, (float*)am + (long)oc * t + (long)i * band, RowStride((long)geo.OutChannels * t),
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

    private delegate void ItemBody(int n0, int count, int ty0, int ty1, int gemmThreads, float* v, float* m, float* plane);

    // The forward pass's work items: blocks of imagesPerBlock images, each in bands of bandRows tile rows. Several
    // items go to the threads whole (body's GEMMs and transforms then single-threaded); a single one runs here and shares
    // its GEMMs and transforms between the threads. body gets each item's images [n0, n0 + count), tile rows [ty0, ty1)
    // and pooled buffers of vLength, mLength and planeLength floats (one set per thread).
    private static void ForItems(in Conv2dGeometry g, int imagesPerBlock, int tilesH, int bandRows, int vLength, int mLength, int planeLength, ItemBody body)
    {
        int batch = g.Batch;
        int blocks = (batch + imagesPerBlock - 1) / imagesPerBlock;
        int bands = (tilesH + bandRows - 1) / bandRows, items = blocks * bands;
        bool spread = items > 1 && Parallelism.Threads > 1;
        int parts = spread ? Math.Min(Parallelism.Threads, items) : 1;
        Parallelism.For(parts, parts, part =>
        {
            int first = (int)((long)part * items / parts), end = (int)((long)(part + 1) * items / parts);
            int gemmThreads = spread ? 1 : Parallelism.Threads;
            float[] v = ArrayPool<float>.Shared.Rent(vLength);
            float[] m = ArrayPool<float>.Shared.Rent(mLength);
            float[] plane = ArrayPool<float>.Shared.Rent(planeLength);
            try
            {
                fixed (float* pv = v, pm = m, pp = plane)
                    for (int item = first; item < end; item++)
                    {
                        int n0 = item / bands * imagesPerBlock, ty0 = item % bands * bandRows;
                        body(n0, Math.Min(imagesPerBlock, batch - n0), ty0, Math.Min(tilesH, ty0 + bandRows), gemmThreads, pv, pm, pp);
                    }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(v);
                ArrayPool<float>.Shared.Return(m);
                ArrayPool<float>.Shared.Return(plane);
            }
        });
    }

    // M[xi] = U[xi] V[xi] for the 16 (or 36) matrices of one work item of t tiles (buffers as in Forward), the GEMMs going
    // to the threads whole: one fork, not one per GEMM; each product is computed by the same tile code either way.
    private static void ForwardGemms(Conv2dGeometry g, int matrices, int t, int threads, nint au, nint av, nint am) =>
        ForPlanes(matrices, threads, 0, null, (xi, _) =>
            Gemm.Sgemm(Gemm.DefaultKernel, 1, false, false, g.OutChannels, t, g.InChannels, 1f,
                new ReadOnlySpan<float>((float*)au + (long)xi * g.OutChannels * g.InChannels, g.OutChannels * g.InChannels), g.InChannels,
                new ReadOnlySpan<float>((float*)av + xi * RowStride((long)g.InChannels * t), g.InChannels * t), t, 0f,
                new Span<float>((float*)am + xi * RowStride((long)g.OutChannels * t), g.OutChannels * t), t));

    /// <summary>
    /// Runs body(index, scratch) for every index in [0, total): on this thread with <paramref name="own"/> as scratch,
    /// or, when the GEMMs are threaded, split over the threads, each with its own pooled scratch of
    /// <paramref name="scratchLength"/> floats. The planes are independent, so the split cannot change results.
    /// </summary>
    private static void ForPlanes(int total, int threads, int scratchLength, float* own, PlaneBody body)
    {
        if (threads <= 1 || total < 2)
        {
            for (int idx = 0; idx < total; idx++) body(idx, own);
            return;
        }
        // Chunks of about an eighth of a thread's share, handed to whichever thread is free: with one half each, the
        // first thread to finish waited for the other (about 35 microseconds per call in ResNet-18 at batch 1).
        int chunk = Math.Max(1, total / (8 * threads)), chunks = (total + chunk - 1) / chunk;
        Parallelism.For(chunks, threads, part =>
        {
            float[]? buffer = scratchLength > 0 ? ArrayPool<float>.Shared.Rent(scratchLength) : null;
            try
            {
                fixed (float* scratch = buffer)
                    for (int idx = part * chunk, end = Math.Min(total, idx + chunk); idx < end; idx++)
                        body(idx, scratch);
            }
            finally
            {
                if (buffer is not null) ArrayPool<float>.Shared.Return(buffer);
            }
        });
    }

    private delegate void PlaneBody(int index, float* scratch);

    // Tile rows [ty0, ty1) of one input plane [H, W] -> their tiles' B^T d B, written to v[xi * vStride + t], t counted
    // from the band's first tile. B^T = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]].
    private static void TransformInput(in Conv2dGeometry g, in Tiling tl, float* src, float* plane, float* v, long vStride, int ty0, int ty1)
    {
        int half = tl.HalfWidth;
        float* even = plane, odd = plane + (long)tl.Rows * half;
        // The band reads padded rows [2 ty0, 2 ty1 + 2), kept from row 0 of the even and odd planes.
        int first = 2 * ty0, last = 2 * ty1 + 2;
        new Span<float>(even, (last - first) * half).Clear();
        new Span<float>(odd, (last - first) * half).Clear();
        int cols = Math.Min(g.InWidth, 2 * half - g.PadLeft);
        // Padded column p = q + PadLeft goes to even[p / 2] or odd[p / 2]; source column q = p - PadLeft.
        for (int r = Math.Max(0, first - g.PadTop), rEnd = Math.Min(g.InHeight, last - g.PadTop); r < rEnd; r++)
        {
            float* s = src + (long)r * g.InWidth - g.PadLeft;
            float* e = even + (long)(r + g.PadTop - first) * half, o = odd + (long)(r + g.PadTop - first) * half;
            int p = g.PadLeft, end = cols + g.PadLeft;
            if ((p & 1) == 1)
            {
                o[p >> 1] = s[p];
                p++;
            }
            p = SplitEvenOdd(s, p, end, e, o);
            for (; p + 1 < end; p += 2)
            {
                e[p >> 1] = s[p];
                o[p >> 1] = s[p + 1];
            }
            if (p < end) e[p >> 1] = s[p];
        }
        int vw = Vector<float>.Count;
        float* tail = stackalloc float[16 * Vector<float>.Count];
        for (int ty = ty0; ty < ty1; ty++)
        {
            float* e = even + (long)2 * (ty - ty0) * half, o = odd + (long)2 * (ty - ty0) * half;
            for (int tx = 0; tx < tl.TilesW; tx += vw)
            {
                int lanes = Math.Min(vw, tl.TilesW - tx);
                if (lanes == vw)
                {
                    InputTiles(e + tx, o + tx, half, v + (long)(ty - ty0) * tl.TilesW + tx, vStride);
                    continue;
                }
                var d = new Rows4();
                for (int i = 0; i < 4; i++)
                {
                    float* ei = e + (long)i * half + tx, oi = o + (long)i * half + tx;
                    d[i, 0] = Unsafe.ReadUnaligned<Vector<float>>(ei);
                    d[i, 1] = Unsafe.ReadUnaligned<Vector<float>>(oi);
                    d[i, 2] = Unsafe.ReadUnaligned<Vector<float>>(ei + 1);
                    d[i, 3] = Unsafe.ReadUnaligned<Vector<float>>(oi + 1);
                }
                long t = (long)(ty - ty0) * tl.TilesW + tx;
                for (int j = 0; j < 4; j++)
                {
                    var (a, b, c, dd) = (d[0, j], d[1, j], d[2, j], d[3, j]);
                    d[0, j] = a - c;
                    d[1, j] = b + c;
                    d[2, j] = c - b;
                    d[3, j] = b - dd;
                }
                for (int i = 0; i < 4; i++)
                {
                    var (a, b, c, dd) = (d[i, 0], d[i, 1], d[i, 2], d[i, 3]);
                    Store(v, (4 * i) * vStride + t, a - c, lanes, tail, 4 * i);
                    Store(v, (4 * i + 1) * vStride + t, b + c, lanes, tail, 4 * i + 1);
                    Store(v, (4 * i + 2) * vStride + t, c - b, lanes, tail, 4 * i + 2);
                    Store(v, (4 * i + 3) * vStride + t, b - dd, lanes, tail, 4 * i + 3);
                }
            }
        }
    }

    // A full vector of tiles: e, o point at the tiles' first even and odd columns in the patch's first row (rows are
    // half apart); v[xi * vStride] receives B^T d B, the arithmetic of the general loop in TransformInput with every
    // value in a local so nothing goes through memory.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputTiles(float* e, float* o, int half, float* v, long vStride)
    {
        // Column pass on each of the four patch columns: (a - c, b + c, c - b, b - d) down the rows.
        var c0 = Column(e, half, out var c0b, out var c0c, out var c0d);
        var c1 = Column(o, half, out var c1b, out var c1c, out var c1d);
        var c2 = Column(e + 1, half, out var c2b, out var c2c, out var c2d);
        var c3 = Column(o + 1, half, out var c3b, out var c3c, out var c3d);
        // Row pass on each of the four resulting rows, written as the 16 matrices.
        StoreRow(v, vStride, 0, c0, c1, c2, c3);
        StoreRow(v, vStride, 1, c0b, c1b, c2b, c3b);
        StoreRow(v, vStride, 2, c0c, c1c, c2c, c3c);
        StoreRow(v, vStride, 3, c0d, c1d, c2d, c3d);
    }

    // The column pass for one patch column: rows x[0], x[half], x[2 half], x[3 half] -> (a - c, b + c, c - b, b - d).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Column(float* x, int half, out Vector<float> second, out Vector<float> third, out Vector<float> fourth)
    {
        var a = Unsafe.ReadUnaligned<Vector<float>>(x);
        var b = Unsafe.ReadUnaligned<Vector<float>>(x + half);
        var c = Unsafe.ReadUnaligned<Vector<float>>(x + 2 * half);
        var d = Unsafe.ReadUnaligned<Vector<float>>(x + 3 * half);
        second = b + c;
        third = c - b;
        fourth = b - d;
        return a - c;
    }

    // Row i of the column-transformed patch (a, b, c, d) -> matrices 4i .. 4i + 3: a - c, b + c, c - b, b - d.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* v, long vStride, int i, Vector<float> a, Vector<float> b, Vector<float> c, Vector<float> d)
    {
        Unsafe.WriteUnaligned(v + (4 * i) * vStride, a - c);
        Unsafe.WriteUnaligned(v + (4 * i + 1) * vStride, b + c);
        Unsafe.WriteUnaligned(v + (4 * i + 2) * vStride, c - b);
        Unsafe.WriteUnaligned(v + (4 * i + 3) * vStride, b - d);
    }

    // From an even p, e[p / 2 + j] = s[p + 2j] and o[p / 2 + j] = s[p + 2j + 1], 8 pairs at a time while 16 values
    // remain before end; returns the p where it stopped (the caller finishes the row).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SplitEvenOdd(float* s, int p, int end, float* e, float* o)
    {
        if (!Avx2.IsSupported)
            return p;
        for (; p + 16 <= end; p += 16)
        {
            var lo = Vector256.Load(s + p);
            var hi = Vector256.Load(s + p + 8);
            // Within each 128-bit half: (lo0, lo2, hi0, hi2); then the 64-bit pairs in order 0, 2, 1, 3.
            var evens = Avx.Shuffle(lo, hi, 0x88).AsDouble();
            var odds = Avx.Shuffle(lo, hi, 0xDD).AsDouble();
            Avx2.Permute4x64(evens, 0xD8).AsSingle().Store(e + (p >> 1));
            Avx2.Permute4x64(odds, 0xD8).AsSingle().Store(o + (p >> 1));
        }
        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* v, long at, Vector<float> value, int lanes, float* tail, int slot)
    {
        if (lanes == Vector<float>.Count)
        {
            Unsafe.WriteUnaligned(v + at, value);
            return;
        }
        float* tmp = tail + slot * Vector<float>.Count;
        Unsafe.WriteUnaligned(tmp, value);
        for (int l = 0; l < lanes; l++) v[at + l] = tmp[l];
    }

    // m[xi * mStride + t] for one output channel, t counted from the first tile of rows [ty0, ty1) -> those rows of
    // y [OH, OW] = relu?(A^T m A + bias + residual), A^T = [[1,1,1,0],[0,1,-1,-1]].
    // Vector-wide over tiles (the M rows are contiguous in t); the four results per tile are then interleaved into y.
    private static void TransformOutput(in Conv2dGeometry g, in Tiling tl, float* m, long mStride, float bias, float* residual, bool relu, float* y, int ty0, int ty1)
    {
        int oh = g.OutHeight, ow = g.OutWidth, vw = Vector<float>.Count;
        float* q = stackalloc float[4 * Vector<float>.Count];
        var biasV = new Vector<float>(bias);
        for (int ty = ty0; ty < ty1; ty++)
            for (int tx = 0; tx < tl.TilesW; tx += vw)
            {
                long t = (long)(ty - ty0) * tl.TilesW + tx;
                // Rows: s0 = m0 + m1 + m2, s1 = m1 - m2 - m3 (each a row of four); then the same over columns.
                Vector<float> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
                for (int j = 0; j < 4; j++)
                {
                    var m0 = Unsafe.ReadUnaligned<Vector<float>>(m + j * mStride + t);
                    var m1 = Unsafe.ReadUnaligned<Vector<float>>(m + (4 + j) * mStride + t);
                    var m2 = Unsafe.ReadUnaligned<Vector<float>>(m + (8 + j) * mStride + t);
                    var m3 = Unsafe.ReadUnaligned<Vector<float>>(m + (12 + j) * mStride + t);
                    var top = m0 + m1 + m2;
                    var bottom = m1 - m2 - m3;
                    switch (j)
                    {
                        case 0: s00 = top; s10 = bottom; break;
                        case 1: s01 = top; s11 = bottom; break;
                        case 2: s02 = top; s12 = bottom; break;
                        default: s03 = top; s13 = bottom; break;
                    }
                }
                Unsafe.WriteUnaligned(q, s00 + s01 + s02 + biasV);
                Unsafe.WriteUnaligned(q + vw, s01 - s02 - s03 + biasV);
                Unsafe.WriteUnaligned(q + 2 * vw, s10 + s11 + s12 + biasV);
                Unsafe.WriteUnaligned(q + 3 * vw, s11 - s12 - s13 + biasV);
                int lanes = Math.Min(vw, tl.TilesW - tx);
                for (int a = 0; a < 2; a++)
                {
                    int r = 2 * ty + a;
                    if (r >= oh) break;
                    float* left = q + 2 * a * vw, right = left + vw;
                    float* dst = y + (long)r * ow;
                    float* res = residual == null ? null : residual + (long)r * ow;
                    if (Avx2.IsSupported && vw == 8 && lanes == 8 && 2 * (tx + 8) <= ow)
                    {
                        InterleaveRow(left, right, res == null ? null : res + 2 * tx, relu, dst + 2 * tx);
                        continue;
                    }
                    for (int l = 0; l < lanes; l++)
                    {
                        int col = 2 * (tx + l);
                        float v0 = left[l], v1 = right[l];
                        if (res != null)
                        {
                            v0 += res[col];
                            if (col + 1 < ow) v1 += res[col + 1];
                        }
                        if (relu)
                        {
                            v0 = MathF.Max(v0, 0f);
                            v1 = MathF.Max(v1, 0f);
                        }
                        dst[col] = v0;
                        if (col + 1 < ow) dst[col + 1] = v1;
                    }
                }
            }
    }

    // dst[2l] = left[l], dst[2l + 1] = right[l] for 8 tiles (16 outputs), plus the residual and ReLU as in the scalar
    // loop of TransformOutput (the same operations in the same order).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InterleaveRow(float* left, float* right, float* residual, bool relu, float* dst)
    {
        var l = Vector256.Load(left);
        var r = Vector256.Load(right);
        var low = Avx.UnpackLow(l, r);
        var high = Avx.UnpackHigh(l, r);
        var first = Avx.Permute2x128(low, high, 0x20);
        var second = Avx.Permute2x128(low, high, 0x31);
        if (residual != null)
        {
            first += Vector256.Load(residual);
            second += Vector256.Load(residual + 8);
        }
        if (relu)
        {
            first = Vector256.Max(first, Vector256<float>.Zero);
            second = Vector256.Max(second, Vector256<float>.Zero);
        }
        first.Store(dst);
        second.Store(dst + 8);
    }

    /// <summary>Tile counts and buffer sizes for one geometry.</summary>
    private readonly struct Tiling
    {
        // threads > 1 (the forward pass, whose bits do not depend on the blocking: a block's tile columns are
        // independent) evens out the blocks over the threads while each keeps at least MinTiles tiles.
        public Tiling(in Conv2dGeometry g, int threads = 1)
        {
            TilesH = (g.OutHeight + 1) / 2;
            TilesW = (g.OutWidth + 1) / 2;
            PerImage = TilesH * TilesW;
            Rows = 2 * TilesH + 2;
            // Even and odd column planes, wide enough for a full vector load past the last tile.
            HalfWidth = TilesW + Vector<float>.Count + 1;
            ImagesPerBlock = (int)Math.Clamp((TargetTiles + PerImage - 1) / PerImage, 1, Math.Max(1, g.Batch));
            int balanced = ConvKernels.BalancedImages(g.Batch, ImagesPerBlock, threads);
            if ((long)balanced * PerImage >= MinTiles) ImagesPerBlock = balanced;
            // One image per block with many tiles: bands of whole tile rows (shapes only, so the bits do not depend
            // on the thread count); otherwise one band of every row.
            int band = Math.Max(MinBandTiles, BandFloats / (16 * Math.Max(g.InChannels, g.OutChannels)));
            int rows = ImagesPerBlock == 1 && PerImage > 4 * band ? Math.Max(2, band / TilesW) : TilesH;
            // Rows spread evenly over the bands, so the last band is not a ragged sliver.
            BandRows = (TilesH + (TilesH + rows - 1) / rows - 1) / ((TilesH + rows - 1) / rows);
        }

        /// <summary>Tile rows per band.</summary>
        public int BandRows { get; }

        public int TilesH { get; }

        public int TilesW { get; }

        public int PerImage { get; }

        public int Rows { get; }

        public int HalfWidth { get; }

        public int ImagesPerBlock { get; }

        public int PlaneLength => 2 * Rows * HalfWidth;

        public int VLength(int channels) => (int)(16 * RowStride((long)channels * ImagesPerBlock * Math.Min(PerImage, BandRows * TilesW))) + Vector<float>.Count;
    }

    /// <summary>A 4x4 patch of vectors (one lane per tile), indexed [row, column].</summary>
    [InlineArray(16)]
    private struct Rows4
    {
        private Vector<float> _first;

        public Vector<float> this[int i, int j]
        {
            get => this[4 * i + j];
            set => this[4 * i + j] = value;
        }
    }
}
