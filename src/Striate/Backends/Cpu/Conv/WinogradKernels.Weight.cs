using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Striate.Threading;

namespace Striate.Backends.Cpu;

public static unsafe partial class WinogradKernels
{
    /// <summary>
    /// Tiles per block of images for the weight gradient: the reduction length of its 16 GEMMs. 256 keeps a block's
    /// transformed input and gradient (16 x channels x tiles each) near L2's size; 1,024 put them in L3 and took 5-15%
    /// longer on the CIFAR ResNet-18 layers (batch 64, single thread, CPU time).
    /// </summary>
    private const int WeightTiles = 256;

    // dw: [OC, C, 3, 3] (overwritten) by F(3x3, 2x2): each 2x2 tile e of dy and the 4x4 input patch d under it add
    // A^T [(G e G^T) . (B^T d B)] A to dw, with A^T = [[1,1,1,0],[0,1,-1,0],[0,1,1,1]], G = [[1,0],[1/2,1/2],[1/2,-1/2],[0,1]]
    // and B^T = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,-1,0,1]]. B differs from the forward pass's only in the sign of its
    // last row, so the forward input transform serves and element (i, j) of the sum takes the sign s_i s_j,
    // s = (1, 1, 1, -1), before the output transform. The sums over tiles and images are 16 GEMMs
    // [OC, T] x [T, C] per block of images, accumulated block after block in order (the bits do not depend on the
    // thread count: the GEMMs split their output, not the reduction).
    public static void BackwardWeight(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw)
    {
        KernelSpans.Conv(g, "WinogradKernels.BackwardWeight", x.Length, dw.Length, dy.Length);
        if (!Applies(g)) throw new ArgumentException($"WinogradKernels: {g} is not a 3x3 stride-1 ungrouped convolution with at least {MinChannels} channels.");
        var geo = g;
        var tl = new Tiling(g);
        int oc = g.OutChannels, c = g.InChannels, threads = Parallelism.Threads;
        int images = (int)Math.Clamp((WeightTiles + tl.PerImage - 1) / tl.PerImage, 1, g.Batch);
        long most = (long)images * tl.PerImage, ldMost = RowStride(most);
        int gradHalf = tl.TilesW + Vector<float>.Count, gradLength = 2 * (2 * tl.TilesH) * gradHalf;
        float[] v = ArrayPool<float>.Shared.Rent((int)(16 * RowStride(c * ldMost)) + Vector<float>.Count);
        float[] u = ArrayPool<float>.Shared.Rent((int)(16 * RowStride(oc * ldMost)) + Vector<float>.Count);
        float[] m = ArrayPool<float>.Shared.Rent(16 * oc * c);
        float[] own = ArrayPool<float>.Shared.Rent(Math.Max(tl.PlaneLength, gradLength));
        try
        {
            fixed (float* px = x, pdy = dy, pv = v, pu = u, pm = m, po = own)
            {
                nint ax = (nint)px, ady = (nint)pdy, av = (nint)pv, au = (nint)pu, am = (nint)pm;
                for (int n0 = 0; n0 < g.Batch; n0 += images)
                {
                    int count = Math.Min(images, g.Batch - n0);
                    long t = (long)count * tl.PerImage, ld = RowStride(t);
                    if (Gathers(tl))
                    {
                        TransformBothGather(geo, tl, n0, count, ld, threads, ax, ady, av, au);
                    }
                    else
                    {
                        // Both transforms in one pass over the threads: the input planes, then the gradient planes.
                        int inputPlanes = count * c;
                        ForPlanes(count * (c + oc), threads, Math.Max(tl.PlaneLength, gradLength), po, (idx, scratch) =>
                        {
                            if (idx < inputPlanes)
                            {
                                int i = idx / geo.InChannels, ch = idx % geo.InChannels;
                                TransformInput(geo, tl, (float*)ax + ((long)(n0 + i) * geo.InChannels + ch) * geo.InHeight * geo.InWidth,
                                    scratch, (float*)av + ch * ld + (long)i * tl.PerImage, RowStride(geo.InChannels * ld), 0, tl.TilesH);
                                return;
                            }
                            int j = (idx - inputPlanes) / geo.OutChannels, o = (idx - inputPlanes) % geo.OutChannels;
                            TransformGradient(geo, tl, gradHalf, (float*)ady + ((long)(n0 + j) * geo.OutChannels + o) * geo.OutHeight * geo.OutWidth,
                                scratch, (float*)au + o * ld + (long)j * tl.PerImage, RowStride(geo.OutChannels * ld));
                        });
                    }
                    // The 16 GEMMs go to the threads whole (each single-threaded): one fork per block instead of one
                    // per GEMM, and each product is still computed by the same tile code, so the bits do not change.
                    ForPlanes(16, threads, 0, null, (xi, _) =>
                        Gemm.Sgemm(Gemm.DefaultKernel, 1, false, true, oc, c, (int)t, 1f,
                            new ReadOnlySpan<float>((float*)au + xi * RowStride(oc * ld), (int)(oc * ld)), (int)ld,
                            new ReadOnlySpan<float>((float*)av + xi * RowStride(c * ld), (int)(c * ld)), (int)ld, n0 == 0 ? 0f : 1f,
                            new Span<float>((float*)am + (long)xi * oc * c, oc * c), c));
                }
                fixed (float* pw = dw)
                    TransformWeightGradient(oc, c, pm, pw);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(v);
            ArrayPool<float>.Shared.Return(u);
            ArrayPool<float>.Shared.Return(m);
            ArrayPool<float>.Shared.Return(own);
        }
    }

    // Both transforms of the weight gradient for a block of count whole images by the gather transforms: the input
    // channels, then the gradient channels, over the threads; rows ld floats apart as in BackwardWeight.
    private static void TransformBothGather(Conv2dGeometry g, Tiling tl, int n0, int count, long ld, int threads, nint ax, nint ady, nint av, nint au)
    {
        var input = new InputPatches(g, tl, count);
        var gradient = new GatherTable(tl, count, g.OutHeight, g.OutWidth, (long)g.OutChannels * g.OutHeight * g.OutWidth);
        float[] own = ArrayPool<float>.Shared.Rent(input.ScratchLength);
        try
        {
            long inPlane = (long)g.InHeight * g.InWidth, outPlane = (long)g.OutHeight * g.OutWidth, imageStride = g.InChannels * inPlane;
            fixed (float* po = own)
                ForPlanes(g.InChannels + g.OutChannels, threads, input.ScratchLength, po, (idx, scratch) =>
                {
                    if (idx < g.InChannels)
                        TransformInputPatches(g, input, (float*)ax + ((long)n0 * g.InChannels + idx) * inPlane, imageStride, scratch,
                            (float*)av + idx * ld, RowStride(g.InChannels * ld));
                    else
                    {
                        int o = idx - g.InChannels;
                        TransformGradientGather((float*)ady + ((long)n0 * g.OutChannels + o) * outPlane, gradient, (float*)au + o * ld, RowStride(g.OutChannels * ld));
                    }
                });
        }
        finally
        {
            input.Return();
            gradient.Return();
            ArrayPool<float>.Shared.Return(own);
        }
    }

    // A stride of the transformed tiles rounded up to an odd multiple of 16 floats: rows of t tiles here, and the 16
    // matrices of every Winograd buffer. The GEMMs read 8 to 32 rows at once and the transforms write or read all 16
    // matrices at once; strides a multiple of 4 KB put them all in one L1 set, where they evict each other (1,024
    // tiles, 4 KB: 77 instead of 100 GFLOP/s for the 64-channel GEMMs; 64 channels of 256 tiles: the input transform
    // took 27% of the forward pass).
    private static long RowStride(long t)
    {
        long ld = (t + 15) / 16 * 16;
        return ld / 16 % 2 == 0 ? ld + 16 : ld;
    }

    // One dy plane [OH, OW] -> its tiles' G e G^T, written to u[xi * uStride + t] for t in [0, PerImage). The plane is
    // first split into even and odd columns (zero past the edges) so a tile row's tiles are contiguous vector loads.
    private static void TransformGradient(in Conv2dGeometry g, in Tiling tl, int half, float* src, float* plane, float* u, long uStride)
    {
        int rows = 2 * tl.TilesH, oh = g.OutHeight, ow = g.OutWidth, vw = Vector<float>.Count;
        float* even = plane, odd = plane + (long)rows * half;
        new Span<float>(plane, 2 * rows * half).Clear();
        for (int r = 0; r < oh; r++)
        {
            float* s = src + (long)r * ow;
            float* e = even + (long)r * half, o = odd + (long)r * half;
            int q = SplitEvenOdd(s, 0, ow, e, o);
            for (; q + 1 < ow; q += 2)
            {
                e[q >> 1] = s[q];
                o[q >> 1] = s[q + 1];
            }
            if (q < ow) e[q >> 1] = s[q];
        }
        var halfV = new Vector<float>(0.5f);
        float* tail = stackalloc float[16 * Vector<float>.Count];
        for (int ty = 0; ty < tl.TilesH; ty++)
        {
            float* e0 = even + (long)2 * ty * half, o0 = odd + (long)2 * ty * half;
            for (int tx = 0; tx < tl.TilesW; tx += vw)
            {
                int lanes = Math.Min(vw, tl.TilesW - tx);
                var e00 = Unsafe.ReadUnaligned<Vector<float>>(e0 + tx);
                var e01 = Unsafe.ReadUnaligned<Vector<float>>(o0 + tx);
                var e10 = Unsafe.ReadUnaligned<Vector<float>>(e0 + half + tx);
                var e11 = Unsafe.ReadUnaligned<Vector<float>>(o0 + half + tx);
                long t = (long)ty * tl.TilesW + tx;
                // G e: four rows of two; then each row (p, q) -> (p, (p + q) / 2, (p - q) / 2, q).
                Row(u, uStride, t, 0, e00, e01, halfV, lanes, tail);
                Row(u, uStride, t, 1, halfV * (e00 + e10), halfV * (e01 + e11), halfV, lanes, tail);
                Row(u, uStride, t, 2, halfV * (e00 - e10), halfV * (e01 - e11), halfV, lanes, tail);
                Row(u, uStride, t, 3, e10, e11, halfV, lanes, tail);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row(float* u, long stride, long t, int i, Vector<float> p, Vector<float> q, Vector<float> halfV, int lanes, float* tail)
    {
        Store(u, (4 * i) * stride + t, p, lanes, tail, 4 * i);
        Store(u, (4 * i + 1) * stride + t, halfV * (p + q), lanes, tail, 4 * i + 1);
        Store(u, (4 * i + 2) * stride + t, halfV * (p - q), lanes, tail, 4 * i + 2);
        Store(u, (4 * i + 3) * stride + t, q, lanes, tail, 4 * i + 3);
    }

    // m: [16][OC][C] -> w: [OC, C, 3, 3] = A^T (s s^T . m) A, s = (1, 1, 1, -1).
    private static void TransformWeightGradient(int oc, int c, float* m, float* w)
    {
        long stride = (long)oc * c;
        float* k = stackalloc float[16];
        float* r = stackalloc float[12];
        int vectorEnd = Avx.IsSupported ? c / 8 * 8 : 0;
        for (int o = 0; o < oc; o++)
        {
            for (int ch = 0; ch < vectorEnd; ch += 8)
                WeightGradient8(m + (long)o * c + ch, stride, w + ((long)o * c + ch) * 9);
            for (int ch = vectorEnd; ch < c; ch++)
            {
                float* src = m + (long)o * c + ch;
                for (int xi = 0; xi < 16; xi++)
                    k[xi] = (xi / 4 == 3) != (xi % 4 == 3) ? -src[xi * stride] : src[xi * stride];
                for (int j = 0; j < 4; j++)
                {
                    r[j] = k[j] + k[4 + j] + k[8 + j];
                    r[4 + j] = k[4 + j] - k[8 + j];
                    r[8 + j] = k[4 + j] + k[8 + j] + k[12 + j];
                }
                float* dst = w + ((long)o * c + ch) * 9;
                for (int a = 0; a < 3; a++)
                {
                    dst[3 * a] = r[4 * a] + r[4 * a + 1] + r[4 * a + 2];
                    dst[3 * a + 1] = r[4 * a + 1] - r[4 * a + 2];
                    dst[3 * a + 2] = r[4 * a + 1] + r[4 * a + 2] + r[4 * a + 3];
                }
            }
        }
    }

    // The same for eight consecutive input channels: m points at m[0][o][ch] (the 16 matrices stride apart), w at
    // their 72 weights. The arithmetic per kernel is the scalar loop's; the 9 x 8 results are transposed through a
    // small buffer into the eight kernels' rows.
    private static void WeightGradient8(float* m, long stride, float* w)
    {
        var k = stackalloc Vector256<float>[16];
        for (int xi = 0; xi < 16; xi++)
        {
            var value = Vector256.Load(m + xi * stride);
            k[xi] = (xi / 4 == 3) != (xi % 4 == 3) ? -value : value;
        }
        var r = stackalloc Vector256<float>[12];
        for (int j = 0; j < 4; j++)
        {
            r[j] = k[j] + k[4 + j] + k[8 + j];
            r[4 + j] = k[4 + j] - k[8 + j];
            r[8 + j] = k[4 + j] + k[8 + j] + k[12 + j];
        }
        float* taps = stackalloc float[72];
        for (int a = 0; a < 3; a++)
        {
            (r[4 * a] + r[4 * a + 1] + r[4 * a + 2]).Store(taps + 8 * (3 * a));
            (r[4 * a + 1] - r[4 * a + 2]).Store(taps + 8 * (3 * a + 1));
            (r[4 * a + 1] + r[4 * a + 2] + r[4 * a + 3]).Store(taps + 8 * (3 * a + 2));
        }
        for (int lane = 0; lane < 8; lane++)
            for (int t = 0; t < 9; t++)
                w[lane * 9 + t] = taps[8 * t + lane];
    }
}
