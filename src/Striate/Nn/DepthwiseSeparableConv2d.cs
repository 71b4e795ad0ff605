using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>
/// Depthwise separable convolution (MobileNet; seed 004): a depthwise k x k convolution with groups = in
/// channels ("depthwise"), then a 1x1 pointwise convolution to the output channels ("pointwise").
/// Parameters: C*k*k + C*OC (+ biases) against C*OC*k*k for a full convolution.
/// </summary>
public sealed class DepthwiseSeparableConv2d : Module
{
    public DepthwiseSeparableConv2d(int inChannels, int outChannels, Size2 kernelSize, Size2? stride = null, Padding2d padding = default,
        Size2? dilation = null, bool bias = true, Generator? generator = null)
    {
        Depthwise = RegisterModule("depthwise", new Conv2d(inChannels, inChannels, kernelSize, stride, padding, dilation, inChannels, bias, generator));
        Pointwise = RegisterModule("pointwise", new Conv2d(inChannels, outChannels, 1, bias: bias, generator: generator));
    }

    public Conv2d Depthwise { get; }
    public Conv2d Pointwise { get; }

    protected override Tensor OnForward(Tensor input) => Pointwise.Call(Depthwise.Call(input));
}
