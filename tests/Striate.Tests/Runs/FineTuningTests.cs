using Striate.Data;
using Striate.Models;
using Striate.Nn;
using Striate.Ops;
using Striate.Optim;
using Striate.Runs;
using Striate.Tensors;
using Striate.Tests.Support;
using Striate.Transfer;

namespace Striate.Tests.Runs;

public class FineTuningTests
{
    private static LeNet5 Net(int classes = 10, ulong seed = 1) => new(classes, generator: new Generator(seed));

    private static Tensor Images(int n, ulong seed = 2) => Tensor.Uniform(new Generator(seed), -1f, 1f, n, 1, 28, 28);

    [Theory]
    [InlineData("fc.weight", "fc", true)]
    [InlineData("fc1.weight", "fc", false)]
    [InlineData("layer4.1.conv2.weight", "layer4", true)]
    [InlineData("layer4.1.conv2.weight", "layer4.1.conv2.weight", true)]
    [InlineData("layer40.weight", "layer4", false)]
    [InlineData("features.0.bias", "*.bias", true)]
    [InlineData("features.0.weight", "*.bias", false)]
    [InlineData("layer3.0.bn1.weight", "layer*.0", true)]
    [InlineData("classifier.6.weight", "classifier.6", true)]
    [InlineData("classifier.60.weight", "classifier.6", false)]
    public void PatternsNameAParameterOrTheModulesAboveIt(string key, string pattern, bool expected) =>
        Assert.Equal(expected, ParameterPattern.Matches(key, pattern));

    [Fact]
    public void TrainOnlyTheHeadLeavesEveryOtherGradientEmptyAndEveryOtherWeightUnchanged()
    {
        var net = Net();
        var trainable = FineTuning.TrainOnly(net, "fc3");
        Assert.Equal(["fc3.weight", "fc3.bias"], trainable);
        var before = net.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        // The optimizer is given every parameter: it must skip the frozen ones.
        var opt = new Adam(net.Parameters(), lr: 0.05f);
        for (int step = 0; step < 3; step++)
        {
            opt.ZeroGrad();
            F.CrossEntropy(net.Forward(Images(4)), [1, 2, 3, 4]).Backward();
            opt.Step();
        }
        foreach (var (key, p) in net.NamedParameters())
        {
            bool changed = !before[key].AsSpan().SequenceEqual(p.Data);
            Assert.True(changed == key.StartsWith("fc3", StringComparison.Ordinal), $"{key}: changed {changed}");
            Assert.True((p.Grad is not null) == key.StartsWith("fc3", StringComparison.Ordinal), $"{key}: gradient {(p.Grad is null ? "absent" : "present")}");
        }
    }

    [Fact]
    public void FreezingAModuleAndUnfreezingItByNameRoundTrips()
    {
        var net = Net();
        FineTuning.Freeze(net.Conv1);
        Assert.False(net.Conv1.Weight.RequiresGrad);
        Assert.Equal(["conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"], FineTuning.Trainable(net).Select(p => p.Name));
        F.Sum(net.Forward(Images(2))).Backward();
        Assert.Null(net.Conv1.Weight.Grad);
        Assert.NotNull(net.Conv2.Weight.Grad);
        Assert.Equal(["conv1.weight", "conv1.bias"], FineTuning.Unfreeze(net, "conv1"));
        Assert.Equal(10, FineTuning.Trainable(net).Count);
    }

    [Fact]
    public void APatternThatMatchesNothingNamesTheModelsModules()
    {
        var e = Assert.Throws<ArgumentException>(() => FineTuning.Freeze(Net(), "fc"));
        Assert.Contains("no parameter matches 'fc'", e.Message);
        Assert.Contains("conv1, conv2, fc1, fc2, fc3", e.Message);
    }

    [Fact]
    public void EachParameterGroupStepsWithItsOwnLearningRate()
    {
        var net = Net();
        FineTuning.Freeze(net, "conv1");
        var groups = FineTuning.Groups(net, 0.01f, [("fc3", 0.5f), ("conv2", 0.1f)]);
        Assert.Equal([0.5f, 0.1f, 0.01f], groups.Select(g => g.Lr));
        Assert.Equal([2, 2, 4], groups.Select(g => g.Parameters.Count));
        var before = net.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray());
        var sgd = new Sgd(groups);
        F.Sum(net.Forward(Images(3))).Backward();
        sgd.Step();
        foreach (var (key, p) in net.NamedParameters())
        {
            float lr = key.StartsWith("fc3", StringComparison.Ordinal) ? 0.5f : key.StartsWith("conv2", StringComparison.Ordinal) ? 0.1f : key.StartsWith("conv1", StringComparison.Ordinal) ? 0f : 0.01f;
            var expected = before[key].Select((w, i) => lr == 0 ? w : w - lr * p.Grad!.Data[i]).ToArray();
            Check.Close(expected, p.Data, 1e-6, 1e-7, key);
        }
        Assert.Throws<ArgumentException>(() => FineTuning.Groups(net, 0.01f, [("conv1", 0.5f)]));
    }

    [Fact]
    public void LoadingPretrainedWeightsForANewClassCountSkipsTheHeadAndReportsIt()
    {
        var source = Net(10, seed: 7);
        var target = Net(5, seed: 8);
        var freshHead = target.Fc3.Weight.ToArray();
        var report = FineTuning.LoadPretrained(target, source.StateDict());
        Assert.Equal(["fc3.weight", "fc3.bias"], report.Skipped.Select(s => s.Key));
        Assert.Contains("shape [10, 84], the model has [5, 84]", report.Skipped[0].Reason);
        Assert.Equal(["fc3.weight", "fc3.bias"], report.Fresh);
        Check.Equal(source.Conv2.Weight.Data, target.Conv2.Weight.Data, "conv2 loaded");
        Check.Equal(freshHead, target.Fc3.Weight.Data, "head left fresh");

        // Naming the head skips it even where the shapes would fit (same class count, new task).
        var same = Net(10, seed: 9);
        var r2 = FineTuning.LoadPretrained(same, source.StateDict(), ModelHeads.Of("lenet5"));
        Assert.All(r2.Skipped, s => Assert.Equal("head", s.Reason));
        Assert.Equal(8, r2.Loaded.Count);
    }

    [Fact]
    public void EveryZooModelHasAKnownHead()
    {
        foreach (var name in ModelZoo.Names) Assert.NotEmpty(ModelHeads.Of(name));
        Assert.Throws<ArgumentException>(() => ModelHeads.Of("lenet6"));
    }

    [Theory]
    [InlineData("lenet5", 28)]
    [InlineData("nin", 32)]
    [InlineData("googlenet", 32)]
    [InlineData("resnet8-small", 28)]
    [InlineData("mobilenet-v1-0.25", 32)]
    [InlineData("zfnet", 64)]
    [InlineData("plain8", 28)]
    public void TheHeadIsExactlyWhatDependsOnTheClassCount(string arch, int size)
    {
        var a = ModelZoo.Create(new ModelSpec(arch, 7, 1, size, size)).StateDict();
        var b = ModelZoo.Create(new ModelSpec(arch, 9, 1, size, size)).StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
        var differ = a.Where(kv => !kv.Value.Shape.Equals(b[kv.Key])).Select(kv => kv.Key).ToList();
        var heads = ModelHeads.Of(arch);
        Assert.Equal(differ, a.Select(kv => kv.Key).Where(k => ModelHeads.IsHeadKey(k, heads)).ToList());
    }

    [Fact]
    public void ClassSelectionRelabelsAndSamplesPerClass()
    {
        var set = ClassSelection.Select(Repo.Test, [7, 5], perClass: 30, seed: 3);
        Assert.Equal(60, set.Count);
        Assert.Equal(["Sneaker", "Sandal"], set.ClassNames);
        Assert.Equal(30, set.Labels.Count(l => l == 0));
        var again = ClassSelection.Select(Repo.Test, [7, 5], perClass: 30, seed: 3);
        Check.Equal(set.Image(17), again.Image(17), "same seed, same sample");
        var all = ClassSelection.Select(Repo.Test, [9]);
        Assert.Equal(1000, all.Count);
        Assert.Contains("out of range", Assert.Throws<ArgumentException>(() => ClassSelection.Select(Repo.Test, [10])).Message);
        Assert.Contains("fewer than the 2000", Assert.Throws<ArgumentException>(() => ClassSelection.Select(Repo.Test, [1], 2000)).Message);
    }
    [Fact]
    public void FineTuningAugmentsTheTrainingImagesWhenAsked()
    {
        var options = new FineTuneOptions { Classes = [5, 7, 9], PerClass = 30, Model = "lenet5", Epochs = 1, Seed = 4, TestLimit = 60 };
        FineTuneRun Train(FineTuneOptions o) { var run = new FineTuneRun(o, Repo.Train, Repo.Test); run.Run(); return run; }
        static float[] Weights(FineTuneRun run) => [.. run.Model.Parameters().SelectMany(p => p.ToArray())];
        var plain = Weights(Train(options));
        Assert.Equal(plain, Weights(Train(options with { Augment = "none" })));
        // The same seed and batches; only the images differ, so the weights do.
        var flipped = Weights(Train(options with { Augment = "flip" }));
        Assert.NotEqual(plain, flipped);
        Assert.Equal(plain.Length, flipped.Length);
        var e = Assert.Throws<ArgumentException>(() => new FineTuneRun(options with { Augment = "mixup" }, Repo.Train, Repo.Test));
        Assert.Contains("'mixup'", e.Message);
        Assert.Contains("standard", e.Message);
    }
    [Fact]
    public void AFineTunedCheckpointRecordsHowItWasTrained()
    {
        var pre = new FineTuneRun(new FineTuneOptions { Classes = [0, 1, 2], PerClass = 20, Model = "lenet5", Epochs = 1, Seed = 2, TestLimit = 30 }, Repo.Train, Repo.Test);
        pre.Run();
        var source = new Striate.Training.Checkpoint { Spec = pre.Spec, Model = pre.Model, Mean = pre.Mean, Std = pre.Std };
        var run = new FineTuneRun(new FineTuneOptions
        {
            Classes = [5, 7, 9], PerClass = 20, From = source, TrainLayers = ["fc2", "fc3"], LayerLrs = [("fc3", 0.05f)], Optimizer = Striate.Optim.OptimizerKind.Sgd, Lr = 0.01f,
            BatchSize = 16, Epochs = 1, Seed = 3, TestLimit = 40, Augment = "flip",
        }, Repo.Train, Repo.Test);
        run.Run();
        string path = Path.Combine(Repo.TempDir(), "tuned.safetensors");
        run.Save(path, 1);
        var saved = Striate.Training.Checkpoint.Load(path);
        Assert.Equal((Striate.Optim.OptimizerKind.Sgd, 0.01f, 0.9f), (saved.Optimizer!.Name, saved.Optimizer.Lr, saved.Optimizer.Momentum));
        Assert.Equal("20", saved.Extra["per_class"]);
        Assert.Equal("fc2,fc3", saved.Extra["train_layers"]);
        Assert.Equal("fc3=0.05", saved.Extra["layer_lrs"]);
        Assert.Equal("16", saved.Extra["batch_size"]);
        Assert.Equal("40", saved.Extra["test_limit"]);
        Assert.Equal("flip", saved.Extra["augment"]);
        Assert.Equal($"lenet5 weights {Striate.Training.Checkpoint.WeightsDigest(pre.Model)}", saved.Extra["from"]);
        Assert.NotEqual(Striate.Training.Checkpoint.WeightsDigest(pre.Model), Striate.Training.Checkpoint.WeightsDigest(run.Model));
    }
}
