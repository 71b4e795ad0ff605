using Striate.Optim;
using Striate.Tensors;

namespace Striate.Tests.Optim;

/// <summary>Update rules against plain float64 re-derivations of PyTorch's formulas.</summary>
public class OptimizerTests
{
    private static Tensor Param(params float[] v)
    {
        var t = Tensor.FromArray(v, v.Length);
        t.RequiresGrad = true;
        return t;
    }

    private static void SetGrad(Tensor p, params float[] g) => p.Grad = Tensor.FromArray(g, g.Length);

    [Fact]
    public void SgdWithMomentumDampeningAndWeightDecay()
    {
        var p = Param(1f, -2f);
        var opt = new Sgd([p], lr: 0.1f, momentum: 0.9f, dampening: 0.1f, weightDecay: 0.01f);
        double[] w = [1, -2], buf = [0, 0];
        var grads = new[] { new[] { 0.5f, -1f }, new[] { 0.2f, 0.3f }, new[] { -0.4f, 0.1f } };
        for (int s = 0; s < grads.Length; s++)
        {
            SetGrad(p, grads[s]);
            opt.Step();
            for (int i = 0; i < 2; i++)
            {
                double g = grads[s][i] + 0.01 * w[i];
                buf[i] = s == 0 ? g : 0.9 * buf[i] + 0.9 * g;
                w[i] -= 0.1 * buf[i];
            }
        }
        Assert.Equal(w[0], p.Data[0], 5);
        Assert.Equal(w[1], p.Data[1], 5);
    }

    [Fact]
    public void SgdNesterov()
    {
        var p = Param(1f);
        var opt = new Sgd([p], lr: 0.5f, momentum: 0.5f, nesterov: true);
        SetGrad(p, 1f);
        opt.Step(); // buf = 1, g = 1 + 0.5 = 1.5, w = 1 - 0.75
        Assert.Equal(0.25f, p.Data[0], 6);
        SetGrad(p, 1f);
        opt.Step(); // buf = 0.5 + 1 = 1.5, g = 1 + 0.75 = 1.75, w = 0.25 - 0.875
        Assert.Equal(-0.625f, p.Data[0], 6);
    }

    [Theory]
    [InlineData(false, false, 0f)]
    [InlineData(false, false, 0.1f)]
    [InlineData(true, false, 0.1f)]
    [InlineData(false, true, 0f)]
    public void AdamAndAdamW(bool decoupled, bool amsgrad, float wd)
    {
        var p = Param(0.5f, -1.5f, 2f);
        Optimizer opt = decoupled ? new AdamW([p], lr: 0.01f, weightDecay: wd, amsgrad: amsgrad) : new Adam([p], lr: 0.01f, weightDecay: wd, amsgrad: amsgrad);
        double[] w = [0.5, -1.5, 2], m = new double[3], v = new double[3], vmax = new double[3];
        var gen = new Generator(11);
        for (int t = 1; t <= 20; t++)
        {
            var g = new float[3];
            gen.FillNormal(g, 0, 1);
            SetGrad(p, g);
            opt.Step();
            for (int i = 0; i < 3; i++)
            {
                double gi = g[i];
                if (decoupled) w[i] *= 1 - 0.01 * wd;
                else gi += wd * w[i];
                m[i] = 0.9 * m[i] + 0.1 * gi;
                v[i] = 0.999 * v[i] + 0.001 * gi * gi;
                vmax[i] = Math.Max(vmax[i], v[i]);
                double denom = Math.Sqrt(amsgrad ? vmax[i] : v[i]) / Math.Sqrt(1 - Math.Pow(0.999, t)) + 1e-8;
                w[i] -= 0.01 / (1 - Math.Pow(0.9, t)) * m[i] / denom;
            }
        }
        for (int i = 0; i < 3; i++) Assert.Equal(w[i], p.Data[i], 4);
    }

    [Fact]
    public void ParametersWithoutAGradientAreSkipped()
    {
        var a = Param(1f);
        var b = Param(2f);
        var opt = new Adam([a, b], lr: 0.1f);
        SetGrad(a, 1f);
        opt.Step();
        Assert.NotEqual(1f, a.Data[0]);
        Assert.Equal(2f, b.Data[0]);
    }

    [Fact]
    public void StateRoundTripsThroughStateDict()
    {
        var p = Param(1f, 2f);
        var opt = new Adam([p], lr: 0.1f);
        SetGrad(p, 0.3f, -0.2f);
        opt.Step();
        var q = Param(p.ToArray());
        var opt2 = new Adam([q], lr: 0.1f);
        opt2.LoadStateDict(opt.StateDict());
        SetGrad(p, 0.1f, 0.1f);
        SetGrad(q, 0.1f, 0.1f);
        opt.Step();
        opt2.Step();
        Assert.Equal(p.ToArray(), q.ToArray());
    }

    [Fact]
    public void BadHyperParametersAreRejected()
    {
        Assert.Contains("learning rate must be >= 0", Assert.Throws<ArgumentException>(() => new Sgd([Param(1f)], lr: -1f)).Message);
        Assert.Contains("Nesterov", Assert.Throws<ArgumentException>(() => new Sgd([Param(1f)], lr: 0.1f, nesterov: true)).Message);
        Assert.Contains("beta1", Assert.Throws<ArgumentException>(() => new Adam([Param(1f)], beta1: 1f)).Message);
        Assert.Contains("empty parameter list", Assert.Throws<ArgumentException>(() => new Adam(Array.Empty<Tensor>())).Message);
    }
}
