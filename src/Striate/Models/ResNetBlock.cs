namespace Striate.Models;

/// <summary>The residual block a <see cref="ResNet"/> stacks.</summary>
public enum ResNetBlock
{
    /// <summary>Two 3x3 convolutions (<see cref="BasicBlock"/>): ResNet-18 and 34.</summary>
    Basic,

    /// <summary>1x1, 3x3, 1x1 convolutions expanding by 4 (<see cref="Models.Bottleneck"/>): ResNet-50, 101 and 152.</summary>
    Bottleneck,
}
