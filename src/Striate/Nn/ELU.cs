using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>x if x &gt; 0 else alpha * (e^x - 1).</summary>
public sealed class ELU : Module
{
    public ELU(float alpha = 1f) => Alpha = alpha;

    public float Alpha { get; }

    public override LayerCost Cost(Shape input, Shape output) => new(0, InPlace: true);

    protected override Tensor OnForward(Tensor input) => F.Elu(input, Alpha);

    protected override string ExtraRepr() => $"alpha={Alpha}";
}
