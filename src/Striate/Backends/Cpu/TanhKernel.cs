using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Striate.Backends.Cpu;

/// <summary>
/// tanh over float32 spans, odd and correctly rounded (to within a tie): y = sign(x) * t(|x|), so tanh(-x) is -tanh(x)
/// bit for bit and tanh(+-0) is +-0; t(a) = a below 2^-12, where tanh(a) rounds to a (a - tanh(a) &lt; a^3 / 3, under
/// half an ulp of a), and otherwise (1 - e) / (1 + e) with e = exp(-2a) in float64, whose error (a few 1e-16
/// relative) is far below float32's half ulp. TensorPrimitives.Tanh gives tanh(0) = -5.96e-8 and is a float step or
/// two off near saturation.
/// </summary>
public static class TanhKernel
{
    private const double Small = 1.0 / 4096; // 2^-12

    // y = tanh(x), same length.
    public static void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length)
            throw new ArgumentException($"tanh: the destination holds {y.Length} values, the source {x.Length}.", nameof(y));
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.Create(x.Slice(i, Vector256<float>.Count));
                var (lo, hi) = Vector256.Widen(v);
                Vector256.Narrow(Odd(lo), Odd(hi)).CopyTo(y.Slice(i, Vector256<float>.Count));
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                var v = Vector128.Create(x.Slice(i, Vector128<float>.Count));
                var (lo, hi) = Vector128.Widen(v);
                Vector128.Narrow(Odd(lo), Odd(hi)).CopyTo(y.Slice(i, Vector128<float>.Count));
            }
        }
        for (; i < x.Length; i++) y[i] = Scalar(x[i]);
    }

    /// <summary>tanh of one value, as the vector paths compute it.</summary>
    public static float Scalar(float x)
    {
        double a = Math.Abs((double)x);
        double t = a < Small ? a : Ratio(Math.Exp(-2 * a));
        return MathF.CopySign((float)t, x);
    }

    private static double Ratio(double e) => (1 - e) / (1 + e);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Odd(Vector256<double> x)
    {
        var a = Vector256.Abs(x);
        var e = Vector256.Exp(a * Vector256.Create(-2.0));
        var t = (Vector256<double>.One - e) / (Vector256<double>.One + e);
        t = Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(Small)), a, t);
        // The sign bit of x on t (t >= 0 or NaN); narrowing to float keeps it.
        return t | (x & Vector256.Create(-0.0));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<double> Odd(Vector128<double> x)
    {
        var a = Vector128.Abs(x);
        var e = Vector128.Exp(a * Vector128.Create(-2.0));
        var t = (Vector128<double>.One - e) / (Vector128<double>.One + e);
        t = Vector128.ConditionalSelect(Vector128.LessThan(a, Vector128.Create(Small)), a, t);
        return t | (x & Vector128.Create(-0.0));
    }
}
