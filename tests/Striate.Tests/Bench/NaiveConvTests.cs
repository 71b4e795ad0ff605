using Striate.Bench;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Tests.Bench;

/// <summary>The libtorch check's float64 loops agree with Striate's convolutions and their gradients.</summary>
public class NaiveConvTests
{
    private static double[] Widen(Tensor t) => Array.ConvertAll(t.ToArray(), v => (double)v);

    private static void Close(double[] want, Tensor got, string what)
    {
        float[] g = got.ToArray();
        Assert.Equal(want.Length, g.Length);
        double scale = want.Max(Math.Abs);
        Assert.True(scale > 0.1, $"{what}: the reference is nearly zero ({scale}).");
        for (int i = 0; i < g.Length; i++)
            Assert.True(Math.Abs(g[i] - want[i]) <= 1e-5 * scale, $"{what}[{i}]: loops {want[i]}, Striate {g[i]}.");
    }

    [Theory]
    [InlineData(2, 3, 7, 9, 5, 5, 5, 0, 0)]
    [InlineData(2, 5, 7, 9, 3, 3, 5, 1, 2)]
    [InlineData(1, 4, 6, 5, 2, 2, 3, 2, 1)]
    public void ForwardAndGradientsMatchConv2d(int n, int c, int h, int w, int o, int kh, int kw, int ph, int pw)
    {
        var gen = new Generator(7);
        int[] xs = [n, c, h, w], ws = [o, c, kh, kw];
        var x = Tensor.Uniform(gen, -1, 1, xs);
        var wt = Tensor.Uniform(gen, -1, 1, ws);
        x.RequiresGrad = wt.RequiresGrad = true;
        var y = F.Conv2d(x, wt, null, (1, 1), new Padding2d(ph, ph, pw, pw), (1, 1));
        var gy = Tensor.Uniform(gen, -1, 1, y.Shape.ToArray());
        y.Backward(gy);

        var (want, gx, gw) = NaiveConv.Compute(Widen(x), xs, Widen(wt), ws, Widen(gy), ph, pw);
        Close(want, y, "output");
        Close(gx, x.Grad!, "input gradient");
        Close(gw, wt.Grad!, "weight gradient");
    }

    [Fact]
    public void TransposedMatchesConvTranspose2d()
    {
        var gen = new Generator(8);
        var z = Tensor.Uniform(gen, -1, 1, 2, 3, 7, 9);
        var w = Tensor.Uniform(gen, -1, 1, 3, 5, 3, 3);
        var y = F.ConvTranspose2d(z, w);
        Close(NaiveConv.Transposed(Widen(z), [2, 3, 7, 9], Widen(w), [3, 5, 3, 3]), y, "conv_transpose2d");
    }

    [Fact]
    public void MismatchedShapesAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => NaiveConv.Compute(new double[24], [1, 2, 3, 4], new double[9], [1, 1, 3, 3], new double[2], 0, 0));
        Assert.Contains("1 input channels, the input 2", e.Message);
        var g = Assert.Throws<ArgumentException>(() => NaiveConv.Compute(new double[24], [1, 2, 3, 4], new double[18], [1, 2, 3, 3], new double[3], 0, 0));
        Assert.Contains("gy holds 3 values, not 2", g.Message);
    }
}
