using Striate.Models;
using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using Striate.Visualization;

namespace Striate.Tests.Nn;

/// <summary>A module of one's own that runs its children with Forward, as models are run, works with every tool.</summary>
public class ChildForwardTests
{
    private sealed class DirectNet : Module
    {
        private readonly Conv2d _conv;
        private readonly MaxPool2d _pool;
        private readonly Linear _head;

        public DirectNet(Generator gen)
        {
            _conv = RegisterModule("conv", new Conv2d(1, 4, 3, padding: 1, generator: gen));
            _pool = RegisterModule("pool", new MaxPool2d(2));
            _head = RegisterModule("head", new Linear(4 * 4 * 4, 3, generator: gen));
        }

        public Conv2d Conv => _conv;

        protected override Tensor OnForward(Tensor x) => _head.Forward(F.Flatten(_pool.Forward(F.Relu(_conv.Forward(x)))));
    }

    [Fact]
    public void TheSummarySeesEveryLayerWithItsCost()
    {
        var net = new DirectNet(new Generator(1));
        var s = ModelSummary.Of(net, 1, 8, 8, "direct");
        Assert.Equal(["conv", "pool", "head"], s.Rows.Select(r => r.Name));
        Assert.Equal(4L * 8 * 8 * 9, s.Rows[0].MultiplyAccumulates);   // 4 maps of 8x8, each value 3x3x1 products
        Assert.Equal(64L * 3, s.Rows[2].MultiplyAccumulates);
        Assert.Equal(s.Rows.Sum(r => r.MultiplyAccumulates), s.MultiplyAccumulates);
        Assert.Equal(net.ParameterCount(), s.Parameters);
    }

    [Fact]
    public void ALayersFeatureMapsAreFoundByItsPath()
    {
        var net = new DirectNet(new Generator(2));
        var x = Tensor.Randn(new Generator(3), 1, 1, 8, 8);
        var maps = FeatureMaps.Capture(net, net.Conv, x);
        Assert.Equal([1, 4, 8, 8], maps.Shape.Dims.ToArray());
        using var _ = Autograd.NoGrad();
        Assert.Equal(net.Conv.Forward(x).ToArray(), maps.ToArray());
    }
}
