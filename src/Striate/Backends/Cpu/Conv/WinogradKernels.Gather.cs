using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Striate.Backends.Cpu;

public static unsafe partial class WinogradKernels
{
    /// <summary>
    /// Tile rows narrower than this go through the gather transforms: the plane-at-a-time transforms run one vector
    /// along a tile row, so a 4x4 or 8x8 map (2 or 4 tiles a row) left most lanes idle and paid a plane's setup for a
    /// handful of tiles.
    /// </summary>
    private const int GatherTilesW = 8;

    /// <summary>
    /// Whether a block of whole images (one band) is transformed by gathering 8 tiles of one channel at a time,
    /// wherever they lie in the block's images, through a table of offsets shared by every channel.
    /// </summary>
    private static bool Gathers(in Tiling tl) => Avx2.IsSupported && tl.TilesW < GatherTilesW && tl.BandRows >= tl.TilesH;

    /// <summary>
    /// Offsets of the 2x2 output tiles (of the output, or of the output gradient) of a block of whole images: for each
    /// of a tile's 4 points and each tile t, where that point lies relative to the block's first image in one channel
    /// plane, or -1 past the map's edge. Rows are padded to a multiple of 8 tiles with -1.
    /// </summary>
    private readonly struct GatherTable
    {
        public GatherTable(in Tiling tl, int count, int height, int width, long imageStride)
        {
            Tiles = count * tl.PerImage;
            Stride = (Tiles + 7) / 8 * 8;
            if ((count - 1) * imageStride + (long)height * width > int.MaxValue)
                throw new ArgumentException($"WinogradKernels: a block of {count} images of {imageStride} floats is too large for 32-bit gather offsets.");
            Offsets = ArrayPool<int>.Shared.Rent(4 * Stride);
            for (int p = 0; p < 4; p++)
            {
                int pr = p / 2, pc = p % 2;
                int[] row = Offsets;
                int at = p * Stride;
                for (int t = 0; t < Stride; t++)
                {
                    int value = -1;
                    if (t < Tiles)
                    {
                        int i = t / tl.PerImage, tile = t % tl.PerImage;
                        int r = 2 * (tile / tl.TilesW) + pr, c = 2 * (tile % tl.TilesW) + pc;
                        if (r >= 0 && r < height && c >= 0 && c < width)
                            value = (int)(i * imageStride + (long)r * width + c);
                    }
                    row[at + t] = value;
                }
            }
        }

        /// <summary>[4][Stride] offsets, -1 past the map.</summary>
        public int[] Offsets { get; }

        /// <summary>Tiles in the block.</summary>
        public int Tiles { get; }

        /// <summary>Row length of <see cref="Offsets"/>: Tiles rounded up to 8.</summary>
        public int Stride { get; }

        public void Return() => ArrayPool<int>.Shared.Return(Offsets);
    }

    // One block of count whole images [n0, n0 + count) of the forward pass by the gather transforms: the channels
    // go to the threads in both transforms and the 16 GEMMs whole. Pointers as in Forward (ab, ar may be 0).
    private static void ForwardGather(Conv2dGeometry g, Tiling tl, int n0, int count, int threads,
        nint ax, nint au, nint av, nint am, nint ab, nint ar, nint ay, bool relu)
    {
        var input = new InputPatches(g, tl, count);
        var output = new GatherTable(tl, count, g.OutHeight, g.OutWidth, (long)g.OutChannels * g.OutHeight * g.OutWidth);
        float[] own = ArrayPool<float>.Shared.Rent(input.ScratchLength);
        try
        {
            int t = input.Tiles;
            long inPlane = (long)g.InHeight * g.InWidth, outPlane = (long)g.OutHeight * g.OutWidth, imageStride = g.InChannels * inPlane;
            fixed (float* po = own)
                ForPlanes(g.InChannels, threads, input.ScratchLength, po, (c, scratch) =>
                    TransformInputPatches(g, input, (float*)ax + ((long)n0 * g.InChannels + c) * inPlane, imageStride, scratch,
                        (float*)av + (long)c * t, RowStride((long)g.InChannels * t)));
            ForwardGemms(g, 16, t, threads, au, av, am);
            ForPlanes(g.OutChannels, threads, 0, null, (oc, _) =>
            {
                long at = ((long)n0 * g.OutChannels + oc) * outPlane;
                TransformOutputGather((float*)am + (long)oc * t, RowStride((long)g.OutChannels * t), output, ab == 0 ? 0f : ((float*)ab)[oc],
                    ar == 0 ? null : (float*)ar + at, relu, (float*)ay + at);
            });
        }
        finally
        {
            input.Return();
            output.Return();
            ArrayPool<float>.Shared.Return(own);
        }
    }

    /// <summary>
    /// The input side of the gather transforms for a block of whole images: each channel's planes are copied into a
    /// zero-bordered scratch of <see cref="Rows"/> x <see cref="Columns"/> per image, so every tile's 4x4 patch is four
    /// rows of four floats there; <see cref="Bases"/> holds each tile's patch corner (0 past the last tile).
    /// </summary>
    private readonly struct InputPatches
    {
        public InputPatches(in Conv2dGeometry g, in Tiling tl, int count)
        {
            Count = count;
            Tiles = count * tl.PerImage;
            Stride = (Tiles + 7) / 8 * 8;
            Rows = 2 * tl.TilesH + 2;
            Columns = 2 * tl.TilesW + 2;
            Bases = ArrayPool<int>.Shared.Rent(Stride);
            for (int t = 0; t < Stride; t++)
            {
                int i = t / tl.PerImage, tile = t % tl.PerImage;
                Bases[t] = t < Tiles ? i * Rows * Columns + 2 * (tile / tl.TilesW) * Columns + 2 * (tile % tl.TilesW) : 0;
            }
        }

        public int Count { get; }

        public int Tiles { get; }

        public int Stride { get; }

        public int Rows { get; }

        public int Columns { get; }

        public int[] Bases { get; }

        /// <summary>Floats of one channel's padded planes.</summary>
        public int ScratchLength => Count * Rows * Columns;

        public void Return() => ArrayPool<int>.Shared.Return(Bases);
    }

    // x: one channel plane of the block's first image (the others imageStride apart) -> v[xi * vStride + t] for t in
    // [0, Tiles), B^T d B with the same additions, in the same order, as TransformInput. scratch: ScratchLength floats.
    private static void TransformInputPatches(in Conv2dGeometry g, in InputPatches p, float* x, long imageStride, float* scratch, float* v, long vStride)
    {
        int rows = p.Rows, cols = p.Columns, plane = rows * cols;
        new Span<float>(scratch, p.ScratchLength).Clear();
        int r0 = Math.Max(0, -g.PadTop), r1 = Math.Min(g.InHeight, rows - g.PadTop);
        int c0 = Math.Max(0, -g.PadLeft), c1 = Math.Min(g.InWidth, cols - g.PadLeft);
        for (int i = 0; i < p.Count; i++)
            for (int r = r0; r < r1; r++)
                new ReadOnlySpan<float>(x + i * imageStride + (long)r * g.InWidth + c0, c1 - c0)
                    .CopyTo(new Span<float>(scratch + i * plane + (r + g.PadTop) * cols + c0 + g.PadLeft, c1 - c0));
        fixed (int* bases = p.Bases)
        {
            var d = stackalloc Vector256<float>[16];
            for (int t = 0; t < p.Tiles; t += 8)
            {
                int* b = bases + t;
                for (int pr = 0; pr < 4; pr++)
                {
                    // Row pr of eight patches, two per 256-bit register, then a 4x4 transpose in each half:
                    // d[pr, pc] holds column pc of the row for the eight tiles.
                    float* row = scratch + pr * cols;
                    var y0 = Vector256.Create(Vector128.Load(row + b[0]), Vector128.Load(row + b[4]));
                    var y1 = Vector256.Create(Vector128.Load(row + b[1]), Vector128.Load(row + b[5]));
                    var y2 = Vector256.Create(Vector128.Load(row + b[2]), Vector128.Load(row + b[6]));
                    var y3 = Vector256.Create(Vector128.Load(row + b[3]), Vector128.Load(row + b[7]));
                    var t0 = Avx.UnpackLow(y0, y1);
                    var t1 = Avx.UnpackHigh(y0, y1);
                    var t2 = Avx.UnpackLow(y2, y3);
                    var t3 = Avx.UnpackHigh(y2, y3);
                    d[4 * pr] = Avx.Shuffle(t0, t2, 0x44);
                    d[4 * pr + 1] = Avx.Shuffle(t0, t2, 0xEE);
                    d[4 * pr + 2] = Avx.Shuffle(t1, t3, 0x44);
                    d[4 * pr + 3] = Avx.Shuffle(t1, t3, 0xEE);
                }
                for (int j = 0; j < 4; j++)
                {
                    var (a, bb, c, e) = (d[j], d[4 + j], d[8 + j], d[12 + j]);
                    d[j] = a - c;
                    d[4 + j] = bb + c;
                    d[8 + j] = c - bb;
                    d[12 + j] = bb - e;
                }
                var mask = TailMask(p.Tiles - t);
                for (int i = 0; i < 4; i++)
                {
                    var (a, bb, c, e) = (d[4 * i], d[4 * i + 1], d[4 * i + 2], d[4 * i + 3]);
                    StoreMasked(v + (4 * i) * vStride + t, a - c, mask);
                    StoreMasked(v + (4 * i + 1) * vStride + t, bb + c, mask);
                    StoreMasked(v + (4 * i + 2) * vStride + t, c - bb, mask);
                    StoreMasked(v + (4 * i + 3) * vStride + t, bb - e, mask);
                }
            }
        }
    }

    // dy: one channel plane of the block's first image -> u[xi * uStride + t], G e G^T with the same arithmetic as
    // TransformGradient; the table has the 4 points of each 2x2 tile of dy.
    private static void TransformGradientGather(float* dy, in GatherTable table, float* u, long uStride)
    {
        fixed (int* offsets = table.Offsets)
        {
            int stride = table.Stride;
            var half = Vector256.Create(0.5f);
            for (int t = 0; t < table.Tiles; t += 8)
            {
                var e00 = Gather(dy, offsets + t);
                var e01 = Gather(dy, offsets + stride + t);
                var e10 = Gather(dy, offsets + 2 * stride + t);
                var e11 = Gather(dy, offsets + 3 * stride + t);
                var mask = TailMask(table.Tiles - t);
                GradientRow(u + t, uStride, 0, e00, e01, half, mask);
                GradientRow(u + t, uStride, 1, half * (e00 + e10), half * (e01 + e11), half, mask);
                GradientRow(u + t, uStride, 2, half * (e00 - e10), half * (e01 - e11), half, mask);
                GradientRow(u + t, uStride, 3, e10, e11, half, mask);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientRow(float* u, long stride, int i, Vector256<float> p, Vector256<float> q, Vector256<float> half, Vector256<float> mask)
    {
        StoreMasked(u + (4 * i) * stride, p, mask);
        StoreMasked(u + (4 * i + 1) * stride, half * (p + q), mask);
        StoreMasked(u + (4 * i + 2) * stride, half * (p - q), mask);
        StoreMasked(u + (4 * i + 3) * stride, q, mask);
    }

    // m[xi * mStride + t] for one output channel -> y (and residual) at the table's offsets from the block's first
    // image: relu?(A^T m A + bias + residual), the same arithmetic as TransformOutput.
    private static void TransformOutputGather(float* m, long mStride, in GatherTable table, float bias, float* residual, bool relu, float* y)
    {
        fixed (int* offsets = table.Offsets)
        {
            int stride = table.Stride;
            var biasV = Vector256.Create(bias);
            var top = stackalloc Vector256<float>[4];
            var bottom = stackalloc Vector256<float>[4];
            var q = stackalloc float[32];
            for (int t = 0; t < table.Tiles; t += 8)
            {
                for (int j = 0; j < 4; j++)
                {
                    var m0 = Vector256.Load(m + j * mStride + t);
                    var m1 = Vector256.Load(m + (4 + j) * mStride + t);
                    var m2 = Vector256.Load(m + (8 + j) * mStride + t);
                    var m3 = Vector256.Load(m + (12 + j) * mStride + t);
                    top[j] = m0 + m1 + m2;
                    bottom[j] = m1 - m2 - m3;
                }
                (top[0] + top[1] + top[2] + biasV).Store(q);
                (top[1] - top[2] - top[3] + biasV).Store(q + 8);
                (bottom[0] + bottom[1] + bottom[2] + biasV).Store(q + 16);
                (bottom[1] - bottom[2] - bottom[3] + biasV).Store(q + 24);
                int lanes = Math.Min(8, table.Tiles - t);
                for (int p = 0; p < 4; p++)
                {
                    int* at = offsets + p * stride + t;
                    float* values = q + 8 * p;
                    for (int l = 0; l < lanes; l++)
                    {
                        int o = at[l];
                        if (o < 0) continue;
                        float value = values[l];
                        if (residual != null) value += residual[o];
                        if (relu) value = MathF.Max(value, 0f);
                        y[o] = value;
                    }
                }
            }
        }
    }

    // 8 floats at base + offsets[l], zero where an offset is negative.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Gather(float* baseAddress, int* offsets)
    {
        var index = Vector256.Load(offsets);
        var mask = Avx2.CompareGreaterThan(index, Vector256.Create(-1)).AsSingle();
        return Avx2.GatherMaskVector256(Vector256<float>.Zero, baseAddress, index, mask, 4);
    }

    // Lanes [0, valid) set.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> TailMask(int valid) =>
        Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(valid)).AsSingle();

    // Masked stores only for a partial last vector: AVX2's masked store is several times slower than a plain one on
    // some processors (AMD's among them), and every tile but the last eight takes the plain store.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreMasked(float* destination, Vector256<float> value, Vector256<float> mask)
    {
        if (mask.AsInt32()[7] != 0)
            value.Store(destination);
        else
            Avx.MaskStore(destination, mask, value);
    }
}
