using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using Striate.Tests.Tensors;

namespace Striate.Tests.Nn;

public class ModuleTests
{
    [Fact]
    public void StateDictKeysFollowPyTorch()
    {
        var m = ScopeTests.SmallCnn(new Generator(1));
        var keys = m.StateDict().Select(kv => kv.Key).ToArray();
        Assert.Equal(new[]
        {
            "0.weight", "0.bias", "3.weight", "3.bias", "4.weight", "4.bias", "4.running_mean", "4.running_var",
            "4.num_batches_tracked", "8.weight", "8.bias", "11.weight", "11.bias", "13.weight", "13.bias",
        }, keys);
        Assert.Equal(6 * 25 + 6 + 16 * 6 * 25 + 16 + 32 + 400 * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10, m.ParameterCount());
    }

    [Fact]
    public void LoadStateDictCopiesValuesAndRoundTrips()
    {
        var a = ScopeTests.SmallCnn(new Generator(1));
        var b = ScopeTests.SmallCnn(new Generator(2));
        var r = b.LoadStateDict(a.StateDict());
        Assert.Empty(r.MissingKeys);
        Assert.Empty(r.UnexpectedKeys);
        foreach (var (kv, kb) in a.StateDict().Zip(b.StateDict()))
            Assert.Equal(kv.Value.ToArray(), kb.Value.ToArray());
    }

    [Fact]
    public void LoadStateDictNamesMissingUnexpectedAndMisshapenKeys()
    {
        var m = new Sequential(new Linear(3, 2), new ReLU(), new Linear(2, 1));
        var state = m.StateDict().Where(kv => kv.Key != "2.bias").ToList();
        state.Add(new("9.weight", Tensor.Zeros(1)));
        var e = Assert.Throws<ArgumentException>(() => m.LoadStateDict(state));
        Assert.Contains("missing keys: 2.bias", e.Message);
        Assert.Contains("unexpected keys: 9.weight", e.Message);

        var r = m.LoadStateDict(state, strict: false);
        Assert.Equal(["2.bias"], r.MissingKeys);
        Assert.Equal(["9.weight"], r.UnexpectedKeys);

        var wrong = m.StateDict().Select(kv => kv.Key == "0.weight" ? new KeyValuePair<string, Tensor>(kv.Key, Tensor.Zeros(3, 2)) : kv).ToList();
        var before = m.StateDict()[1].Value.ToArray();
        var e2 = Assert.Throws<ArgumentException>(() => m.LoadStateDict(wrong, strict: false));
        Assert.Contains("0.weight: expected [2, 3], got [3, 2]", e2.Message);
        Assert.Equal(before, m.StateDict()[1].Value.ToArray()); // nothing was copied
    }

    [Fact]
    public void DuplicateNamesAreRejected()
    {
        var s = new Sequential(Array.Empty<Module>());
        s.Add("conv", new Conv2d(1, 1, 3));
        Assert.Throws<ArgumentException>(() => s.Add("conv", new Conv2d(1, 1, 3)));
    }

    [Fact]
    public void ErrorsNameTheModulePath()
    {
        var features = new Sequential(new Conv2d(3, 8, 3), new ReLU(), new Conv2d(64, 8, 3));
        var model = new Sequential(("features", features));
        var e = Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros(8, 3, 32, 32)));
        Assert.Equal("Conv2d 'features.2' expects 64 input channels, got 8 (input [8, 8, 30, 30], weight [8, 64, 3, 3], groups 1).", e.Message);
    }

    [Fact]
    public void DefaultInitialisationBoundsAreOneOverSqrtFanIn()
    {
        var conv = new Conv2d(16, 32, 3, generator: new Generator(4));
        float bound = 1f / MathF.Sqrt(16 * 9);
        Assert.All(conv.Weight.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.All(conv.Bias!.ToArray(), v => Assert.InRange(v, -bound, bound));
        // Uniform on [-b, b] has standard deviation b / sqrt(3).
        var w = conv.Weight.ToArray();
        double std = Math.Sqrt(w.Select(v => (double)v * v).Average());
        Assert.InRange(std, 0.9 * bound / Math.Sqrt(3), 1.1 * bound / Math.Sqrt(3));
    }

    [Fact]
    public void InitialisersHaveTheirVariances()
    {
        var gen = new Generator(8);
        var t = Tensor.Persistent(new Shape(256, 128, 3, 3));
        Init.KaimingNormal(t, nonlinearity: "relu", generator: gen);
        Assert.InRange(Std(t), 0.97 * Math.Sqrt(2.0 / (128 * 9)), 1.03 * Math.Sqrt(2.0 / (128 * 9)));
        Init.XavierUniform(t, generator: gen);
        Assert.InRange(Std(t), 0.97 * Math.Sqrt(2.0 / (128 * 9 + 256 * 9)), 1.03 * Math.Sqrt(2.0 / (128 * 9 + 256 * 9)));
        Init.KaimingUniform(t, nonlinearity: "relu", generator: gen);
        Assert.InRange(Std(t), 0.97 * Math.Sqrt(2.0 / (128 * 9)), 1.03 * Math.Sqrt(2.0 / (128 * 9)));
        Init.XavierNormal(t, generator: gen);
        Assert.InRange(Std(t), 0.97 * Math.Sqrt(2.0 / (128 * 9 + 256 * 9)), 1.03 * Math.Sqrt(2.0 / (128 * 9 + 256 * 9)));
        Init.Zeros(t);
        Assert.All(t.ToArray(), v => Assert.Equal(0f, v));
    }

    private static double Std(Tensor t) => Math.Sqrt(t.ToArray().Select(v => (double)v * v).Average());

    [Fact]
    public void SameSeedSameWeights()
    {
        var a = ScopeTests.SmallCnn(new Generator(42)).StateDict();
        var b = ScopeTests.SmallCnn(new Generator(42)).StateDict();
        foreach (var (x, y) in a.Zip(b)) Assert.Equal(x.Value.ToArray(), y.Value.ToArray());
    }

    [Fact]
    public void BatchNormUsesBatchStatisticsInTrainingAndRunningOnesInEval()
    {
        var bn = new BatchNorm2d(2);
        var x = Tensor.Uniform(new Generator(2), 0f, 4f, 4, 2, 3, 3);
        var y = bn.Forward(x);
        // Training output has zero mean and unit (biased) variance per channel.
        var perChannel = F.Mean(y, [0, 2, 3]).ToArray();
        Assert.All(perChannel, m => Assert.InRange(m, -1e-5f, 1e-5f));
        var mean = F.Mean(x, [0, 2, 3]).ToArray();
        Assert.Equal(0.1f * mean[0], bn.RunningMean!.Data[0], 5);
        Assert.Equal(1f, bn.NumBatchesTracked!.Data[0]);
        bn.Eval();
        var ye = bn.Forward(x);
        float expected = (x.Data[0] - bn.RunningMean.Data[0]) / MathF.Sqrt(bn.RunningVar!.Data[0] + 1e-5f);
        Assert.Equal(expected, ye.Data[0], 4);
        Assert.Equal(1f, bn.NumBatchesTracked.Data[0]);
    }

    [Fact]
    public void DropoutZeroesAboutPAndScalesTheRestOnlyInTraining()
    {
        var d = new Dropout(0.3f, new Generator(1));
        var x = Tensor.Ones(100000);
        var y = d.Forward(x).ToArray();
        double zeros = y.Count(v => v == 0) / (double)y.Length;
        Assert.InRange(zeros, 0.29, 0.31);
        Assert.All(y.Where(v => v != 0), v => Assert.Equal(1f / 0.7f, v, 5));
        d.Eval();
        Assert.Same(x, d.Forward(x));
    }

    [Fact]
    public void ReprShowsNonDefaultSettings()
    {
        Assert.Equal("Conv2d(3, 64, kernel_size=(3, 3), stride=(2, 2), padding=1, bias=False)", new Conv2d(3, 64, 3, 2, 1, bias: false).ToString());
    }
}
