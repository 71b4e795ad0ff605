using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using static Striate.Models.ModelHelpers;

namespace Striate.Models;

/// <summary>
/// MobileNet v1 (Howard et al., "MobileNets: efficient convolutional neural networks for mobile vision
/// applications", 2017), table 1: a 3x3 stride-2 convolution to 32 channels, then 13 depthwise separable
/// convolutions (a 3x3 depthwise convolution and a 1x1 pointwise one, each followed by batch norm and ReLU, figure 3)
/// to 64, 128, 128, 256, 256, 512 (six times) and 1024 twice, global average pooling and a linear classifier.
/// </summary>
/// <remarks>
/// <para>
/// The width multiplier alpha scales every layer's channels (truncated, as Keras does: 0.25 gives 8 to 256). At 1.0
/// with 1000 classes there are 4,231,976 trainable parameters (convolutions without bias, batch norm scale and
/// shift, the classifier), Keras's count; the batch norm running statistics are buffers. The resolution multiplier
/// is the input size: any size works, the stride being 32 in all.
/// </para>
/// <para>
/// Layout: <c>features</c>, whose item 0 is the first convolution and items 1 to 13 the separable blocks, each a
/// pair of (convolution, batch norm, ReLU) triples numbered like torchvision's Conv2dNormActivation (<c>features.1.0.0.weight</c> is the
/// first depthwise kernel, <c>features.1.1.0.weight</c> the first pointwise one); <c>avgpool</c>; <c>classifier</c>.
/// Convolutions are initialised as torchvision's MobileNets are (He normal, fan_out), the classifier from N(0, 0.01).
/// </para>
/// </remarks>
public sealed class MobileNetV1 : Module
{
    private static readonly (int Channels, int Stride)[] s_blocks =
        [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)];

    public MobileNetV1(int numClasses = 1000, int inChannels = 3, float widthMultiplier = 1f, Generator? generator = null)
    {
        CheckSizes(nameof(MobileNetV1), numClasses, inChannels);
        if (!(widthMultiplier > 0) || (int)(32 * widthMultiplier) < 1)
            throw new ArgumentException($"MobileNetV1: widthMultiplier must give at least one channel in the first layer (> 1/32), got {widthMultiplier}.");
        WidthMultiplier = widthMultiplier;
        int Width(int channels) => (int)(channels * widthMultiplier);

        int c = Width(32);
        var features = new Sequential(ConvBnRelu(inChannels, c, 3, 2, 1, generator));
        foreach (var (channels, stride) in s_blocks)
        {
            int o = Width(channels);
            features.Add(new Sequential(ConvBnRelu(c, c, 3, stride, c, generator), ConvBnRelu(c, o, 1, 1, 1, generator)));
            c = o;
        }
        Features = RegisterModule("features", features);
        Avgpool = RegisterModule("avgpool", new AdaptiveAvgPool2d(1));
        Classifier = RegisterModule("classifier", new Linear(c, numClasses, generator: generator));
        KaimingFanOut(this, generator);
        Init.Normal(Classifier.Weight, 0f, 0.01f, generator);
        Init.Zeros(Classifier.Bias!);
    }

    public float WidthMultiplier { get; }
    public Sequential Features { get; }
    public AdaptiveAvgPool2d Avgpool { get; }
    public Linear Classifier { get; }

    /// <summary>A k x k convolution (depthwise with <paramref name="groups"/> = channels), batch norm and ReLU.</summary>
    private static Sequential ConvBnRelu(int inChannels, int outChannels, int kernelSize, int stride, int groups, Generator? generator) =>
        new(
            new Conv2d(inChannels, outChannels, kernelSize, stride, padding: kernelSize / 2, groups: groups, bias: false, generator: generator),
            new BatchNorm2d(outChannels),
            new ReLU());

    protected override Tensor OnForward(Tensor input)
    {
        var x = Features.Call(input);
        x = Avgpool.Call(x);
        x = F.Flatten(x);
        return Classifier.Call(x);
    }

    protected override string ExtraRepr() => $"width_multiplier={WidthMultiplier}";
}
