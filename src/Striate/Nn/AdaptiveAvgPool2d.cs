using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>Average pooling to a fixed output size, whatever the input size.</summary>
public sealed class AdaptiveAvgPool2d : Module
{
    public AdaptiveAvgPool2d(Size2 outputSize) => OutputSize = outputSize;

    public Size2 OutputSize { get; }

    protected override Tensor OnForward(Tensor input) => F.AdaptiveAvgPool2d(input, OutputSize, Path ?? "");

    protected override string ExtraRepr() => $"output_size={OutputSize}";
}
