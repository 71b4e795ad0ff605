using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>2-D average pooling; stride defaults to the kernel size.</summary>
public sealed class AvgPool2d : Module
{
    public AvgPool2d(Size2 kernelSize, Size2? stride = null, Size2? padding = null, bool ceilMode = false, bool countIncludePad = true)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding ?? 0;
        CeilMode = ceilMode;
        CountIncludePad = countIncludePad;
    }

    public Size2 KernelSize { get; }
    public Size2 Stride { get; }
    public Size2 Padding { get; }
    public bool CeilMode { get; }
    public bool CountIncludePad { get; }

    protected override Tensor OnForward(Tensor input) => F.AvgPool2d(input, KernelSize, Stride, Padding, CeilMode, CountIncludePad, Path ?? "");

    public override LayerCost Cost(Shape input, Shape output) =>
        new(0, new LayerWindow(KernelSize.H, KernelSize.W, Stride.H, Stride.W, 1, 1, 2 * Padding.H, 2 * Padding.W, CeilMode));

    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}
