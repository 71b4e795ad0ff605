using Striate.Data;
using Striate.Optim;
using Striate.Runs;
using Striate.Tests.Support;
using Striate.Training;

namespace Striate.Tests.Runs;

[Collection(nameof(SerialCollection))]
public class BalancingTests
{
    // Fashion-MNIST with pullovers, coats and shirts cut to 5% of their training images, as in docs/RESULTS.md, shortened.
    internal static double BalancedAccuracy(string balance, ulong seed, int epochs = 2)
    {
        var options = new TrainingOptions
        {
            Epochs = epochs,
            BatchSize = 64,
            Optimizer = new OptimizerConfig(OptimizerKind.Adam, 2e-3f),
            Seed = seed,
            TrainLimit = 12_000,
            TestLimit = 2_000,
            Schedule = Striate.Optim.ScheduleSpec.Parse("cosine"),
            Imbalance = ([2, 4, 6], 0.05),
            Balance = Striate.IO.EnumText.Parse<Striate.Data.ClassBalancing>(balance, "balancing", "balancings"),
            Output = Path.Combine(Repo.TempDir(), "m.safetensors"),
        };
        var run = new TrainingRun(options, Repo.Train, Repo.Test);
        run.Run();
        return Trainer.Evaluate(run.Model, new DataLoader(run.TestSet, 500)).BalancedAccuracy;
    }

    [Fact]
    public void BothRemediesRaiseTheBalancedAccuracyOfAnImbalancedSet()
    {
        double none = BalancedAccuracy("none", 1), weight = BalancedAccuracy("weight", 1), sample = BalancedAccuracy("sample", 1);
        string all = $"balanced accuracy: none {none:P2}, weight {weight:P2}, sample {sample:P2}";
        Assert.True(weight > none + 0.04, all);
        Assert.True(sample > none + 0.04, all);
    }
}
