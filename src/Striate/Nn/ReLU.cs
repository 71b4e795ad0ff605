using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>The rectified linear unit max(x, 0).</summary>
public sealed class ReLU : Module
{
    public override Tensor Forward(Tensor input) => F.Relu(input);
}
