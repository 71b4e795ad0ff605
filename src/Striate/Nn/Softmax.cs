using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>Softmax along a dimension (default 1, the class dimension of [N, C]).</summary>
public sealed class Softmax : Module
{
    public Softmax(int dim = 1) => Dim = dim;

    public int Dim { get; }

    protected override Tensor OnForward(Tensor input) => F.Softmax(input, Dim);

    protected override string ExtraRepr() => $"dim={Dim}";
}
