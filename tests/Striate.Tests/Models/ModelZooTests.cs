using Striate.Models;
using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using Striate.Tests.Support;

namespace Striate.Tests.Models;

/// <summary>
/// Every registered model, built once by name: its parameter count (torchvision's exact count where torchvision has
/// the model, with 1000 classes and 3 input channels), a few of torchvision's state-dict keys, and one forward and
/// backward pass on a batch of two small images that reaches every parameter.
/// </summary>
[Collection(nameof(SerialCollection))]
public class ModelZooTests
{
    private sealed record Case(int InChannels, int NumClasses, int Size, long? Parameters = null, string[]? Keys = null);

    private static readonly Dictionary<string, Case> s_cases = new()
    {
        ["lenet5"] = new(1, 10, 28, 61_706),
        ["lenet5-classic"] = new(1, 10, 28),
        ["lenet5-wide"] = new(1, 10, 28, 244_362, ["conv1.weight", "conv2.bias", "fc1.weight", "fc3.bias"]),
        ["alexnet"] = new(3, 1000, 63, 61_100_840,
            ["features.0.weight", "features.3.bias", "features.6.weight", "features.8.weight", "features.10.weight", "classifier.1.weight", "classifier.4.weight", "classifier.6.bias"]),
        ["alexnet-paper"] = new(3, 1000, 67, 62_378_344, ["features.0.weight", "features.4.weight", "features.8.weight", "classifier.0.weight", "classifier.6.weight"]),
        ["zfnet"] = new(1, 10, 64),
        ["vgg11"] = new(3, 1000, 32, 132_863_336, ["features.0.weight", "features.18.weight", "classifier.0.weight", "classifier.3.weight", "classifier.6.bias"]),
        ["vgg11-bn"] = new(3, 1000, 32, 132_868_840, ["features.1.running_mean", "features.26.weight"]),
        ["vgg11-lrn"] = new(3, 1000, 32, 132_863_336, ["features.0.weight", "features.4.weight", "features.19.weight"]),
        ["vgg11-lrn-bn"] = new(1, 10, 32),
        ["vgg13"] = new(3, 1000, 32, 133_047_848, ["features.22.weight"]),
        ["vgg13-bn"] = new(3, 1000, 32, 133_053_736, ["features.31.weight", "features.32.num_batches_tracked"]),
        ["vgg16-c"] = new(3, 1000, 32, 133_638_952),
        ["vgg16-c-bn"] = new(1, 10, 32),
        ["vgg16"] = new(3, 1000, 32, 138_357_544, ["features.0.weight", "features.28.weight", "features.28.bias", "classifier.6.weight"]),
        ["vgg16-bn"] = new(3, 1000, 32, 138_365_992, ["features.1.running_var", "features.40.weight", "features.41.running_mean"]),
        ["vgg19"] = new(3, 1000, 32, 143_667_240, ["features.34.weight", "classifier.0.bias"]),
        ["vgg19-bn"] = new(3, 1000, 32, 143_678_248, ["features.49.weight", "features.50.bias"]),
        ["nin"] = new(3, 10, 32, 966_986, ["features.0.0.weight", "features.0.4.weight", "features.6.4.bias"]),
        ["googlenet"] = new(1, 10, 32),
        ["googlenet-torchvision"] = new(3, 1000, 32, 13_004_888,
            ["conv1.conv.weight", "conv1.bn.running_var", "conv3.bn.num_batches_tracked", "inception3a.branch1.conv.weight", "inception3a.branch2.1.bn.bias",
             "inception4e.branch3.1.conv.weight", "inception5b.branch4.1.conv.weight", "aux1.conv.conv.weight", "aux1.fc1.weight", "aux2.fc2.bias", "fc.weight"]),
        ["resnet18"] = new(3, 1000, 32, 11_689_512,
            ["conv1.weight", "bn1.running_mean", "layer1.0.conv1.weight", "layer1.1.bn2.bias", "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_var",
             "layer4.1.bn2.num_batches_tracked", "fc.weight", "fc.bias"]),
        ["resnet34"] = new(3, 1000, 32, 21_797_672, ["layer3.5.conv2.weight", "layer4.0.downsample.1.weight"]),
        ["resnet50"] = new(3, 1000, 32, 25_557_032, ["layer1.0.downsample.0.weight", "layer3.5.conv3.weight", "layer4.2.bn3.running_var"]),
        ["resnet101"] = new(3, 1000, 32, 44_549_160, ["layer3.22.bn3.weight"]),
        ["resnet152"] = new(3, 1000, 32, 60_192_808, ["layer2.7.conv1.weight", "layer3.35.bn2.bias"]),
        ["resnet18-small"] = new(1, 10, 28),
        ["resnet8-small"] = new(1, 10, 28),
        ["plain8"] = new(1, 10, 28, 146_298),
        ["resnet20-small"] = new(1, 10, 28),
        ["mobilenet-v1"] = new(3, 1000, 32, 4_231_976, ["features.0.0.weight", "features.1.0.0.weight", "features.13.1.1.running_var", "classifier.weight"]),
        ["mobilenet-v1-0.25"] = new(1, 10, 32),
        ["densenet121"] = new(3, 1000, 32, 7_978_856,
            ["features.conv0.weight", "features.norm0.running_mean", "features.denseblock1.denselayer1.norm1.weight", "features.denseblock1.denselayer1.conv1.weight",
             "features.transition1.conv.weight", "features.denseblock4.denselayer16.conv2.weight", "features.norm5.bias", "classifier.weight"]),
        ["densenet161"] = new(3, 1000, 32, 28_681_000, ["features.conv0.weight", "features.denseblock3.denselayer36.conv2.weight", "features.norm5.running_var"]),
        ["densenet169"] = new(3, 1000, 32, 14_149_480, ["features.denseblock4.denselayer32.norm2.bias", "features.transition3.conv.weight"]),
        ["densenet201"] = new(3, 1000, 32, 20_013_928, ["features.denseblock3.denselayer48.conv1.weight", "classifier.bias"]),
        // PyTorch's nn.LSTM(28, 128), nn.GRU(28, 128) and nn.RNN(48, 128) counts plus the 1,290 of the head.
        ["lstm-rows"] = new(1, 10, 28, 82_186, ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "fc.weight"]),
        ["gru-rows"] = new(1, 10, 28, 61_962),
        ["rnn-rows"] = new(3, 10, 16, 24_074),
    };

    public static TheoryData<string> Names => new(ModelZoo.Names);

    [Fact]
    public void EveryRegisteredModelIsCovered()
    {
        Assert.Empty(ModelZoo.Names.Except(s_cases.Keys));
        Assert.Empty(s_cases.Keys.Except(ModelZoo.Names));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void BuildsCountsAndTrains(string name)
    {
        GC.Collect(); // the previous case's hundreds of megabytes of weights and gradients
        var c = s_cases[name];
        var model = ModelZoo.Create(new ModelSpec(name, c.NumClasses, c.InChannels, c.Size, c.Size), new Generator(1));
        if (c.Parameters is long expected) Assert.Equal(expected, model.ParameterCount());
        var keys = model.StateDict().Select(kv => kv.Key).ToHashSet();
        foreach (var key in c.Keys ?? []) Assert.Contains(key, keys);

        var x = Tensor.Uniform(new Generator(2), -1f, 1f, 2, c.InChannels, c.Size, c.Size);
        int[] targets = [0, c.NumClasses - 1];
        Tensor loss;
        if (model is GoogLeNet googLeNet)
        {
            var outputs = googLeNet.ForwardWithAux(x);
            Assert.Equal(new Shape(2, c.NumClasses), outputs.Logits.Shape);
            loss = outputs.Loss(targets);
        }
        else
        {
            var y = model.Forward(x);
            Assert.Equal(new Shape(2, c.NumClasses), y.Shape);
            loss = F.CrossEntropy(y, targets);
        }
        Assert.True(float.IsFinite(loss.Item()), $"{name}: loss {loss.Item()}");
        loss.Backward();
        Assert.Empty(model.NamedParameters().Where(p => p.Parameter.Grad is null).Select(p => p.Name));
    }

    [Fact]
    public void GoogLeNetTorchVisionWithoutAuxiliaryClassifiersHasTorchVisionsCount()
    {
        var model = new GoogLeNet(1000, 3, auxLogits: false, torchVision: true, generator: new Generator(1));
        Assert.Equal(6_624_904, model.ParameterCount());
        Assert.DoesNotContain(model.StateDict(), kv => kv.Key.StartsWith("aux", StringComparison.Ordinal));
        Assert.Equal(new Shape(128, 32, 3, 3), model.StateDict().Single(kv => kv.Key == "inception4e.branch3.1.conv.weight").Value.Shape);
        Assert.Equal(6_998_552, new GoogLeNet(1000, 3, auxLogits: false, generator: new Generator(1)).ParameterCount());
    }

    [Fact]
    public void UnknownNamesListTheModels()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelZoo.Create(new ModelSpec("resnet-9000", 10, 1, 28, 28)));
        Assert.Contains("Unknown model 'resnet-9000'", e.Message);
        Assert.Contains("resnet18, resnet18-small", e.Message);
        Assert.Contains("vgg16-bn", e.Message);
    }
}
