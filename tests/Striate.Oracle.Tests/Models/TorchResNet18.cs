using TorchSharp;
using static TorchSharp.torch;

namespace Striate.Oracle.Tests.Models;

/// <summary>torchvision's <c>BasicBlock</c> in TorchSharp: conv1, bn1, relu, conv2, bn2 and an optional downsample.</summary>
internal sealed class TorchBasicBlock : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> _conv1, _bn1, _relu, _conv2, _bn2;
    private readonly nn.Module<Tensor, Tensor>? _downsample;

    public TorchBasicBlock(long inplanes, long planes, long stride) : base(nameof(TorchBasicBlock))
    {
        _conv1 = nn.Conv2d(inplanes, planes, 3, stride: stride, padding: 1, bias: false);
        _bn1 = nn.BatchNorm2d(planes);
        _relu = nn.ReLU();
        _conv2 = nn.Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false);
        _bn2 = nn.BatchNorm2d(planes);
        register_module("conv1", _conv1);
        register_module("bn1", _bn1);
        register_module("relu", _relu);
        register_module("conv2", _conv2);
        register_module("bn2", _bn2);
        if (stride != 1 || inplanes != planes)
        {
            _downsample = nn.Sequential(
                ("0", nn.Conv2d(inplanes, planes, 1, stride: stride, bias: false)),
                ("1", nn.BatchNorm2d(planes)));
            register_module("downsample", _downsample);
        }
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = _relu.forward(_bn1.forward(_conv1.forward(input)));
        x = _bn2.forward(_conv2.forward(x));
        var identity = _downsample is null ? input : _downsample.forward(input);
        return _relu.forward(x + identity).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// torchvision's <c>resnet18</c> in TorchSharp, with its module names: conv1 (7x7 stride 2, no bias), bn1, relu,
/// maxpool (3x3 stride 2 padding 1), layer1 to layer4 of two basic blocks each, avgpool, fc.
/// </summary>
internal sealed class TorchResNet18 : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> _conv1, _bn1, _relu, _maxpool, _avgpool, _fc;
    private readonly nn.Module<Tensor, Tensor>[] _layers;

    public TorchResNet18(long numClasses) : base(nameof(TorchResNet18))
    {
        _conv1 = nn.Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        _bn1 = nn.BatchNorm2d(64);
        _relu = nn.ReLU();
        _maxpool = nn.MaxPool2d(3, 2, 1);
        register_module("conv1", _conv1);
        register_module("bn1", _bn1);
        register_module("relu", _relu);
        register_module("maxpool", _maxpool);
        long[] widths = [64, 128, 256, 512];
        _layers = new nn.Module<Tensor, Tensor>[widths.Length];
        long inplanes = 64;
        for (int i = 0; i < widths.Length; i++)
        {
            long stride = i == 0 ? 1 : 2;
            _layers[i] = nn.Sequential(
                ("0", new TorchBasicBlock(inplanes, widths[i], stride)),
                ("1", new TorchBasicBlock(widths[i], widths[i], 1)));
            register_module($"layer{i + 1}", _layers[i]);
            inplanes = widths[i];
        }
        _avgpool = nn.AdaptiveAvgPool2d(1);
        _fc = nn.Linear(512, numClasses);
        register_module("avgpool", _avgpool);
        register_module("fc", _fc);
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = _maxpool.forward(_relu.forward(_bn1.forward(_conv1.forward(input))));
        foreach (var layer in _layers) x = layer.forward(x);
        x = _avgpool.forward(x).flatten(1);
        return _fc.forward(x).MoveToOuterDisposeScope();
    }
}
