using Striate.Ops;
using Striate.Optim;
using Striate.Tensors;

namespace Striate.Tests.Optim;

/// <summary>The one epoch loop every run shares, on a one-weight objective whose validation figures are scripted.</summary>
public class EpochLoopTests
{
    private sealed record Rec(int Epoch, double Loss, double Lr, double? Val);

    // Loss (w - 3)^2 per batch; the validation figure of epoch e is script[e] (null: none measured).
    private sealed class Toy(Tensor w, double?[] script, int batches = 2, bool measures = true) : ITrainingObjective<int, Rec>
    {
        public int Steps;
        public int BatchCount => batches;
        public IEnumerable<int> Batches(int epoch) => Enumerable.Range(0, batches);

        public StepOutcome? Step(int batch, int epoch)
        {
            Steps++;
            var d = F.AddScalar(w, -3f);
            return new StepOutcome(F.Sum(F.Mul(d, d)), 1, 1);
        }

        public Rec Evaluate(int epoch, EpochStats stats) => new(epoch + 1, stats.Loss, stats.LearningRate, script[epoch]);
        public double PlateauFigure(Rec record) => record.Val ?? record.Loss;
        public double? Monitored(Rec record, EarlyStoppingMonitor monitor) => measures ? record.Val : null;
    }

    private static Tensor Weight()
    {
        var t = Tensor.FromArray([0f], 1);
        t.RequiresGrad = true;
        return t;
    }

    [Fact]
    public void EarlyStoppingEndsTheRunAndFlagsEachNewBestBeforeTheEpochEvent()
    {
        var w = Weight();
        var toy = new Toy(w, [3, 2, 2.5, 2.6, 2.7, 1]);
        var events = new List<string>();
        var loop = new EpochLoop<Rec>(new StepLoop(new Sgd([w], 0.01f)))
        {
            EarlyStop = new EarlyStopping(2),
            AfterEpoch = (r, done, best) => events.Add($"save {done} {best}"),
        };
        var records = loop.Run(toy, 0, 6, r => events.Add($"epoch {r.Epoch}"));
        Assert.Equal(4, records.Count);
        Assert.Equal(["save 1 True", "epoch 1", "save 2 True", "epoch 2", "save 3 False", "epoch 3", "save 4 False", "epoch 4"], events);
        Assert.Equal(8, toy.Steps);
        Assert.Equal(2, loop.EarlyStop!.BestEpoch);
        Assert.True(records[1].Loss < records[0].Loss);
    }

    [Fact]
    public void ThePlateauStepWatchesTheObjectivesFigureAndTheScheduleSpansTheLastEpoch()
    {
        var w = Weight();
        var opt = new Sgd([w], 0.1f);
        var steps = new StepLoop(opt) { Schedule = LrSchedule.Parse("plateau:0.5:0") };
        // Figures 5, 6, 7: epochs 2 and 3 are bad, each halves the rate the next epoch trains at.
        var records = new EpochLoop<Rec>(steps).Run(new Toy(w, [5, 6, 7, 7]), 0, 4);
        Assert.Equal([0.1, 0.1, 0.05, 0.025], records.Select(r => Math.Round(r.Lr, 6)));
        Assert.Equal(4, steps.TotalEpochs);
    }

    [Fact]
    public void AResumedLoopStartsAtItsEpochAndCountsTheScheduleFromTheRunsStart()
    {
        var w = Weight();
        var steps = new StepLoop(new Sgd([w], 0.1f)) { Schedule = LrSchedule.Parse("cosine") };
        var records = new EpochLoop<Rec>(steps).Run(new Toy(w, [null, null, null, null], batches: 1), 2, 4);
        Assert.Equal([3, 4], records.Select(r => r.Epoch));
        // Cosine over 4 one-batch epochs: the third step (epoch 3) is at half the base rate.
        Assert.Equal(0.05, records[0].Lr, 6);
    }

    [Fact]
    public void EarlyStoppingOnAnObjectiveThatMeasuresNothingIsRefused()
    {
        var w = Weight();
        var loop = new EpochLoop<Rec>(new StepLoop(new Sgd([w], 0.01f))) { EarlyStop = new EarlyStopping(1, monitor: EarlyStoppingMonitor.Accuracy) };
        var e = Assert.Throws<InvalidOperationException>(() => loop.Run(new Toy(w, [1, 1], measures: false), 0, 2));
        Assert.Contains("validation accuracy", e.Message);
    }

    [Fact]
    public void ACancelledRunStopsBeforeItsNextEpochAndADivergingOneNamesTheBatch()
    {
        var w = Weight();
        var toy = new Toy(w, [1, 1]);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.Throws<OperationCanceledException>(() => new EpochLoop<Rec>(new StepLoop(new Sgd([w], 0.01f))).Run(toy, 0, 2, cancel: cancel.Token));
        Assert.Equal(0, toy.Steps);
        // A rate this large overshoots: (w - 3)^2 grows without bound and turns infinite.
        var e = Assert.Throws<InvalidOperationException>(() => new EpochLoop<Rec>(new StepLoop(new Sgd([w], 1e18f))).Run(new Toy(w, new double?[50], batches: 5), 0, 50));
        Assert.Contains("diverged", e.Message);
    }

    [Fact]
    public void ArgumentsOutOfRangeAreRefused()
    {
        var w = Weight();
        var loop = new EpochLoop<Rec>(new StepLoop(new Sgd([w], 0.01f)));
        Assert.Throws<ArgumentOutOfRangeException>(() => loop.Run(new Toy(w, [1]), 2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => loop.Run(new Toy(w, [1]), -1, 1));
        Assert.Throws<ArgumentNullException>(() => loop.Run<int>(null!, 0, 1));
    }
}
