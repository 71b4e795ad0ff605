using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>
/// 2-D convolution layer: weight [out, in/groups, KH, KW], bias [out]; initialised as PyTorch does
/// (Kaiming uniform with a = sqrt(5), so bounds 1/sqrt(fan_in)).
/// </summary>
public sealed class Conv2d : Module
{
    public Conv2d(int inChannels, int outChannels, Size2 kernelSize, Size2? stride = null, Padding2d padding = default,
        Size2? dilation = null, int groups = 1, bool bias = true, Generator? generator = null)
    {
        if (inChannels < 1 || outChannels < 1)
            throw new ArgumentException($"Conv2d: in_channels ({inChannels}) and out_channels ({outChannels}) must be >= 1.");
        if (groups < 1 || inChannels % groups != 0)
            throw new ArgumentException($"Conv2d: in_channels ({inChannels}) must be divisible by groups ({groups}).");
        if (outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: out_channels ({outChannels}) must be divisible by groups ({groups}).");
        if (kernelSize.H < 1 || kernelSize.W < 1)
            throw new ArgumentException($"Conv2d: kernel_size must be >= 1, got {kernelSize}.");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride ?? 1;
        Padding = padding;
        Dilation = dilation ?? 1;
        Groups = groups;
        if (Stride.H < 1 || Stride.W < 1) throw new ArgumentException($"Conv2d: stride must be >= 1, got {Stride}.");
        if (Dilation.H < 1 || Dilation.W < 1) throw new ArgumentException($"Conv2d: dilation must be >= 1, got {Dilation}.");
        if (padding.Mode == PaddingMode.Same && (Stride.H != 1 || Stride.W != 1))
            throw new ArgumentException($"Conv2d: padding 'same' needs stride 1, got {Stride}.");
        Weight = RegisterParameter("weight", Tensor.Persistent(new Shape(outChannels, inChannels / groups, kernelSize.H, kernelSize.W)))!;
        Bias = RegisterParameter("bias", bias ? Tensor.Persistent(new Shape(outChannels)) : null);
        Init.DefaultLayer(Weight, Bias, generator);
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public Size2 KernelSize { get; }
    public Size2 Stride { get; }
    public Padding2d Padding { get; }
    public Size2 Dilation { get; }
    public int Groups { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    protected override Tensor OnForward(Tensor input) => F.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups, Path ?? "");

    public override LayerCost Cost(Shape input, Shape output)
    {
        var (pt, pb, pl, pr) = Padding.Resolve(KernelSize.H, KernelSize.W, Dilation.H, Dilation.W);
        long perOutput = (long)(InChannels / Groups) * KernelSize.H * KernelSize.W;
        return new LayerCost(output.Numel / Math.Max(output[0], 1) * perOutput,
            new LayerWindow(KernelSize.H, KernelSize.W, Stride.H, Stride.W, Dilation.H, Dilation.W, pt + pb, pl + pr));
    }

    protected override string ExtraRepr()
    {
        var s = $"{InChannels}, {OutChannels}, kernel_size={KernelSize}, stride={Stride}";
        if (Padding != default) s += $", padding={Padding}";
        if (Dilation != new Size2(1, 1)) s += $", dilation={Dilation}";
        if (Groups != 1) s += $", groups={Groups}";
        if (Bias is null) s += ", bias=False";
        return s;
    }
}
