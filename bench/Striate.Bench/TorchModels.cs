using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Striate.Bench;

/// <summary>TorchSharp networks with the same layers as their Striate counterparts.</summary>
public static class TorchModels
{
    /// <summary>Striate.Models.LeNet5 (modern form): conv 5x5 p2, ReLU, max pool, conv 5x5, ReLU, max pool, three linear layers.</summary>
    public static Module<Tensor, Tensor> LeNet5(int classes = 10) => Sequential(
        ("conv1", Conv2d(1, 6, 5, padding: 2)), ("act1", ReLU()), ("pool1", MaxPool2d(2)),
        ("conv2", Conv2d(6, 16, 5)), ("act2", ReLU()), ("pool2", MaxPool2d(2)),
        ("flatten", Flatten()),
        ("fc1", Linear(400, 120)), ("act3", ReLU()),
        ("fc2", Linear(120, 84)), ("act4", ReLU()),
        ("fc3", Linear(84, classes)));

    /// <summary>
    /// ResNet-18: with <paramref name="smallInput"/> the CIFAR stem (3x3 stride-1 convolution, no max pool), as
    /// Striate's smallInput form; otherwise torchvision's ImageNet stem (7x7 stride 2, 3x3 max pool stride 2).
    /// </summary>
    public static Module<Tensor, Tensor> ResNet18(int classes = 10, bool smallInput = true)
    {
        var layers = smallInput
            ? new List<(string, Module<Tensor, Tensor>)> { ("conv1", Conv2d(3, 64, 3, padding: 1, bias: false)), ("bn1", BatchNorm2d(64)), ("relu", ReLU()) }
            : new List<(string, Module<Tensor, Tensor>)>
            {
                ("conv1", Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false)), ("bn1", BatchNorm2d(64)), ("relu", ReLU()),
                ("maxpool", MaxPool2d(3, stride: 2, padding: 1)),
            };
        int inplanes = 64;
        int[] widths = [64, 128, 256, 512];
        for (int i = 0; i < widths.Length; i++)
        {
            int stride = i == 0 ? 1 : 2;
            layers.Add(($"layer{i + 1}", Sequential(
                new BasicBlock($"l{i}b0", inplanes, widths[i], stride),
                new BasicBlock($"l{i}b1", widths[i], widths[i], 1))));
            inplanes = widths[i];
        }
        layers.Add(("avgpool", AdaptiveAvgPool2d(1)));
        layers.Add(("flatten", Flatten()));
        layers.Add(("fc", Linear(512, classes)));
        return Sequential(layers);
    }

    /// <summary>VGG-16 (configuration D) as torchvision builds it: 13 3x3 convolutions with ReLU, five max pools, 7x7 average pool, three linear layers.</summary>
    public static Module<Tensor, Tensor> Vgg16(int classes = 1000)
    {
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        int inChannels = 3, i = 0;
        foreach (int v in new[] { 64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0 })
        {
            if (v == 0)
            {
                layers.Add(($"{i++}", MaxPool2d(2, stride: 2)));
                continue;
            }
            layers.Add(($"{i++}", Conv2d(inChannels, v, 3, padding: 1)));
            layers.Add(($"{i++}", ReLU()));
            inChannels = v;
        }
        return Sequential(
            ("features", Sequential(layers)), ("avgpool", AdaptiveAvgPool2d(7)), ("flatten", Flatten()),
            ("classifier", Sequential(Linear(512 * 7 * 7, 4096), ReLU(), Dropout(), Linear(4096, 4096), ReLU(), Dropout(), Linear(4096, classes))));
    }

    private sealed class BasicBlock : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> conv1, bn1, conv2, bn2;
        private readonly Module<Tensor, Tensor>? downsample;

        public BasicBlock(string name, int inplanes, int planes, int stride) : base(name)
        {
            conv1 = Conv2d(inplanes, planes, 3, stride: stride, padding: 1, bias: false);
            bn1 = BatchNorm2d(planes);
            conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
            bn2 = BatchNorm2d(planes);
            if (stride != 1 || inplanes != planes)
                downsample = Sequential(Conv2d(inplanes, planes, 1, stride: stride, bias: false), BatchNorm2d(planes));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var x = functional.relu(bn1.call(conv1.call(input)));
            x = bn2.call(conv2.call(x));
            var identity = downsample is null ? input : downsample.call(input);
            return functional.relu(x + identity);
        }
    }
}
