using Striate.Backends;
using Striate.Backends.Cpu;

namespace Striate.Tests.Backends.Cpu;

/// <summary>
/// Every public kernel refuses a buffer shorter than its geometry says before it reads or writes through a pointer,
/// naming the kernel, the buffer and both lengths.
/// </summary>
public class KernelSpanTests
{
    private static float[] F(long n) => new float[n];

    // A 3x3 convolution of [2, 4, 6, 7] to 5 channels, padding 1 (output [2, 5, 6, 7]); depthwise and direct variants.
    private static readonly Conv2dGeometry Conv = new(2, 4, 6, 7, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
    private static readonly Conv2dGeometry Depthwise = new(2, 4, 6, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4);
    private static readonly Conv2dGeometry Wide = new(1, 32, 8, 8, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
    private static readonly Conv2dGeometry Wide4 = new(1, 32, 24, 24, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
    private static readonly Pool2dGeometry Pool = new(2, 3, 7, 9, 2, 2, 2, 2, 0, 0, 1, 1, false, true);

    public static TheoryData<string, Action, string[]> Cases => new()
    {
        { "conv forward, short x", () => ConvKernels.Forward(Conv, F(Conv.InputLength - 1), F(Conv.WeightLength), default, default, false, F(Conv.OutputLength)), ["ConvKernels.Forward: x holds 335 values, 336 needed"] },
        { "conv forward, short bias", () => ConvKernels.Forward(Conv, F(Conv.InputLength), F(Conv.WeightLength), F(4), default, false, F(Conv.OutputLength)), ["ConvKernels.Forward: bias holds 4 values, 5 needed"] },
        { "conv forward, short residual", () => ConvKernels.Forward(Conv, F(Conv.InputLength), F(Conv.WeightLength), default, F(10), false, F(Conv.OutputLength)), ["ConvKernels.Forward: residual holds 10 values"] },
        { "conv backward data, short dx", () => ConvKernels.BackwardData(Conv, F(Conv.OutputLength), F(Conv.WeightLength), F(5)), ["ConvKernels.BackwardData: x holds 5 values"] },
        { "conv backward weight, short dw", () => ConvKernels.BackwardWeight(Conv, F(Conv.InputLength), F(Conv.OutputLength), F(3), default), ["ConvKernels.BackwardWeight: w holds 3 values, 180 needed"] },
        { "depthwise forward, short y", () => DepthwiseKernels.Forward(Depthwise, F(Depthwise.InputLength), F(Depthwise.WeightLength), default, F(1)), ["DepthwiseKernels.Forward: y holds 1 values"] },
        { "depthwise backward data, short w", () => DepthwiseKernels.BackwardData(Depthwise, F(Depthwise.OutputLength), F(2), F(Depthwise.InputLength)), ["DepthwiseKernels.BackwardData: w holds 2 values, 36 needed"] },
        { "depthwise backward weight, short x", () => DepthwiseKernels.BackwardWeight(Depthwise, F(7), F(Depthwise.OutputLength), F(Depthwise.WeightLength)), ["DepthwiseKernels.BackwardWeight: x holds 7 values"] },
        { "direct forward, short w", () => DirectConvKernels.Forward(Conv, F(Conv.InputLength), F(9), default, default, false, F(Conv.OutputLength)), ["DirectConvKernels.Forward: w holds 9 values, 180 needed"] },
        { "direct backward weight, short dy", () => DirectConvKernels.BackwardWeight(Conv, F(Conv.InputLength), F(8), F(Conv.WeightLength)), ["DirectConvKernels.BackwardWeight: y holds 8 values"] },
        { "winograd forward, short x", () => WinogradKernels.Forward(Wide, F(100), F(Wide.WeightLength), default, default, false, F(Wide.OutputLength)), ["WinogradKernels.Forward: x holds 100 values, 2048 needed"] },
        { "winograd 4x4 forward, short y", () => WinogradKernels.Forward4x4(Wide4, F(Wide4.InputLength), F(Wide4.WeightLength), default, default, false, F(100)), ["WinogradKernels.Forward4x4: y holds 100 values"] },
        { "winograd backward weight, short dw", () => WinogradKernels.BackwardWeight(Wide, F(Wide.InputLength), F(Wide.OutputLength), F(10)), ["WinogradKernels.BackwardWeight: w holds 10 values"] },
        { "max pool forward, short argmax", () => PoolKernels.MaxForward(Pool, F(Pool.InputLength), F(Pool.OutputLength), new int[3]), ["PoolKernels.MaxForward: argmax holds 3 values, 72 needed"] },
        { "max pool backward, short dx", () => PoolKernels.MaxBackward(Pool, F(Pool.OutputLength), new int[Pool.OutputLength], F(4)), ["PoolKernels.MaxBackward: dx holds 4 values, 378 needed"] },
        { "avg pool forward, short x", () => PoolKernels.AvgForward(Pool, F(1), F(Pool.OutputLength)), ["PoolKernels.AvgForward: x holds 1 values"] },
        { "avg pool backward, short dy", () => PoolKernels.AvgBackward(Pool, F(1), F(Pool.InputLength)), ["PoolKernels.AvgBackward: dy holds 1 values"] },
        { "adaptive pool forward, short y", () => PoolKernels.AdaptiveAvgForward(6, 7, 9, 3, 4, F(378), F(71)), ["PoolKernels.AdaptiveAvgForward: y holds 71 values, 72 needed"] },
        { "adaptive pool backward, short dx", () => PoolKernels.AdaptiveAvgBackward(6, 7, 9, 3, 4, F(72), F(377)), ["PoolKernels.AdaptiveAvgBackward: dx holds 377 values, 378 needed"] },
        { "batch norm forward, short invstd", () => NormKernels.BatchNormForward(2, 3, 5, F(30), F(3), F(2), F(3), default, default, 1e-5f, true, F(30)), ["NormKernels.BatchNormForward: invstd holds 2 values, 3 needed"] },
        { "batch norm forward, short gamma", () => NormKernels.BatchNormForward(2, 3, 5, F(30), F(3), F(3), F(3), F(1), default, 1e-5f, true, F(30)), ["NormKernels.BatchNormForward: gamma holds 1 values"] },
        { "batch norm backward, short dy", () => NormKernels.BatchNormBackward(2, 3, 5, F(30), F(29), F(3), F(3), default, true, F(30), default, default), ["NormKernels.BatchNormBackward: dy holds 29 values, 30 needed"] },
        { "softmax forward, short y", () => SoftmaxKernels.Forward(3, 4, F(12), F(11), false), ["SoftmaxKernels.Forward: y holds 11 values, 12 needed"] },
        { "softmax backward, short dx", () => SoftmaxKernels.Backward(3, 4, F(12), F(12), F(2), true), ["SoftmaxKernels.Backward: dx holds 2 values"] },
        { "unary forward, short y", () => UnaryKernels.Forward(UnaryOp.Relu, 0, F(8), F(7)), ["UnaryKernels.Forward: y holds 7 values, 8 needed"] },
        { "unary backward, short x", () => UnaryKernels.Backward(UnaryOp.Relu, 0, F(3), default, F(8), F(8)), ["UnaryKernels.Backward: x holds 3 values, 8 needed"] },
        { "broadcast, short b", () => Broadcast.Binary(BinaryOp.Add, F(12), [4, 1], F(3), [0, 1], F(12), [3, 4]), ["Broadcast.Binary: b holds 3 values, 4 needed"] },
        { "broadcast, strides of another rank", () => Broadcast.Binary(BinaryOp.Add, F(12), [4], F(12), [4, 1], F(12), [3, 4]), ["Broadcast.Binary: aStrides has 1 strides for 2 dimensions"] },
        { "sum into, short dst", () => Broadcast.SumInto(F(12), [3, 4], F(3), [0, 1]), ["Broadcast.SumInto: dst holds 3 values, 4 needed"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void AShortBufferIsRefusedByName(string name, Action call, string[] fragments)
    {
        var e = Assert.Throws<ArgumentException>(call);
        foreach (var f in fragments) Assert.True(e.Message.Contains(f, StringComparison.Ordinal), $"{name}: '{e.Message}' lacks '{f}'.");
    }
}
