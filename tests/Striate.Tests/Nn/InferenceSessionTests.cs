using Striate.Backends;
using Striate.Backends.Cpu;
using Striate.Models;
using Striate.Nn;
using Striate.Optim;
using Striate.Tensors;

namespace Striate.Tests.Nn;

/// <summary>
/// <see cref="InferenceSession"/>: the kept folded weights and Winograd transforms give what a plain evaluation-mode
/// call gives (up to rounding: small maps may take Winograd instead of im2col), the same bits on every run, and are
/// derived again when the weights change.
/// </summary>
public class InferenceSessionTests
{
    public static TheoryData<string> Models => new() { "resnet18-small", "vgg11-bn", "vgg11", "lenet5", "googlenet" };

    [Theory]
    [MemberData(nameof(Models))]
    public void ASessionMatchesThePlainAndTheLayerByLayerEvaluation(string name)
    {
        var gen = new Generator(11);
        var (model, x) = Make(name, gen);
        model.Eval();
        float[] plain, layered;
        using (Autograd.NoGrad()) plain = model.Call(x).ToArray();
        using (Autograd.NoGrad())
        using (ForwardTrace.Begin())
            layered = model.Call(x).ToArray();
        var session = new InferenceSession(model);
        var first = session.Run(x).ToArray();
        int layers = session.PreparedLayers;
        Assert.True(layers > 0);
        // The second run works from the kept forms and gives the same bits.
        Assert.Equal(first, session.Run(x).ToArray());
        Assert.Equal(layers, session.PreparedLayers);
        // With the transform kept, Winograd also takes small maps that the plain call leaves to im2col: the same
        // numbers up to rounding.
        AssertClose(plain, first, 1e-4);
        AssertClose(layered, first, 1e-4);
    }

    [Fact]
    public void ItKeepsTheFoldedWeightsAndTheWinogradTransform()
    {
        var gen = new Generator(12);
        var (model, x) = Make("resnet18-small", gen);
        var session = new InferenceSession(model);
        Assert.Equal(0, session.CachedBytes);
        session.Run(x);
        // Every convolution of resnet18-small is followed by a batch norm, so each has a folded copy of its weights and
        // bias; layer1's four 64-channel layers on 16x16 maps also keep their Winograd transform (16 x 64 x 64 floats).
        var convs = model.NamedModules().Select(m => m.Module).OfType<Conv2d>().ToList();
        long folded = convs.Sum(c => (long)c.Weight.Numel + c.OutChannels) * sizeof(float);
        Assert.Equal(convs.Count, session.PreparedLayers);
        Assert.Equal(20, convs.Count);
        Assert.True(session.CachedBytes >= folded + 4L * 16 * 64 * 64 * sizeof(float), $"{session.CachedBytes} bytes, {folded} folded");
        session.Refresh();
        Assert.Equal(0, session.PreparedLayers);
    }

    [Fact]
    public void TrainingStepsAndLoadedStatisticsAreSeen()
    {
        var gen = new Generator(13);
        var (model, x) = Make("resnet18-small", gen);
        var session = new InferenceSession(model);
        var before = session.Run(x).ToArray();

        // A training step changes every weight and the running statistics.
        model.Train();
        var opt = new Sgd(model.Parameters(), lr: 0.1f);
        Striate.Ops.F.Sum(model.Call(x)).Backward();
        opt.Step();
        model.Eval();
        var afterStep = session.Run(x).ToArray();
        Assert.NotEqual(before, afterStep);
        Assert.Equal(Fresh(model, x), afterStep);

        // Only a batch norm's running mean changes.
        var bn = model.NamedModules().Select(m => m.Module).OfType<BatchNorm2d>().Last();
        bn.RunningMean!.Data[3] += 0.5f;
        var afterStats = session.Run(x).ToArray();
        Assert.NotEqual(afterStep, afterStats);
        Assert.Equal(Fresh(model, x), afterStats);
    }

    [Fact]
    public void AnEditTheSamplesMissNeedsRefresh()
    {
        var gen = new Generator(14);
        var (model, x) = Make("resnet18-small", gen);
        var session = new InferenceSession(model);
        session.Run(x);
        // layer1.0.conv1 has 64 x 64 x 9 = 36,864 weights; the 64 samples are 585 apart from index 0, so 1 is not one.
        var conv = (Conv2d)model.NamedModules().Single(m => m.Name == "layer1.0.conv1").Module;
        conv.Weight.Data[1] += 3f;
        var expected = Fresh(model, x);
        var stale = session.Run(x).ToArray();
        Assert.NotEqual(expected, stale);
        session.Refresh();
        Assert.Equal(expected, session.Run(x).ToArray());
    }

    [Fact]
    public void ItPutsTheModelInEvaluationModeAndRefusesTrainingMode()
    {
        var gen = new Generator(15);
        var (model, x) = Make("lenet5", gen);
        Assert.True(model.IsTraining);
        var session = new InferenceSession(model);
        Assert.False(model.IsTraining);
        Assert.False(session.Run(x).RequiresGrad);
        model.Train();
        var e = Assert.Throws<InvalidOperationException>(() => session.Run(x));
        Assert.Contains("training mode", e.Message);
        Assert.Throws<ArgumentNullException>(() => new InferenceSession(null!));
    }

    [Fact]
    public void TwoThreadsRunningOneSessionGetTheSameOutputs()
    {
        var gen = new Generator(16);
        var (model, x) = Make("resnet18-small", gen);
        var session = new InferenceSession(model);
        var expected = Fresh(model, x);
        var outputs = new float[4][];
        Parallel.For(0, outputs.Length, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i => outputs[i] = session.Run(x).ToArray());
        foreach (var o in outputs) Assert.Equal(expected, o);
    }

    [Fact]
    public void AWeightCacheIsFilledOnceAndTrustedUntilCleared()
    {
        var gen = new Generator(17);
        var g = new Conv2dGeometry(2, 32, 10, 10, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        Assert.True(WinogradKernels.Applies(g));
        var x = Tensor.Randn(gen, 2, 32, 10, 10).ToArray();
        var w = Tensor.Randn(gen, 32, 32, 3, 3).ToArray();
        var plain = new float[2 * 32 * 100];
        WinogradKernels.Forward(g, x, w, default, default, false, plain);
        var cache = new ConvWeightCache();
        var first = new float[plain.Length];
        WinogradKernels.Forward(g, x, w, default, default, false, first, cache);
        Assert.Equal(plain, first);
        Assert.Equal(16L * 32 * 32 * sizeof(float), cache.Bytes);
        // The cache is trusted: new weights without Clear still give the old output.
        var w2 = w.Select(v => -v).ToArray();
        var stale = new float[plain.Length];
        WinogradKernels.Forward(g, x, w2, default, default, false, stale, cache);
        Assert.Equal(plain, stale);
        cache.Clear();
        Assert.Equal(0, cache.Bytes);
        var fresh = new float[plain.Length];
        WinogradKernels.Forward(g, x, w2, default, default, false, fresh, cache);
        Assert.Equal(plain.Select(v => -v), fresh);
    }

    // The output of a new session, which derives every form from the weights as they are now.
    private static float[] Fresh(Module model, Tensor x) => new InferenceSession(model).Run(x).ToArray();

    private static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 1 + expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * scale, $"[{i}] {actual[i]} vs {expected[i]} (scale {scale})");
    }

    private static (Module Model, Tensor Input) Make(string name, Generator gen)
    {
        Module model = name switch
        {
            "resnet18-small" => ResNet.ResNet18(10, 3, smallInput: true, generator: gen),
            "vgg11-bn" => Vgg.Vgg11(10, 3, batchNorm: true, generator: gen),
            "vgg11" => Vgg.Vgg11(10, 3, batchNorm: false, generator: gen),
            "googlenet" => new GoogLeNet(10, 3, auxLogits: false, generator: gen),
            _ => new LeNet5(generator: gen),
        };
        foreach (var (_, m) in model.NamedModules())
            if (m is BatchNorm2d bn)
            {
                int c = bn.NumFeatures;
                Tensor.Randn(gen, c).Data.CopyTo(bn.RunningMean!.Data);
                for (int i = 0; i < c; i++) bn.RunningVar!.Data[i] = 0.5f + gen.NextFloat();
                Tensor.Randn(gen, c).Data.CopyTo(bn.Bias!.Data);
            }
        int side = name switch { "vgg11-bn" or "vgg11" => 32, "googlenet" => 64, "lenet5" => 28, _ => 16 };
        return (model, Tensor.Randn(gen, 2, name == "lenet5" ? 1 : 3, side, side));
    }
}
