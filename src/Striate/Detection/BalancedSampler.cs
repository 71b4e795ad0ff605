using Striate.Tensors;

namespace Striate.Detection;

/// <summary>
/// Chooses the examples a detection loss sees, as torchvision's <c>BalancedPositiveNegativeSampler</c>: of the
/// candidates labelled positive (label &gt;= 1) at most BatchSize x PositiveFraction, drawn at random, and negatives
/// (label 0) to fill the batch, as many as there are; candidates labelled below 0 (between the thresholds) are never
/// chosen.
/// </summary>
public sealed class BalancedSampler
{
    /// <exception cref="ArgumentException">The batch size is below 1 or the fraction outside [0, 1].</exception>
    public BalancedSampler(int batchSize, double positiveFraction)
    {
        if (batchSize < 1 || !(positiveFraction >= 0 && positiveFraction <= 1))
            throw new ArgumentException($"balanced sampler: expected a batch size >= 1 and a positive fraction in [0, 1], got {batchSize} and {positiveFraction}.");
        BatchSize = batchSize;
        PositiveFraction = positiveFraction;
    }

    public int BatchSize { get; }
    public double PositiveFraction { get; }

    /// <summary>The chosen positives and negatives (indices into <paramref name="labels"/>, in increasing order).</summary>
    public (int[] Positive, int[] Negative) Sample(ReadOnlySpan<int> labels, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var positives = new List<int>();
        var negatives = new List<int>();
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= 1) positives.Add(i);
            else if (labels[i] == 0) negatives.Add(i);
        int pos = Math.Min(positives.Count, (int)(BatchSize * PositiveFraction));
        int neg = Math.Min(negatives.Count, BatchSize - pos);
        return (Pick(positives, pos, generator), Pick(negatives, neg, generator));
    }

    private static int[] Pick(List<int> from, int n, Generator g)
    {
        var perm = g.Permutation(from.Count);
        var chosen = new int[n];
        for (int i = 0; i < n; i++) chosen[i] = from[perm[i]];
        Array.Sort(chosen);
        return chosen;
    }
}
