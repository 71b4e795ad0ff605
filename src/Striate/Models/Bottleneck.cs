using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using static Striate.Models.ModelHelpers;

namespace Striate.Models;

/// <summary>
/// The bottleneck residual block of ResNet-50, 101 and 152 (He, Zhang, Ren and Sun, "Deep residual learning for
/// image recognition", CVPR 2016, figure 5 right): a 1x1 convolution to <c>planes</c> channels, a 3x3 convolution,
/// and a 1x1 convolution to <c>planes * 4</c>, each with batch norm, added to the shortcut. As in torchvision
/// (ResNet v1.5) the stride sits on the 3x3 convolution rather than the first 1x1.
/// </summary>
public sealed class Bottleneck : Module
{
    // Its fused inference form is ModelFusion's.
    static Bottleneck() => ModelFusion.Ensure();

    /// <summary>Output channels over <c>planes</c>.</summary>
    public const int Expansion = 4;

    /// <param name="inplanes">Input channels.</param>
    /// <param name="planes">Channels of the inner convolutions; the block outputs <c>planes * Expansion</c>.</param>
    /// <param name="stride">Stride of the 3x3 convolution.</param>
    /// <param name="downsample">The projection shortcut where the shape changes, else null for the identity.</param>
    /// <param name="generator">The stream the initial weights come from.</param>
    public Bottleneck(int inplanes, int planes, int stride = 1, Module? downsample = null, Generator? generator = null)
    {
        Conv1 = RegisterModule("conv1", Conv1x1(inplanes, planes, generator: generator));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(planes));
        Conv2 = RegisterModule("conv2", Conv3x3(planes, planes, stride, generator));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(planes));
        Conv3 = RegisterModule("conv3", Conv1x1(planes, planes * Expansion, generator: generator));
        Bn3 = RegisterModule("bn3", new BatchNorm2d(planes * Expansion));
        Relu = RegisterModule("relu", new ReLU());
        if (downsample is not null) Downsample = RegisterModule("downsample", downsample);
        Stride = stride;
    }

    public Conv2d Conv1 { get; }
    public BatchNorm2d Bn1 { get; }
    public Conv2d Conv2 { get; }
    public BatchNorm2d Bn2 { get; }
    public Conv2d Conv3 { get; }
    public BatchNorm2d Bn3 { get; }
    public ReLU Relu { get; }
    public Module? Downsample { get; }
    public int Stride { get; }

    protected override Tensor OnForward(Tensor input)
    {
        var identity = input;
        var x = Relu.Call(Bn1.Call(Conv1.Call(input)));
        x = Relu.Call(Bn2.Call(Conv2.Call(x)));
        x = Bn3.Call(Conv3.Call(x));
        if (Downsample is not null) identity = Downsample.Call(input);
        return Relu.Call(F.Add(x, identity));
    }
}
