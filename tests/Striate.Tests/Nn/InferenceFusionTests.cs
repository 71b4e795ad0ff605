using Striate.Models;
using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Tests.Nn;

/// <summary>
/// The fused inference path (batch norm folded into the convolution; bias, residual and ReLU in its output step)
/// against the layer-by-layer one: a forward trace turns fusion off, so the same model gives both.
/// </summary>
public class InferenceFusionTests
{
    [Fact]
    public void Conv2dAddReluMatchesTheComposition()
    {
        var gen = new Generator(3);
        foreach (var (n, c, hw, oc, groups, stride) in new[] { (5, 4, 6, 8, 1, 1), (2, 6, 19, 6, 3, 2), (9, 8, 3, 8, 1, 1), (1, 3, 17, 5, 1, 1) })
        {
            var x = Tensor.Randn(gen, n, c, hw, hw);
            var w = Tensor.Randn(gen, oc, c / groups, 3, 3);
            var b = Tensor.Randn(gen, oc);
            var plain = F.Conv2d(x, w, b, (stride, stride), 1, groups: groups);
            var r = Tensor.Randn(gen, plain.Shape.ToArray());
            var expected = F.Relu(F.Add(plain, r));
            var fused = F.Conv2dAddRelu(x, w, b, r, relu: true, stride: (stride, stride), padding: 1, groups: groups);
            AssertClose(expected, fused, 1e-5);
            AssertClose(plain, F.Conv2dAddRelu(x, w, b, stride: (stride, stride), padding: 1, groups: groups), 0);
            Assert.Contains(fused.ToArray(), v => v == 0f);
        }
    }

    [Fact]
    public void Conv2dAddReluRecordsTheCompositionWhenAGradientIsNeeded()
    {
        var gen = new Generator(4);
        var x = Tensor.Randn(gen, 2, 3, 7, 7);
        x.RequiresGrad = true;
        var w = Tensor.Randn(gen, 4, 3, 3, 3);
        var r = Tensor.Randn(gen, 2, 4, 7, 7);
        F.Sum(F.Conv2dAddRelu(x, w, null, r, relu: true, padding: 1)).Backward();
        var fusedGrad = x.Grad!.ToArray();
        x.ZeroGrad();
        F.Sum(F.Relu(F.Add(F.Conv2d(x, w, null, padding: 1), r))).Backward();
        Assert.Equal(x.Grad!.ToArray(), fusedGrad);
    }

    [Fact]
    public void Conv2dReluMaxPool2dEqualsTheThreeStepsExactly()
    {
        var gen = new Generator(8);
        // LeNet-5's two layers (the one-pass kernel), a partial channel block, and odd outputs (the fallback).
        foreach (var (n, c, hw, oc, k, pad) in new[] { (3, 1, 28, 6, 5, 2), (4, 6, 14, 16, 5, 0), (2, 3, 10, 11, 3, 1), (2, 2, 9, 5, 3, 1) })
        {
            var x = Tensor.Randn(gen, n, c, hw, hw);
            x.Data[5] = float.NaN;
            var w = Tensor.Randn(gen, oc, c, k, k);
            var b = Tensor.Randn(gen, oc);
            using var _ = Autograd.NoGrad();
            var expected = F.MaxPool2d(F.Relu(F.Conv2d(x, w, b, padding: pad)), (2, 2));
            var fused = F.Conv2dReluMaxPool2d(x, w, b, padding: pad);
            Assert.Equal(expected.Shape, fused.Shape);
            Assert.Equal(expected.ToArray(), fused.ToArray());
            Assert.Contains(fused.ToArray(), float.IsNaN);
            Assert.Contains(0f, fused.ToArray());
            var linear = F.MaxPool2d(F.Conv2d(x, w, null, padding: pad), (2, 2));
            Assert.Equal(linear.ToArray(), F.Conv2dReluMaxPool2d(x, w, null, relu: false, padding: pad).ToArray());
        }
    }

    [Fact]
    public void Conv2dReluMaxPool2dRecordsTheStepsWhenAGradientIsNeeded()
    {
        var gen = new Generator(9);
        var x = Tensor.Randn(gen, 2, 6, 14, 14);
        x.RequiresGrad = true;
        var w = Tensor.Randn(gen, 16, 6, 5, 5);
        F.Sum(F.Conv2dReluMaxPool2d(x, w)).Backward();
        var fusedGrad = x.Grad!.ToArray();
        x.ZeroGrad();
        F.Sum(F.MaxPool2d(F.Relu(F.Conv2d(x, w)), (2, 2))).Backward();
        Assert.Equal(x.Grad!.ToArray(), fusedGrad);
        Assert.Contains(fusedGrad, v => v != 0f);
    }

    [Fact]
    public void ASequenceFusesBatchNormReluAndPoolingIntoTheConvolution()
    {
        var gen = new Generator(10);
        var seq = new Sequential(new Conv2d(3, 8, 3, padding: 1, generator: gen), new BatchNorm2d(8), new ReLU(), new MaxPool2d(2),
            new Conv2d(8, 4, 3, generator: gen), new ReLU(), new MaxPool2d(2, ceilMode: true));
        Randomise((BatchNorm2d)seq[1], gen);
        Assert.True(InferenceFusion.CanFuse((MaxPool2d)seq[3]));
        Assert.False(InferenceFusion.CanFuse((MaxPool2d)seq[6]));
        Assert.False(InferenceFusion.CanFuse(new MaxPool2d(3, stride: 2)));
        seq.Eval();
        var x = Tensor.Randn(gen, 3, 3, 12, 12);
        using var _ = Autograd.NoGrad();
        Tensor layered;
        using (ForwardTrace.Begin()) layered = seq.Call(x);
        var fused = seq.Call(x);
        Assert.Equal(new Shape(3, 4, 2, 2), fused.Shape);
        AssertClose(layered, fused, 1e-5);
    }

    [Fact]
    public void FoldedBatchNormMatchesConvolutionThenBatchNorm()
    {
        var gen = new Generator(5);
        var conv = new Conv2d(4, 6, 3, padding: 1, bias: true, generator: gen);
        var bn = new BatchNorm2d(6);
        Randomise(bn, gen);
        bn.Eval();
        var x = Tensor.Randn(gen, 3, 4, 9, 9);
        using var _ = Autograd.NoGrad();
        var expected = bn.Call(conv.Call(x));
        var (w, b) = F.FoldBatchNorm(conv.Weight, conv.Bias, bn.RunningMean!, bn.RunningVar!, bn.Weight, bn.Bias, bn.Eps);
        AssertClose(expected, F.Conv2d(x, w, b, padding: 1), 1e-5);
        AssertClose(expected, InferenceFusion.ConvBn(conv, bn, x), 1e-5);
    }

    [Fact]
    public void FoldBatchNormRejectsStatisticsOfTheWrongLength()
    {
        var w = Tensor.Zeros(6, 4, 3, 3);
        var e = Assert.Throws<ArgumentException>(() => F.FoldBatchNorm(w, null, Tensor.Zeros(5), Tensor.Ones(6), null, null, 1e-5f));
        Assert.Contains("running_mean must be [6]", e.Message);
        Assert.Contains("got [5]", e.Message);
        var r = Assert.Throws<ArgumentException>(() => F.Conv2dAddRelu(Tensor.Zeros(1, 4, 5, 5), w, residual: Tensor.Zeros(1, 6, 4, 4)));
        Assert.Contains("residual must have the output's shape [1, 6, 3, 3]", r.Message);
    }

    public static TheoryData<string> Models => new() { "resnet18-small", "resnet50", "vgg11-bn", "googlenet", "lenet5" };

    [Theory]
    [MemberData(nameof(Models))]
    public void FusedEvaluationMatchesLayerByLayerEvaluation(string name)
    {
        var gen = new Generator(6);
        Module model = name switch
        {
            "resnet18-small" => ResNet.ResNet18(10, 3, smallInput: true, generator: gen),
            "resnet50" => ResNet.ResNet50(10, 3, smallInput: true, generator: gen),
            "vgg11-bn" => Vgg.Vgg11(10, 3, batchNorm: true, generator: gen),
            "googlenet" => new GoogLeNet(10, 3, auxLogits: false, generator: gen),
            _ => new LeNet5(generator: gen),
        };
        foreach (var (_, m) in model.NamedModules()) if (m is BatchNorm2d bn) Randomise(bn, gen);
        model.Eval();
        int side = name switch { "vgg11-bn" => 32, "googlenet" => 64, "lenet5" => 28, _ => 16 };
        var x = Tensor.Randn(gen, 2, name == "lenet5" ? 1 : 3, side, side);
        using var _ = Autograd.NoGrad();
        Tensor layered;
        using (ForwardTrace.Begin()) layered = model.Call(x);
        var fused = model.Call(x);
        AssertClose(layered, fused, 1e-4);
    }

    [Fact]
    public void ForwardRunsTheBlocksFusedFormAndATraceSeesEveryLayer()
    {
        var gen = new Generator(11);
        // A block built by hand (not by the zoo) fuses too: its type registers its fused form when the first one is made.
        var block = new BasicBlock(8, 8, 1, null, gen);
        Randomise(block.Bn1, gen);
        Randomise(block.Bn2, gen);
        block.Eval();
        var x = Tensor.Randn(gen, 2, 8, 9, 7);
        using var _ = Autograd.NoGrad();
        var fused = InferenceFusion.ConvBn(block.Conv2, block.Bn2, InferenceFusion.ConvBn(block.Conv1, block.Bn1, x, relu: true), x, relu: true);
        Assert.Equal(fused.ToArray(), block.Call(x).ToArray());
        // Forward is the call (PyTorch's module(x)): the fused form too.
        Assert.Equal(fused.ToArray(), block.Forward(x).ToArray());
        Tensor layered;
        using (ForwardTrace.Begin()) layered = block.Forward(x);
        Assert.Equal(layered.ToArray(), block.RunOnForward(x).ToArray());
        Assert.NotEqual(layered.ToArray(), fused.ToArray()); // folding the batch norm changes the rounding
        AssertClose(layered, fused, 1e-5);
    }

    [Fact]
    public void TrainingModeAndRecordedGraphsAreNotFused()
    {
        var gen = new Generator(7);
        var seq = new Sequential(new Conv2d(3, 4, 3, generator: gen), new BatchNorm2d(4), new ReLU());
        var x = Tensor.Randn(gen, 2, 3, 6, 6);
        Assert.False(InferenceFusion.Applies(seq, x));
        seq.Eval();
        Assert.False(InferenceFusion.Applies(seq, x));
        using (Autograd.NoGrad()) Assert.True(InferenceFusion.Applies(seq, x));
        using (ForwardTrace.Begin())
        using (Autograd.NoGrad())
            Assert.False(InferenceFusion.Applies(seq, x));
    }

    private static void Randomise(BatchNorm2d bn, Generator gen)
    {
        int c = bn.NumFeatures;
        Tensor.Randn(gen, c).Data.CopyTo(bn.RunningMean!.Data);
        var v = Tensor.Rand(gen, c).Data;
        for (int i = 0; i < c; i++) bn.RunningVar!.Data[i] = 0.5f + v[i];
        var g = Tensor.Rand(gen, c).Data;
        for (int i = 0; i < c; i++) bn.Weight!.Data[i] = 0.5f + g[i];
        Tensor.Randn(gen, c).Data.CopyTo(bn.Bias!.Data);
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        float[] e = expected.ToArray(), a = actual.ToArray();
        double scale = 1 + e.Max(v => Math.Abs(v));
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= tolerance * scale, $"[{i}]: {a[i]} vs {e[i]} (scale {scale})");
    }
}
