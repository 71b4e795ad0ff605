using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Striate.Bench;

/// <summary>
/// Checks libtorch's float32 convolutions on this host against plain float64 loops (<see cref="NaiveConv"/>):
/// conv2d's output, input gradient and weight gradient, and conv_transpose2d's output, each repeated, since a faulty
/// host gives different wrong values on each run. libtorch's float64 results are checked the same way. On AMD EPYC
/// hosts of CPU family 26 libtorch 2.10's float32 input gradients at stride 1 and transposed convolutions were seen
/// off by O(1), sometimes NaN; the oracle tests therefore take libtorch's float64 as their reference.
/// </summary>
public static class LibTorchCheck
{
    /// <summary>An error above this, relative to the reference's largest magnitude, is a wrong result, not rounding.</summary>
    public const double Tolerance = 1e-3;

    /// <summary>One quantity of one case: how many float32 runs were wrong and the worst errors of both precisions.</summary>
    public sealed record Finding(string Case, string Quantity, int Runs, int WrongRuns, double WorstFloat32, double WorstFloat64, bool SawNaN);

    /// <summary>The whole check: the host, libtorch's version and thread count, and every finding.</summary>
    public sealed record Result(HostCpu Cpu, string LibTorch, int Threads, IReadOnlyList<Finding> Findings)
    {
        /// <summary>True when some float32 run gave a wrong value.</summary>
        public bool Float32Wrong => Findings.Any(f => f.WrongRuns > 0);

        /// <summary>True when libtorch's float64 (the oracle's reference) gave a wrong value: it never should.</summary>
        public bool Float64Wrong => Findings.Any(f => !(f.WorstFloat64 <= Tolerance));

        /// <summary>The worst float32 error over all findings.</summary>
        public double WorstFloat32 => Findings.Count == 0 ? 0 : Findings.Max(f => f.WorstFloat32);

        /// <summary>One line: the verdict with the worst error.</summary>
        public string Summary()
        {
            int wrong = Findings.Count(f => f.WrongRuns > 0);
            return Float32Wrong
                ? $"libtorch {LibTorch} float32 convolutions are WRONG on this host: {wrong} of {Findings.Count} checks failed in at least one run, worst error {Fmt(WorstFloat32)}{(Findings.Any(f => f.SawNaN) ? " (NaN seen)" : "")}"
                : $"libtorch {LibTorch} float32 convolutions agree with float64 loops on this host (worst error {Fmt(WorstFloat32)} over {Findings.Count} checks)";
        }

        /// <summary>A table of the findings, one line each.</summary>
        public string Table()
        {
            var sb = new StringBuilder();
            sb.AppendLine(CultureInfo.InvariantCulture, $"{"case",-44} {"quantity",-16} {"float32 runs wrong",18} {"worst float32 error",20} {"worst float64 error",20}");
            foreach (var f in Findings)
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"{f.Case,-44} {f.Quantity,-16} {$"{f.WrongRuns} of {f.Runs}",18} {Fmt(f.WorstFloat32) + (f.SawNaN ? " NaN" : ""),20} {Fmt(f.WorstFloat64),20}");
            return sb.ToString().TrimEnd();
        }
    }

    private sealed record Case(string Name, int[] X, int[] W, int Ph, int Pw, bool Transposed = false);

    private static readonly Case[] Small =
    [
        new("conv2d 3->5 5x5 valid, x [2,3,7,9]", [2, 3, 7, 9], [5, 3, 5, 5], 0, 0),
        new("conv2d 5->3 3x5 pad 1x2, x [2,5,7,9]", [2, 5, 7, 9], [3, 5, 3, 5], 1, 2),
        new("conv2d 32->32 3x3 pad 1, x [2,32,28,28]", [2, 32, 28, 28], [32, 32, 3, 3], 1, 1),
        new("conv_transpose2d 3->5 3x3, x [2,3,7,9]", [2, 3, 7, 9], [3, 5, 3, 3], 0, 0, Transposed: true),
    ];

    private static readonly Case[] Large =
    [
        new("conv2d 64->64 3x3 pad 1, x [4,64,56,56]", [4, 64, 56, 56], [64, 64, 3, 3], 1, 1),
        new("conv_transpose2d 64->32 4x4, x [2,64,14,14]", [2, 64, 14, 14], [64, 32, 4, 4], 0, 0, Transposed: true),
    ];

    /// <summary>
    /// Runs every case <paramref name="runs"/> times in float32 and once in float64 with libtorch's current thread
    /// count; <paramref name="large"/> adds a ResNet-sized convolution (a few seconds of float64 loops).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Result Run(int runs, bool large)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        var findings = new List<Finding>();
        foreach (var c in large ? [.. Small, .. Large] : Small)
            findings.AddRange(Check(c, runs));
        return new Result(HostCpu.Read(), torch.__version__, torch.get_num_threads(), findings);
    }

    private static IEnumerable<Finding> Check(Case c, int runs)
    {
        // The same float32 values for both precisions and the loops: a counter-based draw in [-1, 1).
        float[] x = Draw(c.X, 1), w = Draw(c.W, 2);
        double[] xd = Widen(x), wd = Widen(w);
        if (c.Transposed)
        {
            double[] want = NaiveConv.Transposed(xd, c.X, wd, c.W);
            var (f32, f64) = Compare(runs, want, dtype => new[] { nn.functional.conv_transpose2d(Tensor(x, c.X, dtype, false), Tensor(w, c.W, dtype, false)) });
            yield return Make(c.Name, "output", f32, f64);
            yield break;
        }
        int oh = c.X[2] + 2 * c.Ph - c.W[2] + 1, ow = c.X[3] + 2 * c.Pw - c.W[3] + 1;
        int[] gs = [c.X[0], c.W[0], oh, ow];
        float[] gy = Draw(gs, 3);
        var (y, gx, gw) = NaiveConv.Compute(xd, c.X, wd, c.W, Widen(gy), c.Ph, c.Pw);
        var results = new (List<double> F32, List<double> F64)[3];
        for (int q = 0; q < 3; q++) results[q] = ([], []);
        for (int run = 0; run < runs + 1; run++)
        {
            var dtype = run == 0 ? ScalarType.Float64 : ScalarType.Float32;
            using var scope = NewDisposeScope();
            var tx = Tensor(x, c.X, dtype, true);
            var tw = Tensor(w, c.W, dtype, true);
            var ty = nn.functional.conv2d(tx, tw, padding: [c.Ph, c.Pw]);
            ty.backward([Tensor(gy, gs, dtype, false)]);
            double[][] got = [Values(ty), Values(tx.grad!), Values(tw.grad!)];
            double[][] want = [y, gx, gw];
            for (int q = 0; q < 3; q++)
                (run == 0 ? results[q].F64 : results[q].F32).Add(Error(got[q], want[q]));
        }
        string[] names = ["output", "input gradient", "weight gradient"];
        for (int q = 0; q < 3; q++)
            yield return Make(c.Name, names[q], results[q].F32, results[q].F64);
    }

    private static (List<double> F32, List<double> F64) Compare(int runs, double[] want, Func<ScalarType, Tensor[]> compute)
    {
        var (f32, f64) = (new List<double>(), new List<double>());
        for (int run = 0; run < runs + 1; run++)
        {
            var dtype = run == 0 ? ScalarType.Float64 : ScalarType.Float32;
            using var scope = NewDisposeScope();
            (run == 0 ? f64 : f32).Add(Error(Values(compute(dtype)[0]), want));
        }
        return (f32, f64);
    }

    private static Finding Make(string name, string quantity, List<double> f32, List<double> f64) =>
        new(name, quantity, f32.Count, f32.Count(e => !(e <= Tolerance)), Worst(f32), Worst(f64), f32.Any(double.IsNaN));

    // NaN counts as the worst error there is.
    private static double Worst(List<double> errors) => errors.Any(double.IsNaN) ? double.PositiveInfinity : errors.Max();

    // max |got - want| / max |want| (float32's rounding grows with the sums' length, an element's size does not bound
    // it); NaN when any value is NaN; infinity when the lengths differ.
    private static double Error(double[] got, double[] want)
    {
        if (got.Length != want.Length) return double.PositiveInfinity;
        double worst = 0, scale = double.Epsilon;
        for (int i = 0; i < got.Length; i++)
        {
            if (double.IsNaN(got[i])) return double.NaN;
            worst = Math.Max(worst, Math.Abs(got[i] - want[i]));
            scale = Math.Max(scale, Math.Abs(want[i]));
        }
        return worst / scale;
    }

    private static float[] Draw(int[] shape, ulong stream)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 2f * Striate.Tensors.Generator.UniformAt(stream, (ulong)i) - 1f;
        return v;
    }

    private static double[] Widen(float[] v) => Array.ConvertAll(v, f => (double)f);

    private static Tensor Tensor(float[] v, int[] shape, ScalarType dtype, bool grad) =>
        torch.tensor(v, Array.ConvertAll(shape, d => (long)d), requires_grad: false).to_type(dtype).requires_grad_(grad);

    private static double[] Values(Tensor t) => t.detach().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();

    private static string Fmt(double e) => double.IsPositiveInfinity(e) ? "NaN/inf" : e.ToString("G3", CultureInfo.InvariantCulture);
}
