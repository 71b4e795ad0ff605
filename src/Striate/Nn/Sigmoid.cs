using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>The logistic sigmoid 1 / (1 + e^-x).</summary>
public sealed class Sigmoid : Module
{
    /// <summary>Activations are counted as in place, as torchvision builds them (ReLU(inplace=True)).</summary>
    public override LayerCost Cost(Shape input, Shape output) => new(0, InPlace: true);

    protected override Tensor OnForward(Tensor input) => F.Sigmoid(input);
}
