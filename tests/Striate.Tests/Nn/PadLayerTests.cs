using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Tests.Nn;

/// <summary>The 2-D padding layers: worked examples, shapes, PyTorch's reprs and refusals.</summary>
public class PadLayerTests
{
    // A 1x1x2x3 image [[1 2 3], [4 5 6]].
    private static Tensor Image() => Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 1, 1, 2, 3);

    [Fact]
    public void ReflectionMirrorsWithoutRepeatingTheEdge()
    {
        // Left 2, right 1, top 1, bottom 0: rows [4 5 6] (row 1 mirrored), [1 2 3], [4 5 6]; each row [c b a b c b].
        var y = new ReflectionPad2d(2, 1, 1, 0).Forward(Image());
        Assert.Equal([1, 1, 3, 6], y.Shape.ToArray());
        Assert.Equal([6f, 5f, 4f, 5f, 6f, 5f, 3f, 2f, 1f, 2f, 3f, 2f, 6f, 5f, 4f, 5f, 6f, 5f], y.ToArray());
    }

    [Fact]
    public void ReplicationRepeatsTheEdge()
    {
        var y = new ReplicationPad2d(1, 2, 0, 1).Forward(Image());
        Assert.Equal([1, 1, 3, 6], y.Shape.ToArray());
        Assert.Equal([1f, 1f, 2f, 3f, 3f, 3f, 4f, 4f, 5f, 6f, 6f, 6f, 4f, 4f, 5f, 6f, 6f, 6f], y.ToArray());
    }

    [Fact]
    public void CircularWrapsAround()
    {
        var y = new CircularPad2d(1, 2, 1, 0).Forward(Image());
        Assert.Equal([1, 1, 3, 6], y.Shape.ToArray());
        Assert.Equal([6f, 4f, 5f, 6f, 4f, 5f, 3f, 1f, 2f, 3f, 1f, 2f, 6f, 4f, 5f, 6f, 4f, 5f], y.ToArray());
    }

    [Fact]
    public void ZeroAndConstantFillAndNegativeAmountsCrop()
    {
        var zero = new ZeroPad2d(1).Forward(Image());
        Assert.Equal([1, 1, 4, 5], zero.Shape.ToArray());
        Assert.Equal([0f, 0f, 0f, 0f, 0f, 0f, 1f, 2f, 3f, 0f, 0f, 4f, 5f, 6f, 0f, 0f, 0f, 0f, 0f, 0f], zero.ToArray());
        var constant = new ConstantPad2d(-1, 1, 0, -1, 9f).Forward(Image());
        Assert.Equal([1, 1, 1, 3], constant.Shape.ToArray());
        Assert.Equal([2f, 3f, 9f], constant.ToArray());
    }

    [Fact]
    public void TakesAnImageWithoutABatch()
    {
        var y = new ReflectionPad2d(1).Forward(Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 1, 2, 3));
        Assert.Equal([1, 4, 5], y.Shape.ToArray());
    }

    [Fact]
    public void TheGradientSumsOntoTheElementsEachOutputCopies()
    {
        var x = Image();
        x.RequiresGrad = true;
        // Replicate by 2 on the left of W only: x[., 0] is read three times, the others once.
        F.Sum(new ReplicationPad2d(2, 0, 0, 0).Forward(x)).Backward();
        Assert.Equal([3f, 1f, 1f, 3f, 1f, 1f], x.Grad!.ToArray());
        var z = Image();
        z.RequiresGrad = true;
        F.Sum(new ZeroPad2d(-1, 0, 1, 1).Forward(z)).Backward();
        Assert.Equal([0f, 1f, 1f, 0f, 1f, 1f], z.Grad!.ToArray());
    }

    [Fact]
    public void ReprsAreTorchs()
    {
        Assert.Equal("ZeroPad2d((1, 1, 2, 0))", new ZeroPad2d(1, 1, 2, 0).ToString());
        Assert.Equal("ConstantPad2d(padding=(3, 3, 3, 3), value=3.5)", new ConstantPad2d(3, 3.5f).ToString());
        Assert.Equal("ReflectionPad2d((2, 2, 2, 2))", new ReflectionPad2d(2).ToString());
        Assert.Equal("ReplicationPad2d((1, 0, 3, 2))", new ReplicationPad2d(1, 0, 3, 2).ToString());
        Assert.Equal("CircularPad2d((1, 1, 1, 1))", new CircularPad2d(1).ToString());
        Assert.Empty(new ReflectionPad2d(1).Parameters());
    }

    [Fact]
    public void BadSettingsAndInputsAreNamed()
    {
        Assert.Contains("ReflectionPad2d: padding must be >= 0, got (1, -1, 0, 0)",
            Assert.Throws<ArgumentException>(() => new ReflectionPad2d(1, -1, 0, 0)).Message);
        Assert.Contains("fill value must be finite", Assert.Throws<ArgumentException>(() => new ConstantPad2d(1, float.NaN)).Message);
        var rank = Assert.Throws<ArgumentException>(() => new ZeroPad2d(1).Forward(Tensor.Zeros(4, 4)));
        Assert.Contains("ZeroPad2d expects an image [C, H, W] or a batch [N, C, H, W], got [4, 4]", rank.Message);
        var big = Assert.Throws<ArgumentException>(() => new ReflectionPad2d(3).Forward(Image()));
        Assert.Contains("ReflectionPad2d: reflect padding must be smaller than the size it mirrors: 3 on dimension 3 of size 3", big.Message);
        var inModel = new Sequential(("pad", new ReflectionPad2d(2)));
        Assert.Contains("ReflectionPad2d 'pad': reflect padding must be smaller than the size it mirrors: 2 on dimension 2 of size 2",
            Assert.Throws<ArgumentException>(() => inModel.Forward(Image())).Message);
    }
}
