using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>Transposed 2-D convolution layer: weight [in, out/groups, KH, KW], bias [out].</summary>
public sealed class ConvTranspose2d : Module
{
    public ConvTranspose2d(int inChannels, int outChannels, Size2 kernelSize, Size2? stride = null, Size2? padding = null,
        Size2? outputPadding = null, int groups = 1, bool bias = true, Size2? dilation = null, Generator? generator = null)
    {
        if (inChannels < 1 || outChannels < 1)
            throw new ArgumentException($"ConvTranspose2d: in_channels ({inChannels}) and out_channels ({outChannels}) must be >= 1.");
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"ConvTranspose2d: in_channels ({inChannels}) and out_channels ({outChannels}) must be divisible by groups ({groups}).");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride ?? 1;
        Padding = padding ?? 0;
        OutputPadding = outputPadding ?? 0;
        Dilation = dilation ?? 1;
        Groups = groups;
        Weight = RegisterParameter("weight", Tensor.Persistent(new Shape(inChannels, outChannels / groups, kernelSize.H, kernelSize.W)))!;
        Bias = RegisterParameter("bias", bias ? Tensor.Persistent(new Shape(outChannels)) : null);
        // PyTorch computes fan_in from weight.size(1) * receptive field here too.
        Init.DefaultLayer(Weight, Bias, generator);
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public Size2 KernelSize { get; }
    public Size2 Stride { get; }
    public Size2 Padding { get; }
    public Size2 OutputPadding { get; }
    public Size2 Dilation { get; }
    public int Groups { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    protected override Tensor OnForward(Tensor input) =>
        F.ConvTranspose2d(input, Weight, Bias, Stride, Padding, OutputPadding, Dilation, Groups, Path ?? "");

    public override LayerCost Cost(Shape input, Shape output) =>
        new(input.Numel / Math.Max(input[0], 1) * ((long)(OutChannels / Groups) * KernelSize.H * KernelSize.W),
            new LayerWindow(KernelSize.H, KernelSize.W, Stride.H, Stride.W, Dilation.H, Dilation.W, 2 * Padding.H, 2 * Padding.W, Transposed: true));

    protected override string ExtraRepr() => $"{InChannels}, {OutChannels}, kernel_size={KernelSize}, stride={Stride}" +
        (Padding != new Size2(0, 0) ? $", padding={Padding}" : "") + (OutputPadding != new Size2(0, 0) ? $", output_padding={OutputPadding}" : "") +
        (Groups != 1 ? $", groups={Groups}" : "") + (Bias is null ? ", bias=False" : "");
}
