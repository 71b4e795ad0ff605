using Striate.Data;
using Striate.Optim;
using Striate.Runs;
using Striate.Tests.Support;
using Striate.Training;

namespace Striate.Tests.Runs;

[Collection(nameof(SerialCollection))]
public class InitExperimentTests
{
    // The deep plain CNN of docs/RESULTS.md, shortened: 3,000 training images, one epoch.
    private static double TestAccuracy(string init)
    {
        var options = new TrainingOptions
        {
            Model = "plain8",
            Init = Striate.Nn.Init.ParseScheme(init),
            Epochs = 1,
            BatchSize = 32,
            Optimizer = new OptimizerConfig(OptimizerKind.Adam, 2e-3f),
            Seed = 1,
            TrainLimit = 3_000,
            TestLimit = 1_000,
            Schedule = Striate.Optim.ScheduleSpec.Parse("constant"),
            Output = Path.Combine(Repo.TempDir(), "m.safetensors"),
        };
        var run = new TrainingRun(options, Repo.Train, Repo.Test);
        return run.Run()[^1].TestAccuracy!.Value;
    }

    [Fact]
    public void AllZerosStaysAtChanceAndHeLearns()
    {
        // All-zero weights give every unit the same (zero) output and gradient, so only the last bias learns: one class wins.
        double zeros = TestAccuracy("zeros"), he = TestAccuracy("he");
        Assert.InRange(zeros, 0.05, 0.15);
        Assert.True(he > 0.5, $"he {he:P2}, zeros {zeros:P2}");
    }
}
