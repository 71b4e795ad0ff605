using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>The logistic sigmoid 1 / (1 + e^-x).</summary>
public sealed class Sigmoid : Module
{
    public override Tensor Forward(Tensor input) => F.Sigmoid(input);
}
