using System.Globalization;
using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using static Striate.Models.ModelHelpers;

namespace Striate.Models;

/// <summary>
/// The VGG networks (Simonyan and Zisserman, "Very deep convolutional networks for large-scale image
/// recognition", ICLR 2015) in torchvision's layout: <c>features</c> (the convolutions of table 1, each followed by
/// optional batch norm and ReLU, with 2x2 max pooling between blocks), <c>avgpool</c> (adaptive average pooling
/// to 7x7, so inputs other than 224x224 work), and <c>classifier</c> (4096, 4096 and the classes, with dropout).
/// </summary>
/// <remarks>
/// Configurations are written in the paper's notation: "conv3-64" is a 3x3 convolution to 64 channels (padding 1),
/// "conv1-256" a 1x1 one, "maxpool" a 2x2 stride-2 max pool and "LRN" local response normalisation with
/// Krizhevsky et al.'s constants. A (VGG-11), A-LRN, B (VGG-13), C (VGG-16 with 1x1 convolutions), D (VGG-16)
/// and E (VGG-19) are built in; <see cref="MakeLayers"/> accepts a custom list too.
/// <para>
/// Convolutions are initialised as torchvision does (He normal, fan_out, zero bias). The fully connected layers keep
/// PyTorch's default uniform initialisation rather than torchvision's N(0, 0.01): they hold some 120 million
/// weights, and drawing that many normal values would make building the model several times slower.
/// </para>
/// </remarks>
public sealed class Vgg : Module
{
    private static readonly Dictionary<string, string> s_configs = new(StringComparer.Ordinal)
    {
        ["A"] = "conv3-64 maxpool conv3-128 maxpool conv3-256 conv3-256 maxpool conv3-512 conv3-512 maxpool conv3-512 conv3-512 maxpool",
        ["A-LRN"] = "conv3-64 LRN maxpool conv3-128 maxpool conv3-256 conv3-256 maxpool conv3-512 conv3-512 maxpool conv3-512 conv3-512 maxpool",
        ["B"] = "conv3-64 conv3-64 maxpool conv3-128 conv3-128 maxpool conv3-256 conv3-256 maxpool conv3-512 conv3-512 maxpool conv3-512 conv3-512 maxpool",
        ["C"] = "conv3-64 conv3-64 maxpool conv3-128 conv3-128 maxpool conv3-256 conv3-256 conv1-256 maxpool " +
            "conv3-512 conv3-512 conv1-512 maxpool conv3-512 conv3-512 conv1-512 maxpool",
        ["D"] = "conv3-64 conv3-64 maxpool conv3-128 conv3-128 maxpool conv3-256 conv3-256 conv3-256 maxpool " +
            "conv3-512 conv3-512 conv3-512 maxpool conv3-512 conv3-512 conv3-512 maxpool",
        ["E"] = "conv3-64 conv3-64 maxpool conv3-128 conv3-128 maxpool conv3-256 conv3-256 conv3-256 conv3-256 maxpool " +
            "conv3-512 conv3-512 conv3-512 conv3-512 maxpool conv3-512 conv3-512 conv3-512 conv3-512 maxpool",
    };

    /// <param name="features">The convolutional part, as <see cref="MakeLayers"/> builds it.</param>
    /// <param name="numClasses">Outputs of the classifier.</param>
    /// <param name="dropout">Dropout probability before the second and third fully connected layers.</param>
    /// <param name="generator">The stream the initial weights come from.</param>
    public Vgg(Sequential features, int numClasses = 1000, float dropout = 0.5f, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (numClasses < 1) throw new ArgumentException($"Vgg: numClasses must be >= 1, got {numClasses}.");
        int channels = features.NamedModules().Select(m => m.Module).OfType<Conv2d>().LastOrDefault()?.OutChannels
            ?? throw new ArgumentException("Vgg: the features contain no convolution.");
        Features = RegisterModule("features", features);
        Avgpool = RegisterModule("avgpool", new AdaptiveAvgPool2d(7));
        Classifier = RegisterModule("classifier", new Sequential(
            new Linear(channels * 7 * 7, 4096, generator: generator),
            new ReLU(),
            NewDropout(dropout, generator),
            new Linear(4096, 4096, generator: generator),
            new ReLU(),
            NewDropout(dropout, generator),
            new Linear(4096, numClasses, generator: generator)));
        KaimingFanOut(this, generator);
    }

    public Sequential Features { get; }
    public AdaptiveAvgPool2d Avgpool { get; }
    public Sequential Classifier { get; }

    /// <summary>Configuration A, 11 weight layers: 132,863,336 parameters with 1000 classes.</summary>
    public static Vgg Vgg11(int numClasses = 1000, int inChannels = 3, bool batchNorm = false, Generator? generator = null) =>
        new(MakeLayers("A", batchNorm, inChannels, generator), numClasses, generator: generator);

    /// <summary>Configuration A-LRN: A with local response normalisation after the first convolution.</summary>
    public static Vgg Vgg11Lrn(int numClasses = 1000, int inChannels = 3, bool batchNorm = false, Generator? generator = null) =>
        new(MakeLayers("A-LRN", batchNorm, inChannels, generator), numClasses, generator: generator);

    /// <summary>Configuration B, 13 weight layers: 133,047,848 parameters with 1000 classes.</summary>
    public static Vgg Vgg13(int numClasses = 1000, int inChannels = 3, bool batchNorm = false, Generator? generator = null) =>
        new(MakeLayers("B", batchNorm, inChannels, generator), numClasses, generator: generator);

    /// <summary>Configuration C, 16 weight layers of which three are 1x1 convolutions.</summary>
    public static Vgg Vgg16C(int numClasses = 1000, int inChannels = 3, bool batchNorm = false, Generator? generator = null) =>
        new(MakeLayers("C", batchNorm, inChannels, generator), numClasses, generator: generator);

    /// <summary>Configuration D (VGG-16): 138,357,544 parameters with 1000 classes (138,365,992 with batch norm).</summary>
    public static Vgg Vgg16(int numClasses = 1000, int inChannels = 3, bool batchNorm = false, Generator? generator = null) =>
        new(MakeLayers("D", batchNorm, inChannels, generator), numClasses, generator: generator);

    /// <summary>Configuration E (VGG-19): 143,667,240 parameters with 1000 classes.</summary>
    public static Vgg Vgg19(int numClasses = 1000, int inChannels = 3, bool batchNorm = false, Generator? generator = null) =>
        new(MakeLayers("E", batchNorm, inChannels, generator), numClasses, generator: generator);

    /// <summary>
    /// The <c>features</c> of a configuration: a letter of table 1 ("A", "A-LRN", "B", "C", "D", "E") or a list of
    /// layers in the paper's notation ("conv3-64 maxpool conv1-128 LRN ..."). Each convolution is followed by batch
    /// norm (with <paramref name="batchNorm"/>) and ReLU, numbered as torchvision numbers them.
    /// </summary>
    /// <exception cref="ArgumentException">A layer is not in the paper's notation.</exception>
    public static Sequential MakeLayers(string config, bool batchNorm = false, int inChannels = 3, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (inChannels < 1) throw new ArgumentException($"Vgg: inChannels must be >= 1, got {inChannels}.");
        var layers = new Sequential(Array.Empty<Module>());
        foreach (var token in (s_configs.TryGetValue(config, out var known) ? known : config).Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (token == "maxpool")
            {
                layers.Add(new MaxPool2d(2, stride: 2));
            }
            else if (token == "LRN")
            {
                // Krizhevsky et al.'s k = 2, n = 5, alpha = 1e-4, beta = 0.75; PyTorch divides alpha by the size.
                layers.Add(new LocalResponseNorm(5, alpha: 5e-4f, beta: 0.75f, k: 2f));
            }
            else if (token.StartsWith("conv", StringComparison.Ordinal) && token.IndexOf('-') is int dash and > 4
                && int.TryParse(token.AsSpan(4, dash - 4), NumberStyles.None, CultureInfo.InvariantCulture, out int kernel) && kernel % 2 == 1
                && int.TryParse(token.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int channels) && channels > 0)
            {
                layers.Add(new Conv2d(inChannels, channels, kernel, padding: kernel / 2, generator: generator));
                if (batchNorm) layers.Add(new BatchNorm2d(channels));
                layers.Add(new ReLU());
                inChannels = channels;
            }
            else
            {
                throw new ArgumentException($"Vgg: unknown layer '{token}' in configuration '{config}' (expected conv<k>-<channels> with an odd k, maxpool or LRN, or one of {string.Join(", ", s_configs.Keys)}).");
            }
        }
        return layers;
    }

    protected override Tensor OnForward(Tensor input)
    {
        var x = Features.Call(input);
        x = Avgpool.Call(x);
        x = F.Flatten(x);
        return Classifier.Call(x);
    }
}
