using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>Global average pooling (Network in Network): [N, C, H, W] to [N, C, 1, 1].</summary>
public sealed class GlobalAvgPool2d : Module
{
    protected override Tensor OnForward(Tensor input) => F.GlobalAvgPool2d(input, Path ?? "");
}
