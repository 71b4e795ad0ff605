using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using static Striate.Models.ModelHelpers;

namespace Striate.Models;

/// <summary>
/// One layer of a DenseNet-BC dense block (Huang, Liu, van der Maaten and Weinberger, "Densely connected
/// convolutional networks", CVPR 2017, section 3): batch norm, ReLU, a 1x1 bottleneck convolution to
/// bnSize * growthRate channels, batch norm, ReLU and a 3x3 convolution to growthRate channels, the new feature maps
/// the block concatenates to its input. torchvision's names: norm1, relu1, conv1, norm2, relu2, conv2.
/// </summary>
public sealed class DenseLayer : Module
{
    public DenseLayer(int numInputFeatures, int growthRate, int bnSize, float dropRate = 0f, Generator? generator = null)
    {
        Norm1 = RegisterModule("norm1", new BatchNorm2d(numInputFeatures));
        Relu1 = RegisterModule("relu1", new ReLU());
        Conv1 = RegisterModule("conv1", Conv1x1(numInputFeatures, bnSize * growthRate, generator: generator));
        Norm2 = RegisterModule("norm2", new BatchNorm2d(bnSize * growthRate));
        Relu2 = RegisterModule("relu2", new ReLU());
        Conv2 = RegisterModule("conv2", Conv3x3(bnSize * growthRate, growthRate, generator: generator));
        if (dropRate > 0) Dropout = RegisterModule("dropout", NewDropout(dropRate, generator));
    }

    public BatchNorm2d Norm1 { get; }
    public ReLU Relu1 { get; }
    public Conv2d Conv1 { get; }
    public BatchNorm2d Norm2 { get; }
    public ReLU Relu2 { get; }
    public Conv2d Conv2 { get; }
    public Dropout? Dropout { get; }

    /// <summary>The new feature maps from the concatenation of everything before this layer in its block.</summary>
    protected override Tensor OnForward(Tensor input)
    {
        var x = Conv1.Call(Relu1.Call(Norm1.Call(input)));
        x = Conv2.Call(Relu2.Call(Norm2.Call(x)));
        return Dropout is null ? x : Dropout.Call(x);
    }
}
