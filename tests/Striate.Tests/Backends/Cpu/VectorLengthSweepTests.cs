using System.Numerics;
using System.Runtime.Intrinsics;
using Striate.Backends;
using Striate.Backends.Cpu;
using Striate.Tensors;

namespace Striate.Tests.Backends.Cpu;

/// <summary>
/// The elementwise, softmax and batch-norm kernels against float64 references on every length from 0 to 3 x the
/// vector width + 1, so each full-vector count and every tail runs; scripts/test repeats them with 256-bit, 128-bit
/// and scalar paths. Writes past the length are caught by sentinels.
/// </summary>
public class VectorLengthSweepTests
{
    private static int Longest
    {
        get
        {
            int widest = Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : Vector128.IsHardwareAccelerated ? 4 : 1;
            return 3 * Math.Max(widest, Vector<float>.Count) + 1;
        }
    }

    private const float Sentinel = -12345.5f;

    private static float[] Draw(int n, float low, float high, ulong seed) => n == 0 ? [] : Tensor.Uniform(new Generator(seed), low, high, n).ToArray();

    private static float[] Padded(int n) => Enumerable.Repeat(Sentinel, n + 5).ToArray();

    // (op, alpha, input range, f, f')
    public static TheoryData<UnaryOp, float, float, float> Unary => new()
    {
        { UnaryOp.Neg, 0f, -3f, 3f }, { UnaryOp.Exp, 0f, -5f, 5f }, { UnaryOp.Log, 0f, 0.1f, 9f }, { UnaryOp.Sqrt, 0f, 0.1f, 9f },
        { UnaryOp.Abs, 0f, -3f, 3f }, { UnaryOp.Square, 0f, -3f, 3f }, { UnaryOp.Pow, 2.5f, 0.1f, 3f }, { UnaryOp.Relu, 0f, -3f, 3f },
        { UnaryOp.LeakyRelu, 0.2f, -3f, 3f }, { UnaryOp.Elu, 1.5f, -3f, 3f }, { UnaryOp.Sigmoid, 0f, -8f, 8f }, { UnaryOp.Tanh, 0f, -5f, 5f },
        { UnaryOp.AddScalar, 0.75f, -3f, 3f }, { UnaryOp.MulScalar, -1.5f, -3f, 3f },
    };

    private static (double F, double D) Reference(UnaryOp op, double a, double x) => op switch
    {
        UnaryOp.Neg => (-x, -1),
        UnaryOp.Exp => (Math.Exp(x), Math.Exp(x)),
        UnaryOp.Log => (Math.Log(x), 1 / x),
        UnaryOp.Sqrt => (Math.Sqrt(x), 0.5 / Math.Sqrt(x)),
        UnaryOp.Abs => (Math.Abs(x), Math.Sign(x)),
        UnaryOp.Square => (x * x, 2 * x),
        UnaryOp.Pow => (Math.Pow(x, a), a * Math.Pow(x, a - 1)),
        UnaryOp.Relu => (Math.Max(x, 0), x > 0 ? 1 : 0),
        UnaryOp.LeakyRelu => (x > 0 ? x : a * x, x > 0 ? 1 : a),
        UnaryOp.Elu => (x > 0 ? x : a * (Math.Exp(x) - 1), x > 0 ? 1 : a * Math.Exp(x)),
        UnaryOp.Sigmoid => (1 / (1 + Math.Exp(-x)), Math.Exp(-x) / Math.Pow(1 + Math.Exp(-x), 2)),
        UnaryOp.Tanh => (Math.Tanh(x), 1 - Math.Tanh(x) * Math.Tanh(x)),
        UnaryOp.AddScalar => (x + a, 1),
        UnaryOp.MulScalar => (x * a, a),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    private static void Near(double want, float got, double tol, string what)
    {
        Assert.True(Math.Abs(got - want) <= tol * Math.Max(1, Math.Abs(want)), $"{what}: {got:R}, float64 gives {want:R}.");
    }

    private static void Untouched(float[] buffer, int n, string what)
    {
        for (int i = n; i < buffer.Length; i++) Assert.True(buffer[i] == Sentinel, $"{what}: wrote past the length ({i} of {n}).");
    }

    [Theory]
    [MemberData(nameof(Unary))]
    public void UnaryForwardAndBackwardOnEveryLength(UnaryOp op, float alpha, float low, float high)
    {
        for (int n = 0; n <= Longest; n++)
        {
            float[] x = Draw(n, low, high, (ulong)(n + 1)), dy = Draw(n, -1f, 1f, (ulong)(n + 1000));
            float[] y = Padded(n), dx = Padded(n);
            UnaryKernels.Forward(op, alpha, x, y.AsSpan(0, n));
            UnaryKernels.Backward(op, alpha, x, y.AsSpan(0, n), dy, dx.AsSpan(0, n));
            for (int i = 0; i < n; i++)
            {
                var (f, d) = Reference(op, alpha, x[i]);
                Near(f, y[i], 2e-6, $"{op} length {n} [{i}] forward");
                Near(d * dy[i], dx[i], 1e-5, $"{op} length {n} [{i}] backward");
            }
            Untouched(y, n, $"{op} forward, length {n}");
            Untouched(dx, n, $"{op} backward, length {n}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SoftmaxOnEveryRowLength(bool log)
    {
        const int rows = 3;
        for (int cols = 1; cols <= Longest; cols++)
        {
            float[] x = Draw(rows * cols, -6f, 6f, (ulong)cols), dy = Draw(rows * cols, -1f, 1f, (ulong)cols + 77);
            float[] y = Padded(rows * cols), dx = Padded(rows * cols);
            SoftmaxKernels.Forward(rows, cols, x, y.AsSpan(0, rows * cols), log);
            SoftmaxKernels.Backward(rows, cols, y.AsSpan(0, rows * cols), dy, dx.AsSpan(0, rows * cols), log);
            for (int r = 0; r < rows; r++)
            {
                var row = x.AsSpan(r * cols, cols).ToArray().Select(v => (double)v).ToArray();
                double m = row.Max(), sum = row.Sum(v => Math.Exp(v - m));
                var p = row.Select(v => Math.Exp(v - m) / sum).ToArray();
                double dot = 0, dsum = 0;
                for (int j = 0; j < cols; j++)
                {
                    dot += dy[r * cols + j] * p[j];
                    dsum += dy[r * cols + j];
                }
                for (int j = 0; j < cols; j++)
                {
                    int at = r * cols + j;
                    double want = log ? row[j] - m - Math.Log(sum) : p[j];
                    double grad = log ? dy[at] - p[j] * dsum : p[j] * (dy[at] - dot);
                    Near(want, y[at], 2e-6, $"{(log ? "log_softmax" : "softmax")} cols {cols} [{r}, {j}]");
                    Near(grad, dx[at], 1e-5, $"{(log ? "log_softmax" : "softmax")} backward cols {cols} [{r}, {j}]");
                }
            }
            Untouched(y, rows * cols, $"softmax forward, cols {cols}");
            Untouched(dx, rows * cols, $"softmax backward, cols {cols}");
        }
    }

    [Fact]
    public void BatchNormOnEveryPlaneLength()
    {
        const int n = 2, c = 3;
        const float eps = 1e-5f;
        for (int inner = 1; inner <= Longest; inner++)
        {
            int all = n * c * inner;
            float[] x = Draw(all, -2f, 3f, (ulong)inner), dy = Draw(all, -1f, 1f, (ulong)inner + 5), gamma = [0.5f, 1.5f, -1f], beta = [0.1f, -0.2f, 0.3f];
            float[] y = Padded(all), dx = Padded(all), mean = new float[c], invstd = new float[c], variance = new float[c], dg = new float[c], db = new float[c];
            NormKernels.BatchNormForward(n, c, inner, x, mean, invstd, variance, gamma, beta, eps, true, y.AsSpan(0, all));
            NormKernels.BatchNormBackward(n, c, inner, x, dy, mean, invstd, gamma, true, dx.AsSpan(0, all), dg, db);
            int m = n * inner;
            for (int ch = 0; ch < c; ch++)
            {
                var idx = Enumerable.Range(0, n).SelectMany(b => Enumerable.Range(0, inner).Select(i => (b * c + ch) * inner + i)).ToArray();
                double mu = idx.Average(i => (double)x[i]), v = idx.Average(i => Math.Pow(x[i] - mu, 2)), inv = 1 / Math.Sqrt(v + eps);
                double sdy = idx.Sum(i => (double)dy[i]), sdyx = idx.Sum(i => dy[i] * (x[i] - mu) * inv);
                foreach (int i in idx)
                {
                    double xhat = (x[i] - mu) * inv;
                    Near(gamma[ch] * xhat + beta[ch], y[i], 2e-5, $"batch norm inner {inner} forward [{i}]");
                    Near(gamma[ch] * inv * (dy[i] - sdy / m - xhat * sdyx / m), dx[i], 2e-4, $"batch norm inner {inner} backward [{i}]");
                }
                Near(sdyx, dg[ch], 1e-4, $"batch norm inner {inner} dgamma [{ch}]");
                Near(sdy, db[ch], 1e-4, $"batch norm inner {inner} dbeta [{ch}]");
            }
            Untouched(y, all, $"batch norm forward, inner {inner}");
            Untouched(dx, all, $"batch norm backward, inner {inner}");
        }
    }
}
