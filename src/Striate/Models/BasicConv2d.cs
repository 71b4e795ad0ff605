using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Models;

/// <summary>
/// A convolution followed by ReLU, the unit GoogLeNet and Inception v3 are built from. With batch norm (torchvision's
/// <c>BasicConv2d</c>) the convolution has no bias and is followed by batch norm with eps 0.001: keys
/// <c>conv.weight</c>, <c>bn.weight</c>, <c>bn.bias</c>, <c>bn.running_mean</c>, ...; without, the convolution
/// has a bias (<c>conv.weight</c>, <c>conv.bias</c>), as in the GoogLeNet paper.
/// </summary>
public sealed class BasicConv2d : Module
{
    // Its fused inference form is ModelFusion's.
    static BasicConv2d() => ModelFusion.Ensure();

    public BasicConv2d(int inChannels, int outChannels, Size2 kernelSize, Size2? stride = null, Padding2d padding = default,
        bool batchNorm = true, Generator? generator = null)
    {
        Conv = RegisterModule("conv", new Conv2d(inChannels, outChannels, kernelSize, stride, padding, bias: !batchNorm, generator: generator));
        if (batchNorm) Bn = RegisterModule("bn", new BatchNorm2d(outChannels, eps: 0.001f));
    }

    public Conv2d Conv { get; }
    public BatchNorm2d? Bn { get; }

    public int OutChannels => Conv.OutChannels;

    protected override Tensor OnForward(Tensor input)
    {
        var x = Conv.Call(input);
        if (Bn is not null) x = Bn.Call(x);
        return F.Relu(x);
    }
}
