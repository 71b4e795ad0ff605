using Striate.Ops;
using Striate.Tensors;
using Xunit.Sdk;

namespace Striate.Tests.Support;

/// <summary>Numeric assertions that report the first differing element and the largest difference.</summary>
public static class Check
{
    public static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double rtol, double atol, string what)
    {
        if (expected.Length != actual.Length)
            throw new XunitException($"{what}: expected {expected.Length} values, got {actual.Length}.");
        int first = -1, worst = -1;
        double worstErr = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(expected[i] - actual[i]);
            bool bad = double.IsNaN(actual[i]) != double.IsNaN(expected[i]) || err > atol + rtol * Math.Abs(expected[i]);
            if (bad && first < 0) first = i;
            if (err > worstErr || double.IsNaN(err)) { worstErr = err; worst = i; }
        }
        if (first >= 0)
            throw new XunitException($"{what}: element {first} expected {expected[first]:R}, got {actual[first]:R}; " +
                $"largest difference {worstErr:G4} at element {worst} (expected {expected[worst]:R}, got {actual[worst]:R}); rtol {rtol}, atol {atol}.");
    }

    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol, double atol, string what)
    {
        var e = new double[expected.Length];
        for (int i = 0; i < e.Length; i++) e[i] = expected[i];
        Close(e, actual, rtol, atol, what);
    }

    public static void Equal(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what) => Close(expected, actual, 0, 0, what);

    /// <summary>
    /// Forward against the reference, then every input's analytic gradient (of sum(G * op(x)) for a random G)
    /// against central differences of the float64 reference.
    /// </summary>
    public static void Op(OpCase c, ulong seed = 1)
    {
        var gen = new Generator(seed);
        var inputs = c.Shapes.Select(s => Tensor.Uniform(gen, (float)c.Low, (float)c.High, s)).ToArray();
        foreach (var (t, i) in inputs.Select((t, i) => (t, i)))
            t.RequiresGrad = !c.NoGrad.Contains(i);
        var xs = inputs.Select(t => t.ToArray().Select(v => (double)v).ToArray()).ToArray();
        var y = c.Op(inputs);
        var expected = c.Reference(xs);
        double scale = Math.Max(1, expected.Select(Math.Abs).DefaultIfEmpty(0).Max());
        Close(expected, y.Data, c.ForwardTolerance, c.ForwardTolerance * scale, $"{c.Name} forward");

        if (inputs.All(t => !t.RequiresGrad)) return;
        var g = Tensor.Uniform(gen, -1f, 1f, y.Shape.ToArray());
        var gd = g.ToArray().Select(v => (double)v).ToArray();
        F.Sum(F.Mul(y, g)).Backward();
        for (int i = 0; i < inputs.Length; i++)
        {
            if (!inputs[i].RequiresGrad) continue;
            var analytic = inputs[i].Grad ?? throw new XunitException($"{c.Name}: input {i} got no gradient.");
            var numeric = new double[xs[i].Length];
            const double h = 1e-6;
            for (int e = 0; e < xs[i].Length; e++)
            {
                double keep = xs[i][e];
                xs[i][e] = keep + h;
                double plus = Dot(gd, c.Reference(xs));
                xs[i][e] = keep - h;
                double minus = Dot(gd, c.Reference(xs));
                xs[i][e] = keep;
                numeric[e] = (plus - minus) / (2 * h);
            }
            double gscale = Math.Max(1, numeric.Select(Math.Abs).DefaultIfEmpty(0).Max());
            Close(numeric, analytic.Data, c.GradTolerance, c.GradTolerance * gscale, $"{c.Name} gradient of input {i}");
        }
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    public static double[] D(this float[] x) => x.Select(v => (double)v).ToArray();
}
