using Striate.Data;
using Striate.Models;
using Striate.Optim;
using Striate.Runs;
using Striate.Tensors;
using Striate.Tests.Support;
using Striate.Training;

namespace Striate.Tests.Runs;

/// <summary>End-to-end training on the bundled Fashion-MNIST (subsets, so the suite stays fast).</summary>
public class TrainingTests
{
    [Fact]
    public void NormalisationStatisticsOfFashionMnist()
    {
        var (mean, std) = Repo.Train.ChannelStatistics();
        Assert.Equal(0.2860, mean[0], 3);
        Assert.Equal(0.3530, std[0], 3);
    }

    [Fact]
    public void LeNet5LearnsFashionMnistInOneEpochOnASubset()
    {
        var (mean, std) = Repo.Train.ChannelStatistics();
        var train = Repo.Train.Subset(Enumerable.Range(0, 12000).ToArray()).Normalize(mean, std);
        var test = Repo.Test.Subset(Enumerable.Range(0, 2000).ToArray()).Normalize(mean, std);
        var model = new LeNet5(generator: new Generator(1));
        var trainer = new Trainer(model, new Adam(model.Parameters(), 1e-3f));
        var (loss, acc, _, _) = trainer.TrainEpoch(new DataLoader(train, 64, shuffle: true, seed: 1), 0);
        var eval = Trainer.Evaluate(model, new DataLoader(test, 500));
        // Chance is 10%; a broken gradient or optimizer stays far below these.
        Assert.True(eval.Top1 > 0.70, $"test accuracy {eval.Top1:P2} after one epoch on 12,000 images");
        Assert.True(eval.Top5 > 0.97, $"top-5 accuracy {eval.Top5:P2}");
        Assert.True(loss < 0.9, $"mean training loss {loss:F3}");
        Assert.Equal(2000, eval.Count);
        long total = 0;
        foreach (long c in eval.Confusion) total += c;
        Assert.Equal(2000, total);
        Assert.Equal(eval.Top1, Enumerable.Range(0, 10).Sum(i => (double)eval.Confusion[i, i]) / 2000, 10);
    }

    [Fact]
    public void ClassicLeNet5LearnsToo()
    {
        var (mean, std) = Repo.Train.ChannelStatistics();
        var train = Repo.Train.Subset(Enumerable.Range(0, 12000).ToArray()).Normalize(mean, std);
        var test = Repo.Test.Subset(Enumerable.Range(0, 2000).ToArray()).Normalize(mean, std);
        var model = new LeNet5(classic: true, generator: new Generator(1));
        var trainer = new Trainer(model, new Adam(model.Parameters(), 2e-3f));
        trainer.TrainEpoch(new DataLoader(train, 32, shuffle: true, seed: 1), 0);
        var eval = Trainer.Evaluate(model, new DataLoader(test, 500));
        Assert.True(eval.Top1 > 0.6, $"classic LeNet-5 test accuracy {eval.Top1:P2} after one epoch on 12,000 images");
    }

    private static TrainingOptions Options(string dir, int epochs, string? resume = null) => new()
    {
        Epochs = epochs,
        BatchSize = 32,
        TrainLimit = 1500,
        TestLimit = 300,
        Seed = 7,
        Optimizer = new OptimizerConfig(OptimizerKind.Adam, 1e-3f),
        Output = Path.Combine(dir, "m.safetensors"),
        Resume = resume,
    };

    [Fact]
    public void AResumedRunEndsWithTheSameWeightsAsAnUninterruptedOne()
    {
        string a = Repo.TempDir(), b = Repo.TempDir();
        var straight = new TrainingRun(Options(a, 3), Repo.Train, Repo.Test);
        straight.Run();
        var first = new TrainingRun(Options(b, 2), Repo.Train, Repo.Test);
        first.Run();
        var resumed = new TrainingRun(Options(b, 3, resume: Path.Combine(b, "m.safetensors")), Repo.Train, Repo.Test);
        Assert.Equal(2, resumed.StartEpoch);
        var records = resumed.Run();
        Assert.Equal(3, Assert.Single(records).Epoch);
        foreach (var (x, y) in straight.Model.StateDict().Zip(resumed.Model.StateDict()))
            Assert.Equal(x.Value.ToArray(), y.Value.ToArray());
        Assert.Equal(4, File.ReadAllLines(Path.Combine(b, "m.csv")).Length); // header + 3 epochs
        Assert.Equal(3, File.ReadAllLines(Path.Combine(b, "m.jsonl")).Length);
    }

    [Fact]
    public void TheSameSeedGivesTheSameResultTwice()
    {
        var r1 = new TrainingRun(Options(Repo.TempDir(), 1), Repo.Train, Repo.Test).Run().Single();
        var r2 = new TrainingRun(Options(Repo.TempDir(), 1), Repo.Train, Repo.Test).Run().Single();
        Assert.Equal(r1.TrainLoss, r2.TrainLoss);
        Assert.Equal(r1.TestAccuracy, r2.TestAccuracy);
        Assert.Equal(r1.TestLoss, r2.TestLoss);
    }

    [Fact]
    public void CheckpointsRoundTripModelOptimizerAndMetadata()
    {
        string dir = Repo.TempDir();
        var run = new TrainingRun(Options(dir, 1), Repo.Train, Repo.Test);
        run.Run();
        var ck = Checkpoint.Load(Path.Combine(dir, "m.safetensors"));
        Assert.Equal("lenet5", ck.Spec.Architecture);
        Assert.Equal(1, ck.Epoch);
        Assert.Equal(7UL, ck.Seed);
        Assert.Equal(FashionMnist.ClassNames, ck.ClassNames);
        Assert.Equal(run.Mean, ck.Mean);
        Assert.Equal(OptimizerKind.Adam, ck.Optimizer!.Name);
        Assert.Equal(run.Optimizer.StateDict().Count, ck.OptimizerState.Count);
        var x = Tensor.Rand(new Generator(3), 4, 1, 28, 28);
        Assert.Equal(Trainer.PredictProbabilities(run.Model, x).ToArray(), Trainer.PredictProbabilities(ck.Model, x).ToArray());
    }

    [Fact]
    public void ACorruptCheckpointIsAClearError()
    {
        string dir = Repo.TempDir();
        new TrainingRun(Options(dir, 1), Repo.Train, Repo.Test).Run();
        string path = Path.Combine(dir, "m.safetensors");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        Assert.Contains(path, e.Message);
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
    }

    [Fact]
    public void BadTrainingOptionsAreRejected()
    {
        string dir = Repo.TempDir();
        var batch = Assert.Throws<SettingException>(() => new TrainingRun(Options(dir, 1) with { BatchSize = 0 }, Repo.Train, Repo.Test));
        Assert.Equal(("BatchSize", "the batch size must be >= 1, got 0."), (batch.Setting, batch.Message));
        Assert.Contains("learning rate", Assert.Throws<SettingException>(() => new TrainingRun(Options(dir, 1) with { Optimizer = new OptimizerConfig(OptimizerKind.Sgd, -1f) }, Repo.Train, Repo.Test)).Message);
        Assert.Contains("Valid models: alexnet", Assert.Throws<ArgumentException>(() => new TrainingRun(Options(dir, 1) with { Model = "resnet-9000" }, Repo.Train, Repo.Test)).Message);
    }
}
