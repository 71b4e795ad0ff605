using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>The identity (a placeholder where a layer is removed).</summary>
public sealed class Identity : Module
{
    public override Tensor Forward(Tensor input) => input;
}
