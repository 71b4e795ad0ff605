using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>x if x &gt; 0 else negativeSlope * x.</summary>
public sealed class LeakyReLU : Module
{
    public LeakyReLU(float negativeSlope = 0.01f) => NegativeSlope = negativeSlope;

    public float NegativeSlope { get; }

    public override LayerCost Cost(Shape input, Shape output) => new(0, InPlace: true);

    protected override Tensor OnForward(Tensor input) => F.LeakyRelu(input, NegativeSlope);

    protected override string ExtraRepr() => $"negative_slope={NegativeSlope}";
}
