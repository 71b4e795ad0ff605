using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Striate.Backends.Cpu;

// F(4x4, 3x3)'s output transform: A^T m A per tile with bias, residual and ReLU, interleaved into the output rows.
public static unsafe partial class WinogradKernels
{
    // m[xi * mStride + t] for one output channel, t counted from the first tile of rows [ty0, ty1) -> those rows of
    // y [OH, OW] = relu?(A^T m A + bias + residual); vector-wide over the tiles of a tile row, then each output row's
    // four values per tile interleaved into y.
    private static void TransformOutput4x4(in Conv2dGeometry g, in Tiling4 tl, float* m, long mStride, float bias, float* residual, bool relu, float* y, int ty0, int ty1)
    {
        int oh = g.OutHeight, ow = g.OutWidth, vw = Vector<float>.Count;
        var s = stackalloc Vector<float>[24];
        float* q = stackalloc float[4 * Vector<float>.Count];
        var biasV = new Vector<float>(bias);
        for (int ty = ty0; ty < ty1; ty++)
            for (int tx = 0; tx < tl.TilesW; tx += vw)
            {
                long t = (long)(ty - ty0) * tl.TilesW + tx;
                // Down each of the six columns of m (four rows out), then along each of the four rows.
                for (int j = 0; j < 6; j++)
                {
                    float* col = m + j * mStride + t;
                    var (o0, o1, o2, o3) = OutputTransform(
                        Unsafe.ReadUnaligned<Vector<float>>(col),
                        Unsafe.ReadUnaligned<Vector<float>>(col + 6 * mStride),
                        Unsafe.ReadUnaligned<Vector<float>>(col + 12 * mStride),
                        Unsafe.ReadUnaligned<Vector<float>>(col + 18 * mStride),
                        Unsafe.ReadUnaligned<Vector<float>>(col + 24 * mStride),
                        Unsafe.ReadUnaligned<Vector<float>>(col + 30 * mStride));
                    s[j] = o0;
                    s[6 + j] = o1;
                    s[12 + j] = o2;
                    s[18 + j] = o3;
                }
                int lanes = Math.Min(vw, tl.TilesW - tx);
                for (int a = 0; a < 4; a++)
                {
                    int r = 4 * ty + a;
                    if (r >= oh) break;
                    var row = s + 6 * a;
                    var (c0, c1, c2, c3) = OutputTransform(row[0], row[1], row[2], row[3], row[4], row[5]);
                    c0 += biasV;
                    c1 += biasV;
                    c2 += biasV;
                    c3 += biasV;
                    float* dst = y + (long)r * ow + 4 * tx;
                    float* res = residual == null ? null : residual + (long)r * ow + 4 * tx;
                    int valid = Math.Min(4 * lanes, ow - 4 * tx);
                    if (Avx2.IsSupported && vw == 8)
                    {
                        InterleaveFour(c0.AsVector256(), c1.AsVector256(), c2.AsVector256(), c3.AsVector256(), res, relu, dst, valid, q);
                        continue;
                    }
                    for (int l = 0; l < vw; l++)
                    {
                        q[4 * l] = c0[l];
                        q[4 * l + 1] = c1[l];
                        q[4 * l + 2] = c2[l];
                        q[4 * l + 3] = c3[l];
                    }
                    FinishRow(q, res, relu, dst, 0, valid);
                }
            }
    }

    // dst[j] = relu?(q[j] + residual[j]) for j in [from, to): the outputs past the last whole vector.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FinishRow(float* q, float* residual, bool relu, float* dst, int from, int to)
    {
        for (int j = from; j < to; j++)
        {
            float value = q[j];
            if (residual != null) value += residual[j];
            if (relu) value = MathF.Max(value, 0f);
            dst[j] = value;
        }
    }

    // A^T (m0, ..., m5): (m0 + m1 + m2 + m3 + m4, m1 - m2 + 2 (m3 - m4), m1 + m2 + 4 (m3 + m4), m1 - m2 + 8 (m3 - m4) + m5).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector<float>, Vector<float>, Vector<float>, Vector<float>) OutputTransform(
        Vector<float> m0, Vector<float> m1, Vector<float> m2, Vector<float> m3, Vector<float> m4, Vector<float> m5)
    {
        var a = m1 + m2;
        var b = m1 - m2;
        var c = m3 + m4;
        var d = m3 - m4;
        return (m0 + a + c, b + new Vector<float>(2f) * d, a + new Vector<float>(4f) * c, b + new Vector<float>(8f) * d + m5);
    }

    // dst[4l + k] = column k's lane l for 8 tiles (32 outputs, of which the first `valid` are written), plus the residual
    // and ReLU: whole vectors of 8 directly, the rest through q by FinishRow (the same operations in the same order).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InterleaveFour(Vector256<float> c0, Vector256<float> c1, Vector256<float> c2, Vector256<float> c3, float* residual, bool relu,
        float* dst, int valid, float* q)
    {
        var t0 = Avx.UnpackLow(c0, c1);
        var t1 = Avx.UnpackHigh(c0, c1);
        var t2 = Avx.UnpackLow(c2, c3);
        var t3 = Avx.UnpackHigh(c2, c3);
        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        Span<Vector256<float>> tiles = [Avx.Permute2x128(s0, s1, 0x20), Avx.Permute2x128(s2, s3, 0x20), Avx.Permute2x128(s0, s1, 0x31), Avx.Permute2x128(s2, s3, 0x31)];
        int i = 0;
        for (; i < 4 && 8 * i + 8 <= valid; i++)
        {
            var value = tiles[i];
            if (residual != null) value += Vector256.Load(residual + 8 * i);
            if (relu) value = Vector256.Max(value, Vector256<float>.Zero);
            value.Store(dst + 8 * i);
        }
        if (8 * i >= valid) return;
        tiles[i].Store(q + 8 * i);
        FinishRow(q, residual, relu, dst, 8 * i, valid);
    }
}
