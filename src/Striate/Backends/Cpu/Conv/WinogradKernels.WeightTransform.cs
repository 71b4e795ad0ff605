using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Striate.Threading;

namespace Striate.Backends.Cpu;

/// <summary>The weight side of F(2x2, 3x3): G g G^T for every kernel, kept in a <see cref="ConvWeightCache"/> when the caller keeps one.</summary>
public static unsafe partial class WinogradKernels
{
    // The weights' transform (matrices x OC x C floats): the cache's when it holds one of that size; otherwise made by
    // transform(OC, C, w, u) into a pooled array (returned through rented, for the caller to give back) or, with a
    // cache, into a new array the cache keeps.
    private static float[] TransformedWeights(in Conv2dGeometry g, int matrices, ReadOnlySpan<float> w, ConvWeightCache? cache,
        delegate*<int, int, float*, float*, void> transform, out float[]? rented)
    {
        rented = null;
        if (cache?.Get<WinogradWeights>() is { } kept && kept.Fits(matrices, g.OutChannels, g.InChannels)) return kept.U;
        int length = matrices * g.OutChannels * g.InChannels;
        float[] u = cache is null ? rented = ArrayPool<float>.Shared.Rent(length) : GC.AllocateUninitializedArray<float>(length);
        fixed (float* pw = w, pu = u)
            transform(g.OutChannels, g.InChannels, pw, pu);
        cache?.Set(new WinogradWeights(matrices, g.OutChannels, g.InChannels, u));
        return u;
    }

    // w: [OC, C, 3, 3] -> u: [16][OC][C], u[4i+j] = (G g G^T)[i][j] with G = [[1,0,0],[1/2,1/2,1/2],[1/2,-1/2,1/2],[0,0,1]].
    private static void TransformWeights(int oc, int c, float* w, float* u)
    {
        // Deep layers (a 512 x 512 layer has 262,144 kernels) split the output channels over the threads.
        int parts = (long)oc * c >= 1 << 16 ? Math.Min(Parallelism.Threads, oc) : 1;
        if (parts == 1)
        {
            TransformWeights(oc, c, 0, oc, w, u);
            return;
        }
        nint aw = (nint)w, au = (nint)u;
        Parallelism.For(parts, parts, part =>
            TransformWeights(oc, c, oc * part / parts, oc * (part + 1) / parts, (float*)aw, (float*)au));
    }

    // Output channels [o0, o1) of TransformWeights; eight input channels at a time with AVX2 (the same arithmetic).
    private static void TransformWeights(int oc, int c, int o0, int o1, float* w, float* u)
    {
        long stride = (long)oc * c;
        float* gg = stackalloc float[12];
        int vectorEnd = Avx2.IsSupported ? c / 8 * 8 : 0;
        for (int o = o0; o < o1; o++)
        {
            for (int ch = 0; ch < vectorEnd; ch += 8)
                TransformWeights8(w + ((long)o * c + ch) * 9, u + (long)o * c + ch, stride);
            for (int ch = vectorEnd; ch < c; ch++)
            {
                float* k = w + ((long)o * c + ch) * 9;
                for (int j = 0; j < 3; j++)
                {
                    float a = k[j], b = k[3 + j], d = k[6 + j];
                    gg[j] = a;
                    gg[3 + j] = 0.5f * (a + b + d);
                    gg[6 + j] = 0.5f * (a - b + d);
                    gg[9 + j] = d;
                }
                float* dst = u + (long)o * c + ch;
                for (int i = 0; i < 4; i++)
                {
                    float a = gg[3 * i], b = gg[3 * i + 1], d = gg[3 * i + 2];
                    dst[(4 * i) * stride] = a;
                    dst[(4 * i + 1) * stride] = 0.5f * (a + b + d);
                    dst[(4 * i + 2) * stride] = 0.5f * (a - b + d);
                    dst[(4 * i + 3) * stride] = d;
                }
            }
        }
    }

    // k: 8 consecutive 3x3 kernels (72 floats) -> dst[xi * stride + 0..8], G g G^T for each.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransformWeights8(float* k, float* dst, long stride)
    {
        var nine = Vector256.Create(0, 9, 18, 27, 36, 45, 54, 63);
        var half = Vector256.Create(0.5f);
        // Rows of G g: (a, (a + b + d) / 2, (a - b + d) / 2, d) per column j, then the same along each row.
        var r = stackalloc Vector256<float>[12];
        for (int j = 0; j < 3; j++)
        {
            var a = Avx2.GatherVector256(k + j, nine, 4);
            var b = Avx2.GatherVector256(k + 3 + j, nine, 4);
            var d = Avx2.GatherVector256(k + 6 + j, nine, 4);
            r[j] = a;
            r[3 + j] = half * (a + b + d);
            r[6 + j] = half * (a - b + d);
            r[9 + j] = d;
        }
        for (int i = 0; i < 4; i++)
        {
            var (a, b, d) = (r[3 * i], r[3 * i + 1], r[3 * i + 2]);
            a.Store(dst + (4 * i) * stride);
            (half * (a + b + d)).Store(dst + (4 * i + 1) * stride);
            (half * (a - b + d)).Store(dst + (4 * i + 2) * stride);
            d.Store(dst + (4 * i + 3) * stride);
        }
    }
}
