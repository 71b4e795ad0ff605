using Striate.Ops;
using Striate.Tensors;

namespace Striate.Tests.Ops;

/// <summary>Ops on tensors with a zero-size dimension give empty results of the right shape, as PyTorch's do.</summary>
public class EmptyTensorTests
{
    public static TheoryData<string, Func<Tensor, Tensor>> Elementwise => new()
    {
        { "relu", F.Relu }, { "sigmoid", F.Sigmoid }, { "tanh", F.Tanh }, { "exp", F.Exp }, { "abs", F.Abs },
        { "leaky_relu", x => F.LeakyRelu(x, 0.1f) }, { "elu", x => F.Elu(x) }, { "square", F.Square },
        { "softmax over a dimension of size 0", x => F.Softmax(x, 1) }, { "log_softmax over rows", x => F.LogSoftmax(x, 0) },
    };

    [Theory]
    [MemberData(nameof(Elementwise))]
    public void ElementwiseOpsKeepTheEmptyShapeAndTheirGradientToo(string name, Func<Tensor, Tensor> op)
    {
        var x = Tensor.Zeros(3, 0);
        x.RequiresGrad = true;
        var y = op(x);
        Assert.True(y.Shape.Equals(x.Shape), $"{name}: {y.Shape}");
        F.Sum(y).Backward();
        Assert.Equal([3, 0], x.Grad!.Shape.ToArray());
    }
}
