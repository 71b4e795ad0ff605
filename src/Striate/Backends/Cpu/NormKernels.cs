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
                    {
                        var plane = new ReadOnlySpan<float>(xs + ((long)i * c + ch) * inner, inner);
                        var tmp = new Span<float>(ys + ((long)i * c + ch) * inner, inner);
                        TensorPrimitives.Subtract(plane, (float)mu, tmp);
                        v += TensorPrimitives.SumOfSquares(tmp);
                    }
                    ((float*)am)[ch] = (float)mu;
                    ((float*)av)[ch] = (float)(v / ((double)n * inner));
                    ((float*)ai)[ch] = (float)(1.0 / Math.Sqrt(v / ((double)n * inner) + eps));
                }
                float scale = ((float*)ai)[ch] * (hasG ? ((float*)ag)[ch] : 1f);
                float shift = (hasB ? ((float*)ab)[ch] : 0f) - ((float*)am)[ch] * scale;
                for (int i = 0; i < n; i++)
                {
                    var plane = new ReadOnlySpan<float>(xs + ((long)i * c + ch) * inner, inner);
                    var outp = new Span<float>(ys + ((long)i * c + ch) * inner, inner);
                    TensorPrimitives.Multiply(plane, scale, outp);
                    TensorPrimitives.Add(outp, shift, outp);
                }
            });
        }
    }

    // Training: dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)); evaluation: dx = gamma * invstd * dy.
    // dgamma = sum(dy * xhat), dbeta = sum(dy). dx, dgamma, dbeta may be empty when not needed.
    public static void BatchNormBackward(int n, int c, int inner, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> invstd, ReadOnlySpan<float> gamma, bool training, Span<float> dx, Span<float> dgamma, Span<float> dbeta)
    {
        fixed (float* px = x, pdy = dy, pm = mean, pi = invstd, pg = gamma, pdx = dx, pdg = dgamma, pdb = dbeta)
        {
            nint ax = (nint)px, ady = (nint)pdy, am = (nint)pm, ai = (nint)pi, ag = (nint)pg, adx = (nint)pdx, adg = (nint)pdg, adb = (nint)pdb;
            bool hasG = !gamma.IsEmpty, wantDx = !dx.IsEmpty, wantG = !dgamma.IsEmpty, wantB = !dbeta.IsEmpty;
            For(c, (long)n * inner, ch =>
            {
                float* xs = (float*)ax, dys = (float*)ady;
                float mu = ((float*)am)[ch], inv = ((float*)ai)[ch];
                double sdy = 0, sdyx = 0;
                float[] tmp = System.Buffers.ArrayPool<float>.Shared.Rent(inner);
                for (int i = 0; i < n; i++)
                {
                    var dyp = new ReadOnlySpan<float>(dys + ((long)i * c + ch) * inner, inner);
                    var xc = tmp.AsSpan(0, inner);
                    TensorPrimitives.Subtract(new ReadOnlySpan<float>(xs + ((long)i * c + ch) * inner, inner), mu, xc);
                    sdy += TensorPrimitives.Sum(dyp);
                    sdyx += TensorPrimitives.Dot(dyp, xc);
                }
                System.Buffers.ArrayPool<float>.Shared.Return(tmp);
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
                    var outp = new Span<float>((float*)adx + o, inner);
                    TensorPrimitives.Multiply(new ReadOnlySpan<float>(dys + o, inner), a, outp);
                    if (training)
                    {
                        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(xs + o, inner), b, outp, outp);
                        TensorPrimitives.Add(outp, c0, outp);
                    }
                }
            });
        }
    }

    private static void For(int count, long workPerItem, Action<int> body)
    {
        int threads = Math.Min(Parallelism.Threads, count);
        if (threads <= 1 || count * workPerItem < 32768)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, Parallelism.Options(threads), body);
    }
}
