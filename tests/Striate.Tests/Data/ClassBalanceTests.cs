using Striate.Data;

namespace Striate.Tests.Data;

public class ClassBalanceTests
{
    [Fact]
    public void MedianFrequencyWeightsMatchHandComputedValues()
    {
        // Counts 6, 3, 1 of 10: freq 0.6, 0.3, 0.1; the median is 0.3, so alpha = 0.5, 1, 3.
        int[] odd = [0, 0, 0, 0, 0, 0, 1, 1, 1, 2];
        Assert.Equal([0.5f, 1f, 3f], ClassBalance.MedianFrequencyWeights(odd, 3));
        // Counts 4, 2, 1, 1 and an absent class: the median of 0.125, 0.125, 0.25, 0.5 is 0.1875.
        int[] even = [0, 0, 0, 0, 1, 1, 2, 3];
        var w = ClassBalance.MedianFrequencyWeights(even, 5);
        Assert.Equal([0.375f, 0.75f, 1.5f, 1.5f, 0f], w);
        Assert.Throws<ArgumentException>(() => ClassBalance.MedianFrequencyWeights([0, 3], 3));
    }

    [Fact]
    public void ReduceKeepsTheFirstFractionOfTheChosenClasses()
    {
        var labels = Enumerable.Range(0, 100).Select(i => i % 4).ToArray();
        var set = ImageDataset.FromFloats(Enumerable.Range(0, 100).Select(i => (float)i).ToArray(), labels, 1, 1, 1, ["a", "b", "c", "d"]);
        var cut = ClassBalance.Reduce(set, [1, 3], 0.1);
        Assert.Equal([25, 3, 25, 3], ClassBalance.Counts(cut.Labels, 4));
        // Class 1's survivors are its first three images, 1, 5 and 9, in dataset order.
        var ones = Enumerable.Range(0, cut.Count).Where(i => cut.Labels[i] == 1).Select(i => cut.Image(i)[0]).ToArray();
        Assert.Equal([1f, 5f, 9f], ones);
        Assert.Throws<ArgumentException>(() => ClassBalance.Reduce(set, [4], 0.5));
        Assert.Throws<ArgumentException>(() => ClassBalance.Reduce(set, [1], 0));
    }

    [Fact]
    public void TheSamplerDrawsInProportionToTheWeightsAndIsSeededPerEpoch()
    {
        double[] weights = [1, 0, 3, 6];
        var s = new WeightedRandomSampler(weights, 100_000, seed: 5);
        var a = s.Indices(0);
        Assert.Equal(a, new WeightedRandomSampler(weights, 100_000, seed: 5).Indices(0));
        Assert.NotEqual(a, s.Indices(1));
        Assert.NotEqual(a, new WeightedRandomSampler(weights, 100_000, seed: 6).Indices(0));
        var counts = ClassBalance.Counts(a, 4);
        Assert.Equal(0, counts[1]);
        for (int i = 0; i < 4; i++)
        {
            double p = weights[i] / 10, sd = Math.Sqrt(p * (1 - p) / a.Length);
            Assert.InRange((double)counts[i] / a.Length, p - 5 * sd, p + 5 * sd);
        }
        Assert.Throws<ArgumentException>(() => new WeightedRandomSampler([0, 0], 3, 1));
        Assert.Throws<ArgumentException>(() => new WeightedRandomSampler([1, -1], 3, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightedRandomSampler([1], 0, 1));
    }

    [Fact]
    public void TheBalancedSamplerFeedsTheLoaderEveryClassEquallyOften()
    {
        // 90 images of class 0, 9 of class 1, 1 of class 2.
        var labels = Enumerable.Range(0, 100).Select(i => i < 90 ? 0 : i < 99 ? 1 : 2).ToArray();
        var set = ImageDataset.FromFloats(Enumerable.Range(0, 100).Select(i => (float)i).ToArray(), labels, 1, 1, 1, ["a", "b", "c"]);
        var sampler = WeightedRandomSampler.BalancedClasses(labels, 3, seed: 2);
        var loader = new DataLoader(set, 32, shuffle: true, seed: 2) { Sampler = sampler };
        Assert.Equal(4, loader.BatchCount);
        var seen = new List<int>();
        for (int e = 0; e < 30; e++)
        {
            var indices = loader.Epoch(e).SelectMany(b => b.Indices.ToArray()).ToArray();
            Assert.Equal(sampler.Indices(e), indices);
            seen.AddRange(indices.Select(i => labels[i]));
        }
        var counts = ClassBalance.Counts(seen, 3);
        foreach (int c in counts) Assert.InRange(c / 3000.0, 0.28, 0.39);
    }
}
