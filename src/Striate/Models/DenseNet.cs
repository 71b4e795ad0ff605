using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using static Striate.Models.ModelHelpers;

namespace Striate.Models;

/// <summary>
/// DenseNet-BC (Huang, Liu, van der Maaten and Weinberger, "Densely connected convolutional networks", CVPR 2017,
/// table 1) with torchvision's structure and state-dict keys: <c>features</c> (conv0, norm0, relu0, pool0, then
/// denseblock1 to denseblock4 with transition1 to transition3 between them, each a batch norm, ReLU, 1x1 convolution
/// halving the channels and 2x2 average pooling, then norm5) and <c>classifier</c>; ReLU and global average pooling
/// in between. DenseNet-121 (growth 32, blocks of 6, 12, 24 and 16 layers) has 7,978,856 parameters with 1000 classes.
/// </summary>
/// <remarks>
/// Keys look like <c>features.denseblock1.denselayer1.norm1.weight</c> and <c>features.transition1.conv.weight</c>.
/// Inputs must be at least 29x29 (the stride is 32). Initialised as torchvision does: He normal (fan_in) for the
/// convolutions, zero classifier bias.
/// </remarks>
public sealed class DenseNet : Module
{
    /// <param name="growthRate">Channels each dense layer adds (k).</param>
    /// <param name="blockConfig">Layers in each dense block.</param>
    /// <param name="numInitFeatures">Channels of the first convolution.</param>
    /// <param name="bnSize">Bottleneck width as a multiple of the growth rate.</param>
    /// <param name="dropRate">Dropout after each dense layer.</param>
    /// <param name="numClasses">Outputs of the classifier.</param>
    /// <param name="inChannels">Channels of the input image.</param>
    /// <param name="generator">The stream the initial weights come from.</param>
    public DenseNet(int growthRate, IReadOnlyList<int> blockConfig, int numInitFeatures, int bnSize = 4, float dropRate = 0f,
        int numClasses = 1000, int inChannels = 3, Generator? generator = null)
    {
        CheckSizes(nameof(DenseNet), numClasses, inChannels);
        if (growthRate < 1 || numInitFeatures < 1 || bnSize < 1 || blockConfig.Count == 0 || blockConfig.Any(n => n < 1))
            throw new ArgumentException("DenseNet: growthRate, numInitFeatures, bnSize and every block's layer count must be >= 1.");
        var features = new Sequential(
            ("conv0", new Conv2d(inChannels, numInitFeatures, 7, stride: 2, padding: 3, bias: false, generator: generator)),
            ("norm0", new BatchNorm2d(numInitFeatures)),
            ("relu0", new ReLU()),
            ("pool0", new MaxPool2d(3, stride: 2, padding: 1)));
        int numFeatures = numInitFeatures;
        for (int i = 0; i < blockConfig.Count; i++)
        {
            var block = new DenseBlock(blockConfig[i], numFeatures, bnSize, growthRate, dropRate, generator);
            features.Add($"denseblock{i + 1}", block);
            numFeatures = block.OutChannels;
            if (i != blockConfig.Count - 1)
            {
                features.Add($"transition{i + 1}", new Sequential(
                    ("norm", new BatchNorm2d(numFeatures)),
                    ("relu", new ReLU()),
                    ("conv", new Conv2d(numFeatures, numFeatures / 2, 1, bias: false, generator: generator)),
                    ("pool", new AvgPool2d(2, stride: 2))));
                numFeatures /= 2;
            }
        }
        features.Add("norm5", new BatchNorm2d(numFeatures));
        Features = RegisterModule("features", features);
        Classifier = RegisterModule("classifier", new Linear(numFeatures, numClasses, generator: generator));

        foreach (var (_, m) in NamedModules())
            if (m is Conv2d c) Init.KaimingNormal(c.Weight, generator: generator);
        Init.Zeros(Classifier.Bias!);
    }

    public Sequential Features { get; }
    public Linear Classifier { get; }

    /// <summary>DenseNet-121: growth 32, blocks [6, 12, 24, 16], 64 initial channels; 7,978,856 parameters with 1000 classes.</summary>
    public static DenseNet DenseNet121(int numClasses = 1000, int inChannels = 3, Generator? generator = null) =>
        new(32, [6, 12, 24, 16], 64, numClasses: numClasses, inChannels: inChannels, generator: generator);

    /// <summary>DenseNet-161: growth 48, blocks [6, 12, 36, 24], 96 initial channels; 28,681,000 parameters with 1000 classes.</summary>
    public static DenseNet DenseNet161(int numClasses = 1000, int inChannels = 3, Generator? generator = null) =>
        new(48, [6, 12, 36, 24], 96, numClasses: numClasses, inChannels: inChannels, generator: generator);

    /// <summary>DenseNet-169: growth 32, blocks [6, 12, 32, 32], 64 initial channels; 14,149,480 parameters with 1000 classes.</summary>
    public static DenseNet DenseNet169(int numClasses = 1000, int inChannels = 3, Generator? generator = null) =>
        new(32, [6, 12, 32, 32], 64, numClasses: numClasses, inChannels: inChannels, generator: generator);

    /// <summary>DenseNet-201: growth 32, blocks [6, 12, 48, 32], 64 initial channels; 20,013,928 parameters with 1000 classes.</summary>
    public static DenseNet DenseNet201(int numClasses = 1000, int inChannels = 3, Generator? generator = null) =>
        new(32, [6, 12, 48, 32], 64, numClasses: numClasses, inChannels: inChannels, generator: generator);

    protected override Tensor OnForward(Tensor input)
    {
        var x = Features.Call(input);
        x = F.Relu(x);
        x = F.AdaptiveAvgPool2d(x, (1, 1), Path);
        x = F.Flatten(x);
        return Classifier.Call(x);
    }
}
