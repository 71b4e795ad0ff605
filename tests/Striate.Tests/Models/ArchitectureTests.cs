using Striate.Models;
using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using Striate.Tests.Support;

namespace Striate.Tests.Models;

/// <summary>Feature-map sizes the papers state, the auxiliary classifiers, the reusable blocks, and the errors.</summary>
[Collection(nameof(SerialCollection))]
public class ArchitectureTests
{
    private static Dictionary<string, Shape> TraceShapes(Module model, Tensor input)
    {
        using var trace = ForwardTrace.Begin();
        model.Forward(input);
        return trace.Entries.Where(e => e.Module.Path is not null).ToDictionary(e => e.Module.Path!, e => e.OutputShape!);
    }

    [Fact]
    public void AlexNetPaperTurns227Into55x55x96ThenTheTablesSizes()
    {
        var model = new AlexNet(10, 1, paper: true, generator: new Generator(1));
        var shapes = TraceShapes(model, Tensor.Uniform(new Generator(2), 0f, 1f, 1, 1, 227, 227));
        Assert.Equal(new Shape(1, 96, 55, 55), shapes["features.0"]);
        Assert.Equal(new Shape(1, 96, 27, 27), shapes["features.3"]);
        Assert.Equal(new Shape(1, 256, 13, 13), shapes["features.7"]);
        Assert.Equal(new Shape(1, 256, 6, 6), shapes["features.14"]);
        Assert.Equal(new Shape(1, 10), shapes["classifier"]);
        Assert.IsType<LocalResponseNorm>(model.Features[2]);
    }

    [Fact]
    public void ZFNetTurns224IntoThePapersMaps()
    {
        var model = new ZFNet(10, 1, generator: new Generator(1));
        var shapes = TraceShapes(model, Tensor.Uniform(new Generator(2), 0f, 1f, 1, 1, 224, 224));
        Assert.Equal(new Shape(1, 96, 110, 110), shapes["features.0"]);
        Assert.Equal(new Shape(1, 96, 55, 55), shapes["features.3"]);
        Assert.Equal(new Shape(1, 256, 26, 26), shapes["features.4"]);
        Assert.Equal(new Shape(1, 256, 13, 13), shapes["features.7"]);
        Assert.Equal(new Shape(1, 256, 13, 13), shapes["features.12"]);
        Assert.Equal(new Shape(1, 256, 6, 6), shapes["features.14"]);
        Assert.Equal(62_357_608, new ZFNet(1000, 3, generator: new Generator(1)).ParameterCount());
    }

    [Fact]
    public void AnInputTooSmallNamesTheLayerWhereTheMapVanishes()
    {
        var vgg = new Vgg(Vgg.MakeLayers("D", inChannels: 1), 10);
        var e = Assert.Throws<ArgumentException>(() => vgg.Forward(Tensor.Zeros(2, 1, 16, 16)));
        Assert.StartsWith("MaxPool2d 'features.30': the window (2x2) is larger than the padded input (1x1)", e.Message);

        var alexNet = new AlexNet(10, 1);
        var e2 = Assert.Throws<ArgumentException>(() => alexNet.Forward(Tensor.Zeros(1, 1, 62, 62)));
        Assert.StartsWith("MaxPool2d 'features.12'", e2.Message);
    }

    [Fact]
    public void VggConfigurationsFollowTheTable()
    {
        var c = Vgg.MakeLayers("C");
        var convs = c.Children().Select(x => x.Module).OfType<Conv2d>().ToList();
        Assert.Equal(13, convs.Count);
        Assert.Equal([3, 3, 3, 3, 3, 3, 1, 3, 3, 1, 3, 3, 1], convs.Select(k => k.KernelSize.H));
        Assert.Equal(19, Vgg.MakeLayers("E").Children().Count(x => x.Module is Conv2d) + 3);
        Assert.Equal(9, Vgg.MakeLayers("conv3-8 LRN maxpool conv1-16 maxpool", batchNorm: true).Count);
        Assert.Contains("unknown layer 'conv2-8'", Assert.Throws<ArgumentException>(() => Vgg.MakeLayers("conv2-8")).Message);
    }

    [Fact]
    public void GoogLeNetAuxiliaryClassifiersRunOnlyInTraining()
    {
        var model = new GoogLeNet(5, 1, generator: new Generator(1));
        var x = Tensor.Uniform(new Generator(2), -1f, 1f, 2, 1, 32, 32);
        var train = model.ForwardWithAux(x);
        Assert.Equal(new Shape(2, 5), train.Logits.Shape);
        Assert.Equal(new Shape(2, 5), train.Aux1!.Shape);
        Assert.Equal(new Shape(2, 5), train.Aux2!.Shape);
        int[] targets = [1, 3];
        float expected = F.CrossEntropy(train.Logits, targets).Item()
            + 0.3f * (F.CrossEntropy(train.Aux1, targets).Item() + F.CrossEntropy(train.Aux2, targets).Item());
        Assert.Equal(expected, train.Loss(targets).Item(), 5);

        model.Eval();
        var eval = model.ForwardWithAux(x);
        Assert.Null(eval.Aux1);
        Assert.Null(eval.Aux2);
        Assert.Equal(eval.Logits.ToArray(), model.Forward(x).ToArray());

        var noAux = new GoogLeNet(5, 1, auxLogits: false, generator: new Generator(1));
        Assert.Null(noAux.ForwardWithAux(x).Aux1);
        Assert.Null(noAux.Aux1);
    }

    [Fact]
    public void InceptionModuleWorksOnItsOwn()
    {
        var paper = new Inception(192, 64, 96, 128, 16, 32, 32, generator: new Generator(1));
        var y = paper.Forward(Tensor.Uniform(new Generator(2), -1f, 1f, 2, 192, 7, 7));
        Assert.Equal(new Shape(2, 256, 7, 7), y.Shape);
        Assert.Equal(256, paper.OutChannels);
        var keys = paper.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
        Assert.Equal(new Shape(32, 16, 5, 5), keys["branch3.1.conv.weight"]);
        Assert.Contains("branch3.1.conv.bias", keys.Keys);

        var tv = new Inception(192, 64, 96, 128, 16, 32, 32, batchNorm: true, branch3Kernel: 3, generator: new Generator(1));
        keys = tv.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
        Assert.Equal(new Shape(32, 16, 3, 3), keys["branch3.1.conv.weight"]);
        Assert.DoesNotContain("branch3.1.conv.bias", keys.Keys);
        Assert.Contains("branch4.1.bn.running_mean", keys.Keys);
        Assert.Equal(new Shape(2, 256, 5, 5), tv.Forward(Tensor.Uniform(new Generator(2), -1f, 1f, 2, 192, 5, 5)).Shape);
    }

    [Fact]
    public void FactorisedInceptionBlocksMatchTorchVision()
    {
        var c = new InceptionC(768, 128, new Generator(1));
        Assert.Equal(1_297_408, c.ParameterCount()); // torchvision inception_v3 Mixed_6b
        var keys = c.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
        Assert.Equal(new Shape(128, 128, 1, 7), keys["branch7x7_2.conv.weight"]);
        Assert.Equal(new Shape(192, 128, 7, 1), keys["branch7x7_3.conv.weight"]);
        Assert.Equal(new Shape(192, 128, 1, 7), keys["branch7x7dbl_5.conv.weight"]);
        Assert.Contains("branch_pool.bn.running_var", keys.Keys);
        Assert.Equal(new Shape(2, 768, 5, 5), c.Forward(Tensor.Uniform(new Generator(2), -1f, 1f, 2, 768, 5, 5)).Shape);

        var e = new InceptionE(1280, new Generator(1));
        Assert.Equal(5_044_608, e.ParameterCount()); // Mixed_7b
        keys = e.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
        Assert.Equal(new Shape(384, 384, 1, 3), keys["branch3x3_2a.conv.weight"]);
        Assert.Equal(new Shape(384, 384, 3, 1), keys["branch3x3dbl_3b.conv.weight"]);
        var x = Tensor.Uniform(new Generator(2), -1f, 1f, 1, 1280, 3, 3);
        x.RequiresGrad = true;
        var y = e.Forward(x);
        Assert.Equal(new Shape(1, 2048, 3, 3), y.Shape);
        F.Sum(y).Backward();
        Assert.NotNull(x.Grad);
    }

    [Fact]
    public void ResNetBlocksAndStems()
    {
        var r18 = ResNet.ResNet18(10, 1, smallInput: true, new Generator(1));
        Assert.IsType<Identity>(r18.Maxpool);
        Assert.Equal(new Size2(3, 3), r18.Conv1.KernelSize);
        Assert.Null(((BasicBlock)r18.Layers[0][0]).Downsample);
        Assert.NotNull(((BasicBlock)r18.Layers[1][0]).Downsample);
        Assert.Equal(2, ((BasicBlock)r18.Layers[1][0]).Conv1.Stride.H);
        Assert.Equal(4, Bottleneck.Expansion);
        Assert.Equal(1, BasicBlock.Expansion);

        var cifar = ResNet.Cifar(20, 10, 3, new Generator(1));
        Assert.Equal(3, cifar.Layers.Count);
        Assert.Equal(20, cifar.NamedModules().Count(m => m.Module is Conv2d or Linear) - 2); // less the two projection shortcuts
        Assert.Contains("6n + 2", Assert.Throws<ArgumentException>(() => ResNet.Cifar(10)).Message);
    }

    [Fact]
    public void MobileNetWidthMultiplierAndDenseNetWithOneChannel()
    {
        var m = new MobileNetV1(10, 1, 0.25f, new Generator(1));
        Assert.Equal(256, m.Classifier.InFeatures);
        Assert.Equal(8, ((Conv2d)((Sequential)m.Features[0])[0]).OutChannels);
        var dw = (Conv2d)((Sequential)((Sequential)m.Features[1])[0])[0];
        Assert.Equal(dw.InChannels, dw.Groups);

        var d = new DenseNet(8, [2, 2], 16, numClasses: 3, inChannels: 1, generator: new Generator(1));
        var x = Tensor.Uniform(new Generator(2), -1f, 1f, 2, 1, 16, 16);
        Assert.Equal(new Shape(2, 3), d.Forward(x).Shape);
        Assert.Equal(new Shape(16, 32, 1, 1), d.StateDict().Single(kv => kv.Key == "features.transition1.conv.weight").Value.Shape);
        Assert.Equal(14_149_480, DenseNet.DenseNet169().ParameterCount());
    }
}
