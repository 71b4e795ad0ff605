using Striate.Nn;
using Striate.Optim;
using Striate.Tensors;
using Striate.Tests.Support;

namespace Striate.Tests.Optim;

/// <summary>The weight average against a float64 re-derivation of its rule, buffers and counters included.</summary>
public class ExponentialMovingAverageTests
{
    private static Sequential Net(ulong seed) => new(new Linear(5, 3, generator: new Generator(seed)), new BatchNorm1d(3));

    [Fact]
    public void EveryFloatEntryFollowsTheAverageWithItsWarmUpAndCountersAreCopied()
    {
        var live = Net(1);
        var avg = Net(2);
        var ema = new ExponentialMovingAverage(live, avg, 0.5);
        var keys = live.StateDict().Select(kv => kv.Key).ToArray();
        var expected = live.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray().Select(v => (double)v).ToArray());
        // The average starts as a copy of the source, not as its own fresh weights.
        foreach (var (k, t) in avg.StateDict()) Check.Equal(live.StateDict().First(s => s.Key == k).Value.ToArray(), t.Data, $"{k} at the start");

        var gen = new Generator(3);
        for (int t = 0; t < 12; t++)
        {
            // New live values everywhere, as a step and a batch-norm update would leave them.
            foreach (var (k, v) in live.StateDict())
            {
                float[] next = k.EndsWith("num_batches_tracked", StringComparison.Ordinal) ? [t + 1f] : Tensor.Uniform(gen, -1f, 1f, v.Numel).ToArray();
                next.CopyTo(v.Data);
            }
            // d = min(0.5, (1 + t) / (10 + t)): 0.1 at t = 0, 0.5 from t = 8 on.
            double d = Math.Min(0.5, (1.0 + t) / (10.0 + t));
            Assert.Equal(d, ema.CurrentDecay, 12);
            ema.Update();
            foreach (var (k, v) in live.StateDict())
            {
                var e = expected[k];
                for (int i = 0; i < e.Length; i++) e[i] = k.EndsWith("num_batches_tracked", StringComparison.Ordinal) ? v.Data[i] : d * e[i] + (1 - d) * v.Data[i];
            }
        }
        Assert.Equal(12, ema.Updates);
        var state = avg.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Contains("1.running_mean", keys);
        foreach (var k in keys) Check.Close(expected[k], state[k].Data, 1e-5, 1e-6, k);
        Assert.Equal(12f, state["1.num_batches_tracked"].Data[0]);
        Assert.NotEqual(live.StateDict()[0].Value.Data[0], state["0.weight"].Data[0]);
    }

    [Fact]
    public void BadDecaysAndModulesAreRejected()
    {
        var live = Net(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialMovingAverage(live, Net(2), 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialMovingAverage(live, Net(2), -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialMovingAverage(live, Net(2), double.NaN));
        Assert.Throws<ArgumentException>(() => new ExponentialMovingAverage(live, live, 0.9));
        var other = new Sequential(new Linear(5, 4, generator: new Generator(1)), new BatchNorm1d(4));
        var e = Assert.Throws<ArgumentException>(() => new ExponentialMovingAverage(live, other, 0.9));
        Assert.Contains("wrongly shaped", e.Message);
    }
}
