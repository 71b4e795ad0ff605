using Striate.Nn;
using Striate.Tensors;

namespace Striate.Models;

/// <summary>
/// LeNet-5 (LeCun, Bottou, Bengio and Haffner, "Gradient-based learning applied to document recognition",
/// 1998) for 28x28 inputs, the first convolution padded by 2 so the feature maps are the paper's 28, 14, 10, 5:
/// conv1 5x5 to 6 maps, pool 2x2, conv2 5x5 to 16 maps, pool 2x2, fc1 400-120, fc2 120-84, fc3 84-classes.
/// The classic form uses sigmoid and average pooling, as in the paper; the modern form ReLU and max pooling.
/// A width multiplier k scales every hidden width (6k and 16k maps, 120k and 84k units) for more capacity at
/// about k squared the cost.
/// </summary>
public sealed class LeNet5 : Module
{
    // Its fused inference form is ModelFusion's.
    static LeNet5() => ModelFusion.Ensure();

    private readonly Module[] _layers;

    public LeNet5(int numClasses = 10, int inChannels = 1, bool classic = false, Generator? generator = null, int width = 1)
    {
        if (width < 1) throw new ArgumentException($"LeNet5: the width multiplier must be >= 1, got {width}.");
        if (numClasses < 1) throw new ArgumentException($"LeNet5: numClasses must be >= 1, got {numClasses}.");
        if (inChannels < 1) throw new ArgumentException($"LeNet5: inChannels must be >= 1, got {inChannels}.");
        Classic = classic;
        NumClasses = numClasses;
        InChannels = inChannels;
        Width = width;
        Module Act() => classic ? new Sigmoid() : new ReLU();
        Module Pool() => classic ? new AvgPool2d(2) : new MaxPool2d(2);
        Conv1 = RegisterModule("conv1", new Conv2d(inChannels, 6 * width, 5, padding: 2, generator: generator));
        var act1 = RegisterModule("act1", Act());
        var pool1 = RegisterModule("pool1", Pool());
        Conv2 = RegisterModule("conv2", new Conv2d(6 * width, 16 * width, 5, generator: generator));
        var act2 = RegisterModule("act2", Act());
        var pool2 = RegisterModule("pool2", Pool());
        var flatten = RegisterModule("flatten", new Flatten());
        Fc1 = RegisterModule("fc1", new Linear(16 * width * 5 * 5, 120 * width, generator: generator));
        var act3 = RegisterModule("act3", Act());
        Fc2 = RegisterModule("fc2", new Linear(120 * width, 84 * width, generator: generator));
        var act4 = RegisterModule("act4", Act());
        Fc3 = RegisterModule("fc3", new Linear(84 * width, numClasses, generator: generator));
        _layers = [Conv1, act1, pool1, Conv2, act2, pool2, flatten, Fc1, act3, Fc2, act4, Fc3];
    }

    public bool Classic { get; }
    public int NumClasses { get; }
    public int InChannels { get; }

    /// <summary>The width multiplier of the hidden layers (1: the paper's widths).</summary>
    public int Width { get; }
    public Conv2d Conv1 { get; }
    public Conv2d Conv2 { get; }
    public Linear Fc1 { get; }
    public Linear Fc2 { get; }
    public Linear Fc3 { get; }

    /// <summary>The layers in order: convolution, activation, pooling (twice), flatten, then the three linear layers.</summary>
    internal IReadOnlyList<Module> Layers => _layers;

    protected override Tensor OnForward(Tensor input)
    {
        var x = input;
        foreach (var layer in _layers) x = layer.Call(x);
        return x;
    }

    protected override string ExtraRepr() => string.Join(", ", new[] { Classic ? "classic" : "", Width > 1 ? $"width={Width}" : "" }.Where(x => x.Length > 0));
}
