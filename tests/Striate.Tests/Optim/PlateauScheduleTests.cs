using Striate.Optim;
using Striate.Training;

namespace Striate.Tests.Optim;

public class PlateauScheduleTests
{
    private static (double[] Scales, bool[] Reduced) Follow(PlateauSchedule s, double[] losses, double baseLr = 1)
    {
        var scales = new double[losses.Length];
        var reduced = new bool[losses.Length];
        for (int i = 0; i < losses.Length; i++)
        {
            reduced[i] = s.Step(losses[i], baseLr);
            scales[i] = s.Factor(0, 1, 1);
        }
        return (scales, reduced);
    }

    [Fact]
    public void PatienceCountsBadEpochsAndTheThresholdIsRelative()
    {
        // ReduceLROnPlateau(factor=0.5, patience=2): epochs 3-5 are bad (9 is not below 9 x (1 - 1e-4)), the third
        // bad one reduces; 8.9995 improves on 9 by less than the relative threshold, so it is bad too.
        var (scales, _) = Follow(new PlateauSchedule(0.5, 2), [10, 9, 9, 9, 9, 8.9995, 9, 9, 9]);
        Assert.Equal([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25], scales);
    }

    [Fact]
    public void CooldownAndMinLrFollowPyTorch()
    {
        // factor 0.5, patience 0, cooldown 1, min_lr 0.3 with lr 1: epoch 2 reduces to 0.5; epoch 3 is in cooldown;
        // epoch 4 reduces to max(0.25, 0.3) = 0.3; epoch 5 improves; epoch 6 would reduce below min_lr, so nothing changes.
        var s = new PlateauSchedule(0.5, 0, cooldown: 1, minLr: 0.3);
        var (scales, reduced) = Follow(s, [5, 6, 6, 6, 4, 7, 7]);
        Assert.Equal([1, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3], scales, new Tolerance());
        Assert.Equal([false, true, false, true, false, false, false], reduced);
        Assert.Equal(4, s.Best);
    }

    [Fact]
    public void MinLrIsAbsoluteSoTheBaseRateMatters()
    {
        // With lr 0.01 and min_lr 0.004: 0.01 -> 0.005 -> 0.004 -> 0.004.
        var (scales, _) = Follow(new PlateauSchedule(0.5, 0, minLr: 0.004), [1, 1, 1, 1], baseLr: 0.01);
        Assert.Equal([1, 0.5, 0.4, 0.4], scales, new Tolerance());
    }

    [Fact]
    public void ParseWritesAndTheStateRoundTrips()
    {
        var s = LrSchedule.Parse("plateau:0.5:3+warmup:1");
        var p = Assert.IsType<PlateauSchedule>(s.Plateau);
        Assert.Equal("plateau:0.5:3+warmup:1", s.ToString());
        Assert.Equal("plateau:0.2:1:2:0.001", LrSchedule.Parse("plateau:0.2:1:2:0.001").ToString());
        Follow(p, [3, 2, 2, 2, 2, 2]);
        var copy = new PlateauSchedule(0.5, 3);
        copy.Restore(p.State);
        Assert.Equal((p.Best, p.NumBadEpochs, p.CooldownCounter, p.Scale), (copy.Best, copy.NumBadEpochs, copy.CooldownCounter, copy.Scale));
        Assert.Equal(Follow(p, [2, 2, 2, 2]).Scales, Follow(copy, [2, 2, 2, 2]).Scales);
        foreach (var bad in new[] { "plateau:1.5:2", "plateau:0.5", "plateau:0.5:-1", "plateau:0.5:1.5", "plateau:0.5:2:1:-1" })
            Assert.Throws<ArgumentException>(() => LrSchedule.Parse(bad));
        Assert.Null(LrSchedule.Parse("cosine").Plateau);
    }

    [Fact]
    public void EarlyStoppingWaitsPatienceEpochsForAnImprovementLargerThanMinDelta()
    {
        var loss = new EarlyStopping(2, minDelta: 0.01);
        bool[] best = [.. new[] { 1.0, 0.95, 0.945, 0.96 }.Select((v, i) => loss.Step(v, i + 1))];
        Assert.Equal([true, true, false, false], best);
        Assert.True(loss.Stopped);
        Assert.Equal((0.95, 2, 2), (loss.Best, loss.BestEpoch, loss.Wait));
        var again = EarlyStopping.FromJson(loss.ToJson());
        Assert.Equal((loss.Best, loss.BestEpoch, loss.Wait, loss.Patience, loss.MinDelta), (again.Best, again.BestEpoch, again.Wait, again.Patience, again.MinDelta));

        var acc = new EarlyStopping(1, monitor: EarlyStoppingMonitor.Accuracy);
        Assert.True(acc.Step(0.5, 1));
        Assert.True(acc.Step(0.6, 2));
        Assert.False(acc.Stopped);
        Assert.False(acc.Step(0.6, 3));
        Assert.True(acc.Stopped);
        Assert.Throws<ArgumentException>(() => new EarlyStopping(0));
        Assert.Throws<ArgumentException>(() => EarlyStopping.ParseMonitor("f1"));
        Assert.Throws<ArgumentException>(() => new EarlyStopping(1, monitor: (EarlyStoppingMonitor)7));
        Assert.Throws<InvalidDataException>(() => EarlyStopping.FromJson("{}"));
    }

    private sealed class Tolerance : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) < 1e-12;
        public int GetHashCode(double x) => 0;
    }
}
