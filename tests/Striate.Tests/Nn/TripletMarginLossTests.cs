using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Tests.Nn;

/// <summary>PyTorch's triplet margin loss: a worked example, the swap, the layer object and its refusals.</summary>
public class TripletMarginLossTests
{
    [Fact]
    public void AWorkedExampleInThePlainDistance()
    {
        // a = (0, 0), p = (3, 4), n = (6, 8): d(a, p) = ||(-3 + e, -4 + e)|| ~ 5, d(a, n) ~ 10, margin 6:
        // L0 = max(5 - 10 + 6, 0) ~ 1 (active). Second triplet, a = (0, 0), p = (1, 0), n = (0, 10): 1 - 10 + 6 < 0 (inactive).
        var a = Tensor.FromArray([0f, 0f, 0f, 0f], 2, 2);
        var p = Tensor.FromArray([3f, 4f, 1f, 0f], 2, 2);
        var n = Tensor.FromArray([6f, 8f, 0f, 10f], 2, 2);
        a.RequiresGrad = true;
        var none = F.TripletMarginLoss(a, p, n, 6f, reduction: Reduction.None).ToArray();
        double e = 1e-6;
        double dap = Math.Sqrt(Math.Pow(-3 + e, 2) + Math.Pow(-4 + e, 2)), dan = Math.Sqrt(Math.Pow(-6 + e, 2) + Math.Pow(-8 + e, 2));
        Assert.Equal((float)(dap - dan + 6), none[0], 6);
        Assert.Equal(0f, none[1]);

        var mean = F.TripletMarginLoss(a, p, n, 6f);
        Assert.Equal(none[0] / 2, mean.Item(), 6);
        mean.Backward();
        // dL0/da = (a - p + e) / d(a, p) - (a - n + e) / d(a, n), halved by the mean; the inactive triplet gets none.
        float[] g = a.Grad!.ToArray();
        Assert.Equal((float)(((-3 + e) / dap - (-6 + e) / dan) / 2), g[0], 6);
        Assert.Equal((float)(((-4 + e) / dap - (-8 + e) / dan) / 2), g[1], 6);
        Assert.Equal([0f, 0f], g[2..]);
    }

    [Fact]
    public void SwapUsesTheCloserOfTheTwoNegativeDistances()
    {
        // d(a, n) = 4 but d(p, n) = 1: the swap makes the triplet harder.
        var a = Tensor.FromArray([0f, 0f], 1, 2);
        var p = Tensor.FromArray([3f, 0f], 1, 2);
        var n = Tensor.FromArray([4f, 0f], 1, 2);
        float plain = F.TripletMarginLoss(a, p, n, 1f, eps: 0f).Item();
        float swapped = F.TripletMarginLoss(a, p, n, 1f, eps: 0f, swap: true).Item();
        Assert.Equal(0f, plain);           // 3 - 4 + 1
        Assert.Equal(3f, swapped, 6);      // 3 - 1 + 1
    }

    [Fact]
    public void TheObjectCallsTheOpAndPrintsItsSettings()
    {
        var gen = new Generator(4);
        var a = Tensor.Uniform(gen, -1, 1, 5, 3);
        var p = Tensor.Uniform(gen, -1, 1, 5, 3);
        var n = Tensor.Uniform(gen, -1, 1, 5, 3);
        var loss = new TripletMarginLoss(margin: 0.5f, p: 1f, swap: true, reduction: Reduction.Sum);
        Assert.Equal(F.TripletMarginLoss(a, p, n, 0.5f, 1f, swap: true, reduction: Reduction.Sum).Item(), loss.Forward(a, p, n).Item());
        Assert.Equal("TripletMarginLoss(margin=0.5, p=1, swap=True, reduction='sum')", loss.ToString());
        Assert.Equal("TripletMarginLoss()", new TripletMarginLoss().ToString());
    }

    [Fact]
    public void BadShapesAndSettingsAreRefused()
    {
        var x = Tensor.Zeros(2, 3);
        Assert.Contains("one shape, [N, D] or [D], got [2, 3], [2, 4] and [2, 3]",
            Assert.Throws<ArgumentException>(() => F.TripletMarginLoss(x, Tensor.Zeros(2, 4), x)).Message);
        Assert.Contains("[N, D] or [D], got [1, 2, 3]",
            Assert.Throws<ArgumentException>(() => F.TripletMarginLoss(Tensor.Zeros(1, 2, 3), Tensor.Zeros(1, 2, 3), Tensor.Zeros(1, 2, 3))).Message);
        Assert.Contains("p must be > 0", Assert.Throws<ArgumentException>(() => new TripletMarginLoss(p: 0f)).Message);
        Assert.Contains("margin must be finite", Assert.Throws<ArgumentException>(() => F.TripletMarginLoss(x, x, x, float.NaN)).Message);
    }
}
