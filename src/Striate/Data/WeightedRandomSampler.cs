using Striate.Tensors;

namespace Striate.Data;

/// <summary>
/// Draws <see cref="Count"/> dataset indices per epoch with replacement, index i with probability
/// weights[i] / sum(weights), as torch.utils.data.WeightedRandomSampler does. The draws of epoch e come from
/// <c>Generator(seed).Fork(e)</c>, so an epoch's indices depend only on the seed and e (a resumed run sees the
/// same ones).
/// </summary>
public sealed class WeightedRandomSampler
{
    private readonly double[] _cumulative;

    /// <summary>A sampler over <paramref name="weights"/> (one non-negative weight per dataset index).</summary>
    /// <exception cref="ArgumentException">A weight is negative or not finite, or all are zero.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is less than 1.</exception>
    public WeightedRandomSampler(IReadOnlyList<double> weights, int count, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _cumulative = new double[weights.Count];
        double sum = 0;
        for (int i = 0; i < weights.Count; i++)
        {
            if (!(weights[i] >= 0) || double.IsInfinity(weights[i]))
                throw new ArgumentException($"WeightedRandomSampler: weight {i} is {weights[i]}; weights must be finite and >= 0.", nameof(weights));
            sum += weights[i];
            _cumulative[i] = sum;
        }
        if (!(sum > 0)) throw new ArgumentException("WeightedRandomSampler: the weights sum to zero; at least one must be positive.", nameof(weights));
        Count = count;
        Seed = seed;
    }

    /// <summary>
    /// A sampler that draws every class equally often on average: image i weighs 1 / (images of its class),
    /// <paramref name="labels"/>.Length draws per epoch.
    /// </summary>
    public static WeightedRandomSampler BalancedClasses(IReadOnlyList<int> labels, int classCount, ulong seed)
    {
        var counts = ClassBalance.Counts(labels, classCount);
        return new WeightedRandomSampler(labels.Select(l => 1.0 / counts[l]).ToArray(), labels.Count, seed);
    }

    /// <summary>Indices drawn per epoch.</summary>
    public int Count { get; }

    /// <summary>The seed of the draws.</summary>
    public ulong Seed { get; }

    /// <summary>The indices of epoch <paramref name="epoch"/>.</summary>
    public int[] Indices(int epoch)
    {
        ulong stream = new Generator(Seed).Fork((ulong)epoch).Seed;
        double total = _cumulative[^1];
        var result = new int[Count];
        for (int k = 0; k < Count; k++)
        {
            // u in (0, total]: the first index whose cumulative weight reaches u (zero weights are never drawn).
            double u = Generator.UniformOpen(stream, (ulong)k) * total;
            int i = Array.BinarySearch(_cumulative, u);
            if (i < 0) i = ~i;
            while (i > 0 && _cumulative[i - 1] >= u) i--;
            result[k] = Math.Min(i, _cumulative.Length - 1);
        }
        return result;
    }
}
