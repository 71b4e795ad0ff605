using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>The hyperbolic tangent.</summary>
public sealed class Tanh : Module
{
    public override Tensor Forward(Tensor input) => F.Tanh(input);
}
