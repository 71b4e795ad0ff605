using System.Numerics;
using System.Runtime.CompilerServices;
using Striate.Threading;

namespace Striate.Backends.Cpu;

/// <summary>
/// Batch normalisation over x [N, C, inner], one channel at a time (channels spread over the threads; each
/// channel's sums run in a fixed order, so the bits do not depend on the thread count). Plane sums are float
/// vectors; the sums over the batch are accumulated in double.
/// </summary>
public static unsafe class NormKernels
{
    // x, y: [N, C, inner]; mean, invstd: [C] (written in training, read otherwise); variance: [C], the biased batch
    // variance (written in training); gamma, beta: [C] or empty.
    public static void BatchNormForward(int n, int c, int inner, ReadOnlySpan<float> x, Span<float> mean, Span<float> invstd, Span<float> variance,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps, bool training, Span<float> y)
    {
        const string kernel = "NormKernels.BatchNormForward";
        long all = (long)n * c * inner;
        const string shape = "[N, C, inner]";
        KernelSpans.Require(x.Length, all, kernel, "x", shape);
        KernelSpans.Require(y.Length, all, kernel, "y", shape);
        KernelSpans.Require(mean.Length, c, kernel, "mean", "[C]");
        KernelSpans.Require(invstd.Length, c, kernel, "invstd", "[C]");
        if (training) KernelSpans.Require(variance.Length, c, kernel, "variance", "[C]");
        KernelSpans.Optional(gamma.Length, c, kernel, "gamma", "[C]");
        KernelSpans.Optional(beta.Length, c, kernel, "beta", "[C]");
        fixed (float* px = x, pm = mean, pi = invstd, pv = variance, pg = gamma, pb = beta, py = y)
        {
            nint ax = (nint)px, am = (nint)pm, ai = (nint)pi, av = (nint)pv, ag = (nint)pg, ab = (nint)pb, ay = (nint)py;
            bool hasG = !gamma.IsEmpty, hasB = !beta.IsEmpty;
            For(c, (long)n * inner, ch =>
            {
                float* xs = (float*)ax, ys = (float*)ay;
                if (training)
                {
                    double s = 0;
                    for (int i = 0; i < n; i++) s += TensorPrimitives.Sum(new ReadOnlySpan<float>(xs + ((long)i * c + ch) * inner, inner));
                    double mu = s / ((double)n * inner), v = 0;
                    for (int i = 0; i < n; i++)
                        v += SumOfSquaredDeviations(xs + ((long)i * c + ch) * inner, inner, (float)mu);
                    ((float*)am)[ch] = (float)mu;
                    ((float*)av)[ch] = (float)(v / ((double)n * inner));
                    ((float*)ai)[ch] = (float)(1.0 / Math.Sqrt(v / ((double)n * inner) + eps));
                }
                float scale = ((float*)ai)[ch] * (hasG ? ((float*)ag)[ch] : 1f);
                float shift = (hasB ? ((float*)ab)[ch] : 0f) - ((float*)am)[ch] * scale;
                for (int i = 0; i < n; i++)
                    Affine(xs + ((long)i * c + ch) * inner, null, ys + ((long)i * c + ch) * inner, inner, scale, 0f, shift);
            });
        }
    }

    // Training: dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)); evaluation: dx = gamma * invstd * dy.
    // dgamma = sum(dy * xhat), dbeta = sum(dy). dx, dgamma, dbeta may be empty when not needed.
    public static void BatchNormBackward(int n, int c, int inner, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> invstd, ReadOnlySpan<float> gamma, bool training, Span<float> dx, Span<float> dgamma, Span<float> dbeta)
    {
        const string kernel = "NormKernels.BatchNormBackward";
        long all = (long)n * c * inner;
        const string shape = "[N, C, inner]";
        KernelSpans.Require(x.Length, all, kernel, "x", shape);
        KernelSpans.Require(dy.Length, all, kernel, "dy", shape);
        KernelSpans.Require(mean.Length, c, kernel, "mean", "[C]");
        KernelSpans.Require(invstd.Length, c, kernel, "invstd", "[C]");
        KernelSpans.Optional(gamma.Length, c, kernel, "gamma", "[C]");
        KernelSpans.Optional(dx.Length, all, kernel, "dx", shape);
        KernelSpans.Optional(dgamma.Length, c, kernel, "dgamma", "[C]");
        KernelSpans.Optional(dbeta.Length, c, kernel, "dbeta", "[C]");
        fixed (float* px = x, pdy = dy, pm = mean, pi = invstd, pg = gamma, pdx = dx, pdg = dgamma, pdb = dbeta)
        {
            nint ax = (nint)px, ady = (nint)pdy, am = (nint)pm, ai = (nint)pi, ag = (nint)pg, adx = (nint)pdx, adg = (nint)pdg, adb = (nint)pdb;
            bool hasG = !gamma.IsEmpty, wantDx = !dx.IsEmpty, wantG = !dgamma.IsEmpty, wantB = !dbeta.IsEmpty;
            For(c, (long)n * inner, ch =>
            {
                float* xs = (float*)ax, dys = (float*)ady;
                float mu = ((float*)am)[ch], inv = ((float*)ai)[ch];
                double sdy = 0, sdyx = 0;
                for (int i = 0; i < n; i++)
                {
                    long o = ((long)i * c + ch) * inner;
                    var (planeSum, planeDot) = SumAndCenteredDot(dys + o, xs + o, inner, mu);
                    sdy += planeSum;
                    sdyx += planeDot;
                }
                sdyx *= inv; // sum(dy * xhat)
                if (wantG) ((float*)adg)[ch] = (float)sdyx;
                if (wantB) ((float*)adb)[ch] = (float)sdy;
                if (!wantDx) return;
                double k1 = (hasG ? ((float*)ag)[ch] : 1f) * inv;
                double m = (double)n * inner;
                // dx = a * dy + b * x + c0, expanding xhat = (x - mean) * invstd.
                float a = (float)k1;
                float b = training ? (float)(-k1 * (sdyx / m) * inv) : 0f;
                float c0 = training ? (float)(-k1 * (sdy / m) + k1 * (sdyx / m) * inv * mu) : 0f;
                for (int i = 0; i < n; i++)
                {
                    long o = ((long)i * c + ch) * inner;
                    Affine(dys + o, training ? xs + o : null, (float*)adx + o, inner, a, b, c0);
                }
            });
        }
    }

    // sum over i of (x[i] - mean)^2, in float lanes per plane.
    private static double SumOfSquaredDeviations(float* x, int n, float mean)
    {
        var acc = Vector<float>.Zero;
        var m = new Vector<float>(mean);
        int i = 0;
        for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
        {
            var d = Unsafe.ReadUnaligned<Vector<float>>(x + i) - m;
            acc += d * d;
        }
        double s = Vector.Sum(acc);
        for (; i < n; i++) s += (double)(x[i] - mean) * (x[i] - mean);
        return s;
    }

    // (sum dy, sum dy * (x - mean)) in one pass.
    private static (double Sum, double Dot) SumAndCenteredDot(float* dy, float* x, int n, float mean)
    {
        var s = Vector<float>.Zero;
        var d = Vector<float>.Zero;
        var m = new Vector<float>(mean);
        int i = 0;
        for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
        {
            var g = Unsafe.ReadUnaligned<Vector<float>>(dy + i);
            s += g;
            d += g * (Unsafe.ReadUnaligned<Vector<float>>(x + i) - m);
        }
        double sum = Vector.Sum(s), dot = Vector.Sum(d);
        for (; i < n; i++)
        {
            sum += dy[i];
            dot += (double)dy[i] * (x[i] - mean);
        }
        return (sum, dot);
    }

    // dst = a * u + b * v + c (v may be null, then b is ignored), in one pass.
    private static void Affine(float* u, float* v, float* dst, int n, float a, float b, float c)
    {
        var va = new Vector<float>(a);
        var vb = new Vector<float>(b);
        var vc = new Vector<float>(c);
        int i = 0;
        if (v is null)
        {
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
                Unsafe.WriteUnaligned(dst + i, Unsafe.ReadUnaligned<Vector<float>>(u + i) * va + vc);
            for (; i < n; i++) dst[i] = u[i] * a + c;
            return;
        }
        for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            Unsafe.WriteUnaligned(dst + i, Unsafe.ReadUnaligned<Vector<float>>(u + i) * va + Unsafe.ReadUnaligned<Vector<float>>(v + i) * vb + vc);
        for (; i < n; i++) dst[i] = u[i] * a + v[i] * b + c;
    }

    private static void For(int count, long workPerItem, Action<int> body)
    {
        int threads = Math.Min(Parallelism.Threads, count);
        if (threads <= 1 || count * workPerItem < 32768)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallelism.For(count, threads, body);
    }
}
