using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using static Striate.Models.ModelHelpers;

namespace Striate.Models;

/// <summary>
/// The basic residual block of ResNet-18 and 34 (He, Zhang, Ren and Sun, "Deep residual learning for image
/// recognition", CVPR 2016, figure 5 left): relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), both
/// convolutions 3x3, the first carrying the stride. torchvision's names: conv1, bn1, conv2, bn2, downsample.
/// </summary>
public sealed class BasicBlock : Module
{
    // Its fused inference form is ModelFusion's.
    static BasicBlock() => ModelFusion.Ensure();

    /// <summary>Output channels over <c>planes</c>.</summary>
    public const int Expansion = 1;

    /// <param name="inplanes">Input channels.</param>
    /// <param name="planes">Output channels.</param>
    /// <param name="stride">Stride of the first convolution.</param>
    /// <param name="downsample">The projection shortcut where the shape changes (1x1 convolution and batch norm), else null for the identity.</param>
    /// <param name="generator">The stream the initial weights come from.</param>
    public BasicBlock(int inplanes, int planes, int stride = 1, Module? downsample = null, Generator? generator = null)
    {
        Conv1 = RegisterModule("conv1", Conv3x3(inplanes, planes, stride, generator));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(planes));
        Relu = RegisterModule("relu", new ReLU());
        Conv2 = RegisterModule("conv2", Conv3x3(planes, planes, generator: generator));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(planes));
        if (downsample is not null) Downsample = RegisterModule("downsample", downsample);
        Stride = stride;
    }

    public Conv2d Conv1 { get; }
    public BatchNorm2d Bn1 { get; }
    public ReLU Relu { get; }
    public Conv2d Conv2 { get; }
    public BatchNorm2d Bn2 { get; }
    public Module? Downsample { get; }
    public int Stride { get; }

    protected override Tensor OnForward(Tensor input)
    {
        var identity = input;
        var x = Relu.Call(Bn1.Call(Conv1.Call(input)));
        x = Bn2.Call(Conv2.Call(x));
        if (Downsample is not null) identity = Downsample.Call(input);
        return Relu.Call(F.Add(x, identity));
    }
}
