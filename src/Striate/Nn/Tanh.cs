using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>The hyperbolic tangent.</summary>
public sealed class Tanh : Module
{
    /// <summary>Activations are counted as in place, as torchvision builds them (ReLU(inplace=True)).</summary>
    public override LayerCost Cost(Shape input, Shape output) => new(0, InPlace: true);

    protected override Tensor OnForward(Tensor input) => F.Tanh(input);
}
