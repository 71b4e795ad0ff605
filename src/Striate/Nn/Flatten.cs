using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>Flattens dimensions startDim..endDim (by default everything but the batch).</summary>
public sealed class Flatten : Module
{
    public Flatten(int startDim = 1, int endDim = -1)
    {
        StartDim = startDim;
        EndDim = endDim;
    }

    public int StartDim { get; }
    public int EndDim { get; }

    public override LayerCost Cost(Shape input, Shape output) => new(0, InPlace: true);

    protected override Tensor OnForward(Tensor input) => F.Flatten(input, StartDim, EndDim);

    protected override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}
