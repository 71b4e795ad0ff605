using TorchSharp;
using static TorchSharp.torch;

namespace Striate.Oracle.Tests.Models;

/// <summary>
/// torchvision's <c>vgg11</c> (or <c>vgg11_bn</c>) in TorchSharp, numbered as torchvision numbers it:
/// <c>features</c> (3x3 convolutions with padding 1, each followed by batch norm where asked and ReLU, 2x2 max
/// pooling after each block), <c>avgpool</c> (adaptive average pooling to 7x7) and <c>classifier</c> (Linear,
/// ReLU, Dropout, Linear, ReLU, Dropout, Linear).
/// </summary>
internal sealed class TorchVgg11 : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> _features, _avgpool, _classifier;

    public TorchVgg11(long numClasses, bool batchNorm) : base(nameof(TorchVgg11))
    {
        int[] config = [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0];
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        long inChannels = 3;
        foreach (int v in config)
        {
            if (v == 0)
            {
                layers.Add((layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), nn.MaxPool2d(2, 2)));
                continue;
            }
            layers.Add((layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), nn.Conv2d(inChannels, v, 3, padding: 1)));
            if (batchNorm) layers.Add((layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), nn.BatchNorm2d(v)));
            layers.Add((layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), nn.ReLU()));
            inChannels = v;
        }
        _features = nn.Sequential(layers.ToArray());
        _avgpool = nn.AdaptiveAvgPool2d(7);
        _classifier = nn.Sequential(
            ("0", nn.Linear(512 * 7 * 7, 4096)),
            ("1", nn.ReLU()),
            ("2", nn.Dropout(0.5)),
            ("3", nn.Linear(4096, 4096)),
            ("4", nn.ReLU()),
            ("5", nn.Dropout(0.5)),
            ("6", nn.Linear(4096, numClasses)));
        register_module("features", _features);
        register_module("avgpool", _avgpool);
        register_module("classifier", _classifier);
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = _avgpool.forward(_features.forward(input)).flatten(1);
        return _classifier.forward(x).MoveToOuterDisposeScope();
    }
}
