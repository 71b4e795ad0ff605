using Striate.Runs;
using Striate.Transfer;
using Striate.Tests.Support;
using Striate.Training;
using Xunit.Abstractions;

namespace Striate.Tests.Runs;

/// <summary>
/// Transfer learning end to end on Fashion-MNIST, shortened: LeNet-5 pre-trained, saved and reloaded, then only
/// a new five-class head trained on 100 images per class of classes 5-9, against the same head on a frozen
/// backbone that was never trained (what a load that silently kept fresh weights gives) and against the whole
/// network trained from scratch on those 500 images.
/// </summary>
[Collection(nameof(SerialCollection))]
public class TransferBenchmarkTests(ITestOutputHelper output)
{
    private static readonly int[] s_new = [5, 6, 7, 8, 9];

    private static double Accuracy(FineTuneRun run) => run.Run()[^1].TestAccuracy!.Value;

    [Fact]
    public void AHeadOnFrozenPretrainedFeaturesBeatsTheSameHeadOnUntrainedFeatures()
    {
        var pre = new FineTuneRun(new FineTuneOptions { Classes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], PerClass = 500, Epochs = 2, Seed = 11, TestLimit = 500 }, Repo.Train, Repo.Test);
        pre.Run();
        string path = Path.Combine(Repo.TempDir(), "pre.safetensors");
        pre.Save(path, 2);
        var source = Checkpoint.Load(path);

        FineTuneOptions Head(string? model = null) => new() { Classes = s_new, PerClass = 100, Model = model, TrainLayers = ["fc3"], Epochs = 10, Seed = 5 };
        var tuned = new FineTuneRun(Head() with { From = source }, Repo.Train, Repo.Test);
        Assert.Equal(84 * 5 + 5, tuned.TrainableCount);
        Assert.Equal(["fc3.weight", "fc3.bias"], tuned.Report!.Skipped.Select(s => s.Key));
        Assert.Equal(["fc3.weight", "fc3.bias"], tuned.Report.Fresh);
        var conv1 = tuned.Model.StateDict().First(kv => kv.Key == "conv1.weight").Value.ToArray();
        Check.Equal(source.Model.StateDict().First(kv => kv.Key == "conv1.weight").Value.Data, conv1, "conv1 after loading");
        double tunedAcc = Accuracy(tuned);
        // Frozen means untouched: the backbone is still the pre-trained one after training the head.
        Check.Equal(conv1, tuned.Model.StateDict().First(kv => kv.Key == "conv1.weight").Value.Data, "conv1 after fine-tuning");

        double randomAcc = Accuracy(new FineTuneRun(Head("lenet5"), Repo.Train, Repo.Test));
        double scratchAcc = Accuracy(new FineTuneRun(Head("lenet5") with { TrainLayers = [] }, Repo.Train, Repo.Test));
        output.WriteLine($"head on pre-trained features: {tunedAcc:P2}; head on untrained features: {randomAcc:P2}; whole network from scratch: {scratchAcc:P2}");
        Assert.True(tunedAcc >= randomAcc + 0.08, $"head on pre-trained features {tunedAcc:P2} should beat untrained features {randomAcc:P2} by 8 points");
        Assert.True(tunedAcc >= scratchAcc, $"head on pre-trained features {tunedAcc:P2} should not lose to training from scratch {scratchAcc:P2}");
    }
}
