using Striate.Data;
using Striate.Models;
using Striate.Nn;
using Striate.Optim;
using Striate.Runs;
using Striate.Training;

namespace Striate.Tests.Runs;

/// <summary>TrainingOptions owns its checkpoint keys: what it writes a resumed run reads back, and what differs is named.</summary>
public class TrainingOptionsTests
{
    private static readonly TrainingOptions Stored = new()
    {
        Output = "a.safetensors",
        Epochs = 7,
        BatchSize = 32,
        Optimizer = new OptimizerConfig(OptimizerKind.Sgd, 0.05f, 0.8f, 1e-4f),
        Seed = 9,
        Validation = 0.2,
        TrainLimit = 300,
        Schedule = ScheduleSpec.Parse("step:3:0.5+warmup:1"),
        Augment = "standard",
        Balance = ClassBalancing.Sample,
        Init = InitScheme.He,
        ClipGradNorm = 2.5,
        ImageSize = (32, 40),
    };

    private static CheckpointHeader Header(TrainingOptions o, IReadOnlyDictionary<string, string> extra) =>
        new(new ModelSpec("lenet5", 10, 1, 28, 28), 3, [], [0.5f], [0.25f], o.Optimizer, o.Seed, extra);

    [Fact]
    public void AResumedRunReadsBackWhatWasWritten()
    {
        var fresh = new TrainingOptions { Output = "b.safetensors", Epochs = 12, TestLimit = 50 };
        var resumed = fresh.ResumedFrom(Header(Stored, Stored.ToMetadata()));
        Assert.Equal(Stored.Optimizer, resumed.Optimizer);
        Assert.Equal(9UL, resumed.Seed);
        Assert.Equal(32, resumed.BatchSize);
        Assert.Equal(300, resumed.TrainLimit);
        Assert.Equal(0.2, resumed.Validation);
        Assert.Equal(ScheduleSpec.Parse("step:3:0.5+warmup:1"), resumed.Schedule);
        Assert.Equal(LrSchedule.Parse("step:3:0.5+warmup:1").ToString(), resumed.Schedule.Text);
        Assert.Equal(("standard", ClassBalancing.Sample, InitScheme.He), (resumed.Augment, resumed.Balance, resumed.Init));
        Assert.Equal(2.5, resumed.ClipGradNorm);
        Assert.Equal((32, 40), resumed.ImageSize);
        // What the resumed run is asked for stays.
        Assert.Equal((12, "b.safetensors", 50), (resumed.Epochs, resumed.Output, resumed.TestLimit));
        Assert.Empty(Stored.Differences(resumed, new HashSet<string> { "lr", "batch-size", "schedule", "clip-grad-norm" }));
    }

    [Fact]
    public void OnlyGivenSettingsThatDifferAreNamed()
    {
        var given = Stored with { BatchSize = 64, Optimizer = Stored.Optimizer with { Lr = 0.1f }, Augment = "flip" };
        var d = given.Differences(Stored, new HashSet<string> { "batch-size", "lr", "seed" });
        Assert.Equal([new SettingDifference("lr", "0.1", "0.05"), new SettingDifference("batch-size", "64", "32")], d);
    }

    [Fact]
    public void AnUnreadableStoredSettingIsInvalidData()
    {
        var extra = new Dictionary<string, string>(Stored.ToMetadata()) { ["batch_size"] = "many" };
        var e = Assert.Throws<InvalidDataException>(() => new TrainingOptions { Output = "c" }.ResumedFrom(Header(Stored, extra)));
        Assert.Contains("the checkpoint's batch_size 'many' cannot be read", e.Message);
        foreach (var key in new[] { "balance", "init", "schedule" })
        {
            var bad = new Dictionary<string, string>(Stored.ToMetadata()) { [key] = "7" };
            var b = Assert.Throws<InvalidDataException>(() => new TrainingOptions { Output = "c" }.ResumedFrom(Header(Stored, bad)));
            Assert.Contains($"the checkpoint's {key} '7' cannot be read", b.Message);
        }
    }

    [Fact]
    public void ACheckpointThatPredatesASettingKeepsTheGivenValue()
    {
        var resumed = new TrainingOptions { Output = "d", BatchSize = 16, Augment = "flip" }.ResumedFrom(Header(Stored, new Dictionary<string, string>()));
        Assert.Equal((16, "flip"), (resumed.BatchSize, resumed.Augment));
        Assert.Null(resumed.ClipGradNorm);
    }
}
