using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>LogSoftmax along a dimension (default 1, the class dimension of [N, C]).</summary>
public sealed class LogSoftmax : Module
{
    public LogSoftmax(int dim = 1) => Dim = dim;

    public int Dim { get; }

    protected override Tensor OnForward(Tensor input) => F.LogSoftmax(input, Dim);

    protected override string ExtraRepr() => $"dim={Dim}";
}
