using Striate.Embeddings;
using Striate.Tensors;

namespace Striate.Tests.Embeddings;

public class VerificationTests
{
    private static (double[] D, bool[] S) Random(int n, ulong seed, double shift)
    {
        var g = new Generator(seed);
        var s = Enumerable.Range(0, n).Select(i => i % 3 == 0).ToArray();
        // Same pairs drawn closer by `shift`; a coarse grid makes ties.
        var d = s.Select(x => Math.Round((g.NextFloat() + (x ? 0 : shift)) * 20) / 20).ToArray();
        return (d, s);
    }

    private static double BruteAuc(double[] d, bool[] s)
    {
        double wins = 0;
        int pairs = 0;
        for (int i = 0; i < d.Length; i++)
            for (int j = 0; j < d.Length; j++)
                if (s[i] && !s[j])
                {
                    pairs++;
                    wins += d[i] < d[j] ? 1 : d[i] == d[j] ? 0.5 : 0;
                }
        return wins / pairs;
    }

    [Theory]
    [InlineData(1UL, 0.0)]
    [InlineData(2UL, 0.3)]
    [InlineData(3UL, 1.5)]
    public void RocAucIsTheProbabilityASamePairIsCloserTiesCountingHalf(ulong seed, double shift)
    {
        var (d, s) = Random(61, seed, shift);
        Assert.Equal(BruteAuc(d, s), Verification.RocAuc(d, s), 12);
    }

    [Fact]
    public void KnownCurves()
    {
        Assert.Equal(1.0, Verification.RocAuc([0.1, 0.2, 0.9, 1.0], [true, true, false, false]));
        Assert.Equal(0.0, Verification.RocAuc([0.1, 0.2, 0.9, 1.0], [false, false, true, true]));
        Assert.Equal(0.5, Verification.RocAuc([0.5, 0.5], [true, false]));
        double tau = Verification.ChooseThreshold([0.1, 0.2, 0.9, 1.0], [true, true, false, false]);
        Assert.Equal(0.55, tau, 12);
        Assert.Equal(1.0, Verification.AccuracyAt([0.1, 0.2, 0.9, 1.0], [true, true, false, false], tau));
    }

    [Theory]
    [InlineData(4UL)]
    [InlineData(5UL)]
    public void TheChosenThresholdIsTheBestOfEveryCandidate(ulong seed)
    {
        var (d, s) = Random(80, seed, 0.4);
        var candidates = d.Distinct().Order().SelectMany(x => new[] { x - 1e-6, x + 1e-6 }).ToArray();
        double tau = Verification.ChooseThreshold(d, s, ThresholdCriterion.BestAccuracy);
        Assert.Equal(candidates.Max(t => Verification.AccuracyAt(d, s, t)), Verification.AccuracyAt(d, s, tau), 12);
        double eer = Verification.ChooseThreshold(d, s, ThresholdCriterion.EqualErrorRate);
        double Gap(double t)
        {
            var (tar, far) = Verification.RatesAt(d, s, t);
            return Math.Abs(far - (1 - tar));
        }
        Assert.Equal(candidates.Min(Gap), Gap(eer), 12);
    }

    [Fact]
    public void TarAtFarIsTheBestTrueAcceptRateWithinTheFalseAcceptBudget()
    {
        var (d, s) = Random(90, 6, 0.5);
        foreach (double far in new[] { 0.0, 0.01, 0.1, 0.3, 1.0 })
        {
            var (tar, tau) = Verification.TarAtFar(d, s, far);
            double best = d.Distinct().Select(t => Verification.RatesAt(d, s, t)).Where(r => r.Far <= far).Select(r => r.Tar).DefaultIfEmpty(0).Max();
            Assert.Equal(best, tar, 12);
            Assert.True(Verification.RatesAt(d, s, tau).Far <= far);
        }
    }

    [Fact]
    public void PairsAreHalfSameAndHalfDifferent()
    {
        int[] labels = [0, 0, 1, 2, 2, 2, 3];
        var pairs = Verification.SamplePairs(labels, 200, 9);
        Assert.Equal(100, pairs.Count(p => p.Same));
        Assert.All(pairs, p => Assert.Equal(p.Same, labels[p.A] == labels[p.B]));
        Assert.All(pairs.Where(p => p.Same), p => Assert.NotEqual(p.A, p.B));
        Assert.Contains("needs both same and different", Assert.Throws<ArgumentException>(() => Verification.RocAuc([1, 2], [true, true])).Message);
    }

    [Fact]
    public void AllPairsAreEveryPairOnceAndTheirAucIsTheExactOne()
    {
        Assert.Equal([(0, 1, true), (0, 2, false), (1, 2, false)], Verification.AllPairs([5, 5, 7]));
        Assert.Contains("needs 2 to", Assert.Throws<ArgumentException>(() => Verification.AllPairs([3])).Message);

        // 40 points on a line in 4 classes, distances rounded so that ties occur: the AUC over all 780 pairs equals the
        // Mann-Whitney count done pair against pair.
        var rng = new Random(3);
        int[] labels = Enumerable.Range(0, 40).Select(i => i % 4).ToArray();
        double[] x = labels.Select(l => l + rng.NextDouble() * 3).ToArray();
        var pairs = Verification.AllPairs(labels);
        Assert.Equal(780, pairs.Length);
        Assert.Equal(780, pairs.Select(p => (p.A, p.B)).Distinct().Count());
        Assert.All(pairs, p => Assert.True(p.A < p.B && p.Same == (labels[p.A] == labels[p.B])));
        double[] d = pairs.Select(p => Math.Round(Math.Abs(x[p.A] - x[p.B]), 1)).ToArray();
        bool[] same = pairs.Select(p => p.Same).ToArray();
        double wins = 0;
        int pos = same.Count(s => s), neg = same.Length - pos;
        for (int i = 0; i < d.Length; i++)
            for (int j = 0; j < d.Length; j++)
                if (same[i] && !same[j]) wins += d[i] < d[j] ? 1 : d[i] == d[j] ? 0.5 : 0;
        Assert.Equal(wins / ((double)pos * neg), Verification.RocAuc(d, same), 12);
    }
}
