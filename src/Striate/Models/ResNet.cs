using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using static Striate.Models.ModelHelpers;

namespace Striate.Models;

/// <summary>
/// Residual networks (He, Zhang, Ren and Sun, "Deep residual learning for image recognition", CVPR 2016) with
/// torchvision's module structure and state-dict keys: conv1, bn1, relu, maxpool, layer1 to layer4 (each block's
/// first convolution carries the stage's stride; a <c>downsample</c> projection, 1x1 convolution and batch norm,
/// replaces the identity shortcut where the shape changes), avgpool, fc.
/// </summary>
/// <remarks>
/// The small-input stem replaces the 7x7 stride-2 convolution and the max pool with one 3x3 stride-1 convolution
/// (the paper's CIFAR-10 networks, section 4.2), so 28x28 and 32x32 images keep their resolution in the first
/// stage. <see cref="Cifar"/> builds the paper's 6n+2-layer CIFAR networks: three stages of 16, 32 and 64 channels
/// (with projection shortcuts, the paper's option B, where the paper's CIFAR runs used zero-padded identities).
/// </remarks>
public sealed class ResNet : Module
{
    // Its fused inference form is ModelFusion's.
    static ResNet() => ModelFusion.Ensure();

    private readonly List<Sequential> _layers = new();
    private int _inplanes;

    /// <param name="block">The residual block.</param>
    /// <param name="layers">Blocks per stage (torchvision's <c>layers</c>; [2, 2, 2, 2] for ResNet-18).</param>
    /// <param name="numClasses">Outputs of the classifier.</param>
    /// <param name="inChannels">Channels of the input image.</param>
    /// <param name="smallInput">Use the 3x3 stride-1 stem without max pooling, for 28x28 or 32x32 inputs.</param>
    /// <param name="widths">Channels (<c>planes</c>) of each stage; 64, 128, 256, 512 by default, one per stage.</param>
    /// <param name="generator">The stream the initial weights come from.</param>
    public ResNet(ResNetBlock block, IReadOnlyList<int> layers, int numClasses = 1000, int inChannels = 3, bool smallInput = false,
        IReadOnlyList<int>? widths = null, Generator? generator = null)
    {
        CheckSizes(nameof(ResNet), numClasses, inChannels);
        widths ??= [64, 128, 256, 512];
        if (layers.Count == 0 || layers.Count != widths.Count || layers.Any(n => n < 1) || widths.Any(w => w < 1))
            throw new ArgumentException($"ResNet: layers ({string.Join(", ", layers)}) and widths ({string.Join(", ", widths)}) must be non-empty, positive and of the same length.");
        Block = block;
        SmallInput = smallInput;
        _inplanes = widths[0];
        Conv1 = RegisterModule("conv1", smallInput
            ? Conv3x3(inChannels, _inplanes, generator: generator)
            : new Conv2d(inChannels, _inplanes, 7, stride: 2, padding: 3, bias: false, generator: generator));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(_inplanes));
        Relu = RegisterModule("relu", new ReLU());
        Maxpool = RegisterModule<Module>("maxpool", smallInput ? new Identity() : new MaxPool2d(3, stride: 2, padding: 1));
        for (int i = 0; i < layers.Count; i++)
            _layers.Add(RegisterModule($"layer{i + 1}", MakeLayer(block, widths[i], layers[i], i == 0 ? 1 : 2, generator)));
        Avgpool = RegisterModule("avgpool", new AdaptiveAvgPool2d(1));
        Fc = RegisterModule("fc", new Linear(widths[^1] * ExpansionOf(block), numClasses, generator: generator));
        KaimingFanOut(this, generator);
    }

    public ResNetBlock Block { get; }
    public bool SmallInput { get; }
    public Conv2d Conv1 { get; }
    public BatchNorm2d Bn1 { get; }
    public ReLU Relu { get; }
    public Module Maxpool { get; }

    /// <summary>The stages layer1, layer2, ...</summary>
    public IReadOnlyList<Sequential> Layers => _layers;

    public AdaptiveAvgPool2d Avgpool { get; }
    public Linear Fc { get; }

    /// <summary>ResNet-18: basic blocks [2, 2, 2, 2], 11,689,512 parameters with 1000 classes.</summary>
    public static ResNet ResNet18(int numClasses = 1000, int inChannels = 3, bool smallInput = false, Generator? generator = null) =>
        new(ResNetBlock.Basic, [2, 2, 2, 2], numClasses, inChannels, smallInput, generator: generator);

    /// <summary>ResNet-34: basic blocks [3, 4, 6, 3], 21,797,672 parameters with 1000 classes.</summary>
    public static ResNet ResNet34(int numClasses = 1000, int inChannels = 3, bool smallInput = false, Generator? generator = null) =>
        new(ResNetBlock.Basic, [3, 4, 6, 3], numClasses, inChannels, smallInput, generator: generator);

    /// <summary>ResNet-50: bottlenecks [3, 4, 6, 3], 25,557,032 parameters with 1000 classes.</summary>
    public static ResNet ResNet50(int numClasses = 1000, int inChannels = 3, bool smallInput = false, Generator? generator = null) =>
        new(ResNetBlock.Bottleneck, [3, 4, 6, 3], numClasses, inChannels, smallInput, generator: generator);

    /// <summary>ResNet-101: bottlenecks [3, 4, 23, 3], 44,549,160 parameters with 1000 classes.</summary>
    public static ResNet ResNet101(int numClasses = 1000, int inChannels = 3, bool smallInput = false, Generator? generator = null) =>
        new(ResNetBlock.Bottleneck, [3, 4, 23, 3], numClasses, inChannels, smallInput, generator: generator);

    /// <summary>ResNet-152: bottlenecks [3, 8, 36, 3], 60,192,808 parameters with 1000 classes.</summary>
    public static ResNet ResNet152(int numClasses = 1000, int inChannels = 3, bool smallInput = false, Generator? generator = null) =>
        new(ResNetBlock.Bottleneck, [3, 8, 36, 3], numClasses, inChannels, smallInput, generator: generator);

    /// <summary>
    /// The paper's CIFAR-10 network of <paramref name="depth"/> = 6n + 2 layers (8, 20, 32, 44, 56, 110): a 3x3
    /// convolution to 16 channels, then n basic blocks at each of 16, 32 and 64 channels.
    /// </summary>
    public static ResNet Cifar(int depth, int numClasses = 10, int inChannels = 3, Generator? generator = null)
    {
        if (depth < 8 || (depth - 2) % 6 != 0)
            throw new ArgumentException($"ResNet.Cifar: depth must be 6n + 2 with n >= 1 (8, 20, 32, 44, 56, 110, ...), got {depth}.");
        int n = (depth - 2) / 6;
        return new(ResNetBlock.Basic, [n, n, n], numClasses, inChannels, smallInput: true, widths: [16, 32, 64], generator: generator);
    }

    private static int ExpansionOf(ResNetBlock block) => block == ResNetBlock.Basic ? BasicBlock.Expansion : Bottleneck.Expansion;

    private static Module NewBlock(ResNetBlock block, int inplanes, int planes, int stride, Module? downsample, Generator? generator) =>
        block == ResNetBlock.Basic
            ? new BasicBlock(inplanes, planes, stride, downsample, generator)
            : new Bottleneck(inplanes, planes, stride, downsample, generator);

    private Sequential MakeLayer(ResNetBlock block, int planes, int blocks, int stride, Generator? generator)
    {
        int expansion = ExpansionOf(block);
        Module? downsample = null;
        if (stride != 1 || _inplanes != planes * expansion)
            downsample = new Sequential(Conv1x1(_inplanes, planes * expansion, stride, generator), new BatchNorm2d(planes * expansion));
        var layers = new Sequential(NewBlock(block, _inplanes, planes, stride, downsample, generator));
        _inplanes = planes * expansion;
        for (int i = 1; i < blocks; i++)
            layers.Add(NewBlock(block, _inplanes, planes, 1, null, generator));
        return layers;
    }

    protected override Tensor OnForward(Tensor input) => Head(Relu.Call(Bn1.Call(Conv1.Call(input))));

    /// <summary>Everything after the stem's convolution, batch norm and ReLU: pooling, the four stages and the classifier.</summary>
    internal Tensor Head(Tensor stem)
    {
        var x = Maxpool.Call(stem);
        foreach (var layer in _layers) x = layer.Call(x);
        x = Avgpool.Call(x);
        x = F.Flatten(x);
        return Fc.Call(x);
    }
}
