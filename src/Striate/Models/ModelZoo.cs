using Striate.Nn;
using Striate.Tensors;

namespace Striate.Models;

/// <summary>The models the command line and checkpoints know by name.</summary>
public static class ModelZoo
{
    private static readonly Dictionary<string, (string Description, Func<ModelSpec, Generator?, Module> Build)> s_models = new(StringComparer.Ordinal)
    {
        ["lenet5"] = ("LeNet-5 with ReLU and max pooling, for 28x28 inputs", (s, g) => new LeNet5(s.NumClasses, s.InChannels, classic: false, g)),
        ["lenet5-wide"] = ("LeNet-5 with ReLU and max pooling, every hidden width doubled (12 and 32 maps, 240 and 168 units)", (s, g) => new LeNet5(s.NumClasses, s.InChannels, classic: false, g, width: 2)),
        ["lenet5-classic"] = ("LeNet-5 as in the 1998 paper: sigmoid and average pooling, for 28x28 inputs", (s, g) => new LeNet5(s.NumClasses, s.InChannels, classic: true, g)),
        ["alexnet"] = ("AlexNet as torchvision has it (64-192-384-256-256 filters, no LRN), inputs from 63x63", (s, g) => new AlexNet(s.NumClasses, s.InChannels, generator: g)),
        ["alexnet-paper"] = ("AlexNet as in the 2012 paper on one GPU: 96 11x11/4 filters, LRN, for 227x227 inputs (67x67 at least)", (s, g) => new AlexNet(s.NumClasses, s.InChannels, paper: true, generator: g)),
        ["zfnet"] = ("ZFNet (Zeiler and Fergus): 7x7/2 then 5x5/2 convolutions, LRN, for 224x224 inputs (47x47 at least)", (s, g) => new ZFNet(s.NumClasses, s.InChannels, generator: g)),
        ["vgg11"] = ("VGG configuration A, 11 weight layers (inputs from 32x32)", (s, g) => Vgg.Vgg11(s.NumClasses, s.InChannels, false, g)),
        ["vgg11-bn"] = ("VGG configuration A with batch norm", (s, g) => Vgg.Vgg11(s.NumClasses, s.InChannels, true, g)),
        ["vgg11-lrn"] = ("VGG configuration A-LRN: A with local response normalisation", (s, g) => Vgg.Vgg11Lrn(s.NumClasses, s.InChannels, false, g)),
        ["vgg11-lrn-bn"] = ("VGG configuration A-LRN with batch norm", (s, g) => Vgg.Vgg11Lrn(s.NumClasses, s.InChannels, true, g)),
        ["vgg13"] = ("VGG configuration B, 13 weight layers", (s, g) => Vgg.Vgg13(s.NumClasses, s.InChannels, false, g)),
        ["vgg13-bn"] = ("VGG configuration B with batch norm", (s, g) => Vgg.Vgg13(s.NumClasses, s.InChannels, true, g)),
        ["vgg16-c"] = ("VGG configuration C: 16 weight layers, 1x1 convolutions in the last three blocks", (s, g) => Vgg.Vgg16C(s.NumClasses, s.InChannels, false, g)),
        ["vgg16-c-bn"] = ("VGG configuration C with batch norm", (s, g) => Vgg.Vgg16C(s.NumClasses, s.InChannels, true, g)),
        ["vgg16"] = ("VGG-16, configuration D", (s, g) => Vgg.Vgg16(s.NumClasses, s.InChannels, false, g)),
        ["vgg16-bn"] = ("VGG-16 with batch norm", (s, g) => Vgg.Vgg16(s.NumClasses, s.InChannels, true, g)),
        ["vgg19"] = ("VGG-19, configuration E", (s, g) => Vgg.Vgg19(s.NumClasses, s.InChannels, false, g)),
        ["vgg19-bn"] = ("VGG-19 with batch norm", (s, g) => Vgg.Vgg19(s.NumClasses, s.InChannels, true, g)),
        ["nin"] = ("Network in Network, the paper's CIFAR-10 model: three mlpconv blocks and global average pooling", (s, g) => new NetworkInNetwork(s.NumClasses, s.InChannels, generator: g)),
        ["googlenet"] = ("GoogLeNet (Inception v1) as in the paper: LRN, real 5x5 branches, two auxiliary classifiers", (s, g) => new GoogLeNet(s.NumClasses, s.InChannels, generator: g)),
        ["googlenet-torchvision"] = ("GoogLeNet as torchvision has it: batch norm, 3x3 \"5x5\" branches, two auxiliary classifiers", (s, g) => new GoogLeNet(s.NumClasses, s.InChannels, torchVision: true, generator: g)),
        ["resnet18"] = ("ResNet-18 (basic blocks, 224x224 stem)", (s, g) => ResNet.ResNet18(s.NumClasses, s.InChannels, generator: g)),
        ["resnet34"] = ("ResNet-34 (basic blocks)", (s, g) => ResNet.ResNet34(s.NumClasses, s.InChannels, generator: g)),
        ["resnet50"] = ("ResNet-50 (bottleneck blocks)", (s, g) => ResNet.ResNet50(s.NumClasses, s.InChannels, generator: g)),
        ["resnet101"] = ("ResNet-101 (bottleneck blocks)", (s, g) => ResNet.ResNet101(s.NumClasses, s.InChannels, generator: g)),
        ["resnet152"] = ("ResNet-152 (bottleneck blocks)", (s, g) => ResNet.ResNet152(s.NumClasses, s.InChannels, generator: g)),
        ["resnet18-small"] = ("ResNet-18 with a 3x3 stride-1 stem and no max pooling, for 28x28 and 32x32 inputs", (s, g) => ResNet.ResNet18(s.NumClasses, s.InChannels, smallInput: true, g)),
        ["resnet8-small"] = ("The paper's CIFAR ResNet with one block per stage (16, 32, 64 channels): small and fast on 28x28", (s, g) => ResNet.Cifar(8, s.NumClasses, s.InChannels, g)),
        ["resnet20-small"] = ("The paper's CIFAR ResNet-20: three blocks per stage of 16, 32 and 64 channels", (s, g) => ResNet.Cifar(20, s.NumClasses, s.InChannels, g)),
        ["mobilenet-v1"] = ("MobileNet v1, width 1.0: depthwise separable convolutions", (s, g) => new MobileNetV1(s.NumClasses, s.InChannels, 1f, g)),
        ["mobilenet-v1-0.25"] = ("MobileNet v1 with width multiplier 0.25", (s, g) => new MobileNetV1(s.NumClasses, s.InChannels, 0.25f, g)),
        ["plain8"] = ("A deep plain CNN: eight 3x3 convolutions with ReLU, no batch norm (for initialisation experiments)", (s, g) => new PlainCnn(s.NumClasses, s.InChannels, g)),
        ["densenet121"] = ("DenseNet-121 (growth rate 32, inputs from 29x29)", (s, g) => DenseNet.DenseNet121(s.NumClasses, s.InChannels, g)),
        ["densenet161"] = ("DenseNet-161 (growth rate 48, 96 initial channels)", (s, g) => DenseNet.DenseNet161(s.NumClasses, s.InChannels, g)),
        ["densenet169"] = ("DenseNet-169 (growth rate 32, blocks of 6, 12, 32 and 32 layers)", (s, g) => DenseNet.DenseNet169(s.NumClasses, s.InChannels, g)),
        ["densenet201"] = ("DenseNet-201 (growth rate 32, blocks of 6, 12, 48 and 32 layers)", (s, g) => DenseNet.DenseNet201(s.NumClasses, s.InChannels, g)),
        ["lstm-rows"] = ("An LSTM of 128 units reading the image row by row (28 steps of 28 pixels), a linear head on its last output", (s, g) => new RowRecurrentNet(Ops.RecurrentKind.Lstm, s.NumClasses, s.InChannels, s.InputHeight, s.InputWidth, 128, g)),
        ["gru-rows"] = ("A GRU of 128 units reading the image row by row, a linear head on its last output", (s, g) => new RowRecurrentNet(Ops.RecurrentKind.Gru, s.NumClasses, s.InChannels, s.InputHeight, s.InputWidth, 128, g)),
        ["rnn-rows"] = ("A plain tanh RNN of 128 units reading the image row by row, a linear head on its last output", (s, g) => new RowRecurrentNet(Ops.RecurrentKind.RnnTanh, s.NumClasses, s.InChannels, s.InputHeight, s.InputWidth, 128, g)),
    };

    // The zoo's networks that torchvision defines with the same layers and state-dict keys, by torchvision's names.
    private static readonly Dictionary<string, string> s_torchvision = new(StringComparer.Ordinal)
    {
        ["alexnet"] = "alexnet",
        ["vgg11"] = "vgg11", ["vgg11-bn"] = "vgg11_bn", ["vgg13"] = "vgg13", ["vgg13-bn"] = "vgg13_bn",
        ["vgg16"] = "vgg16", ["vgg16-bn"] = "vgg16_bn", ["vgg19"] = "vgg19", ["vgg19-bn"] = "vgg19_bn",
        ["googlenet-torchvision"] = "googlenet",
        ["resnet18"] = "resnet18", ["resnet34"] = "resnet34", ["resnet50"] = "resnet50", ["resnet101"] = "resnet101", ["resnet152"] = "resnet152",
        ["densenet121"] = "densenet121", ["densenet161"] = "densenet161", ["densenet169"] = "densenet169", ["densenet201"] = "densenet201",
    };

    /// <summary>torchvision's name for a zoo architecture it defines with the same layers and keys (vgg16-bn: vgg16_bn), or null.</summary>
    public static string? TorchvisionName(string name) => s_torchvision.GetValueOrDefault(name);

    /// <summary>
    /// The class count a zoo model is built with when none is given: ImageNet's 1,000 for a network torchvision defines
    /// (so its parameter count is the one torchvision and the papers give: VGG-16 138,357,544), 10 for the others.
    /// </summary>
    public static int DefaultClasses(string name) => s_torchvision.ContainsKey(name) ? 1000 : 10;

    /// <summary>The known architecture names, sorted.</summary>
    public static IReadOnlyList<string> Names => s_models.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>A one-line description of an architecture.</summary>
    public static string Describe(string name) => s_models.TryGetValue(name, out var m) ? m.Description : throw Unknown(name);

    /// <summary>True if <paramref name="name"/> is a known architecture.</summary>
    public static bool Contains(string name) => s_models.ContainsKey(name);

    /// <summary>The zoo's spelling of <paramref name="name"/>, case ignored (ResNet18 is resnet18); null when there is none.</summary>
    public static string? Find(string name) => s_models.ContainsKey(name) ? name
        : s_models.Keys.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The zoo's spelling of <paramref name="name"/> (case ignored).</summary>
    /// <exception cref="ArgumentException">The zoo has no such model; the message suggests the closest and lists the models.</exception>
    public static string Check(string name) => Find(name) ?? throw Unknown(name);

    /// <summary>
    /// Builds the model a spec describes, with fresh weights from <paramref name="generator"/>; an embedding spec
    /// gives an <see cref="EmbeddingNet"/> around the architecture with its head resized.
    /// </summary>
    /// <exception cref="ArgumentException">The architecture is unknown.</exception>
    public static Module Create(ModelSpec spec, Generator? generator = null)
    {
        if (!s_models.TryGetValue(spec.Architecture, out var m)) throw Unknown(spec.Architecture);
        if (spec.IsEmbedding)
            return new EmbeddingNet(m.Build(spec with { NumClasses = spec.EmbeddingDim }, generator), spec.EmbeddingDim, spec.L2Normalize, spec.ProjectionDim, generator?.Fork(0x9E0), spec.FlipAverage);
        return m.Build(spec, generator);
    }

    private static ArgumentException Unknown(string name) =>
        new($"Unknown model '{name}'.{(IO.Spelling.Closest(name, Names) is { } near ? $" Did you mean {near}?" : "")} Valid models: {string.Join(", ", Names)}.");
}
