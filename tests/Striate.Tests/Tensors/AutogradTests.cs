using Striate.Ops;
using Striate.Tensors;

namespace Striate.Tests.Tensors;

public class AutogradTests
{
    [Fact]
    public void GradientsAccumulateOnLeavesAcrossBackwardCalls()
    {
        var x = Tensor.FromArray([1f, 2f, 3f], 3);
        x.RequiresGrad = true;
        F.Sum(F.Square(x)).Backward();
        F.Sum(F.Square(x)).Backward();
        Assert.Equal([4f, 8f, 12f], x.Grad!.ToArray());
        x.ZeroGrad();
        Assert.Equal([0f, 0f, 0f], x.Grad!.ToArray());
    }

    [Fact]
    public void FanOutSumsGradientsFromEveryUse()
    {
        var x = Tensor.FromArray([2f], 1);
        x.RequiresGrad = true;
        var y = x * x * x + x; // 3x^2 + 1 = 13 at 2
        F.Sum(y).Backward();
        Assert.Equal(13f, x.Grad!.Data[0]);
    }

    [Fact]
    public void SecondBackwardThroughAReleasedGraphIsAClearError()
    {
        var x = Tensor.FromArray([1f, 2f], 2);
        x.RequiresGrad = true;
        var loss = F.Sum(F.Relu(x));
        loss.Backward();
        var e = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("already used", e.Message);
        Assert.Contains("released", e.Message);
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        var x = Tensor.FromArray([1f, 2f], 2);
        x.RequiresGrad = true;
        Tensor y;
        using (Autograd.NoGrad()) y = F.Relu(x) * 2f;
        Assert.False(y.RequiresGrad);
        Assert.Null(y.GradFn);
        Assert.Throws<InvalidOperationException>(() => F.Sum(y).Backward());
    }

    [Fact]
    public void DetachStopsTheGradientButSharesMemory()
    {
        var x = Tensor.FromArray([3f], 1);
        x.RequiresGrad = true;
        var d = x.Detach();
        Assert.False(d.RequiresGrad);
        F.Sum(x * d).Backward();
        Assert.Equal(3f, x.Grad!.Data[0]); // d(x * c)/dx with c = 3
        d.Data[0] = 5f;
        Assert.Equal(5f, x.Data[0]);
    }

    [Fact]
    public void BackwardOfANonScalarNeedsAGradient()
    {
        var x = Tensor.FromArray([1f, 2f], 2);
        x.RequiresGrad = true;
        var y = x * 3f;
        Assert.Throws<InvalidOperationException>(() => y.Backward());
        y.Backward(Tensor.FromArray([1f, 10f], 2));
        Assert.Equal([3f, 30f], x.Grad!.ToArray());
    }

    [Fact]
    public void OnlyInputsThatRequireGradGetOne()
    {
        var a = Tensor.FromArray([1f, 2f], 2);
        var b = Tensor.FromArray([3f, 4f], 2);
        a.RequiresGrad = true;
        F.Sum(a * b).Backward();
        Assert.Equal([3f, 4f], a.Grad!.ToArray());
        Assert.Null(b.Grad);
    }

    [Fact]
    public void DeepChainsDoNotOverflowTheStack()
    {
        var x = Tensor.FromArray([1f], 1);
        x.RequiresGrad = true;
        var y = x;
        for (int i = 0; i < 20000; i++) y = y + 0f;
        F.Sum(y).Backward();
        Assert.Equal(1f, x.Grad!.Data[0]);
    }
}
