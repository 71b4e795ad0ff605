using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>2-D max pooling; stride defaults to the kernel size.</summary>
public sealed class MaxPool2d : Module
{
    public MaxPool2d(Size2 kernelSize, Size2? stride = null, Size2? padding = null, Size2? dilation = null, bool ceilMode = false)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding ?? 0;
        Dilation = dilation ?? 1;
        CeilMode = ceilMode;
    }

    public Size2 KernelSize { get; }
    public Size2 Stride { get; }
    public Size2 Padding { get; }
    public Size2 Dilation { get; }
    public bool CeilMode { get; }

    protected override Tensor OnForward(Tensor input) => F.MaxPool2d(input, KernelSize, Stride, Padding, Dilation, CeilMode, Path ?? "");

    public override LayerCost Cost(Shape input, Shape output) =>
        new(0, new LayerWindow(KernelSize.H, KernelSize.W, Stride.H, Stride.W, Dilation.H, Dilation.W, 2 * Padding.H, 2 * Padding.W, CeilMode));

    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, ceil_mode={CeilMode}";
}
