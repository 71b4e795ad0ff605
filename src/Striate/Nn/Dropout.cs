using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>Inverted dropout, active only in training mode; draws its masks from its own seeded stream.</summary>
public sealed class Dropout : Module
{
    public Dropout(float p = 0.5f, Generator? generator = null)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: probability must be in [0, 1], got {p}.");
        P = p;
        Generator = generator ?? Generator.Default.Fork(Generator.Default.Advance(1));
    }

    public float P { get; }

    /// <summary>The stream the masks come from; a checkpoint stores its offset.</summary>
    public Generator Generator { get; set; }

    public override LayerCost Cost(Shape input, Shape output) => new(0, InPlace: true);

    protected override Tensor OnForward(Tensor input) => F.Dropout(input, P, IsTraining, Generator);

    protected override string ExtraRepr() => $"p={P}";
}
