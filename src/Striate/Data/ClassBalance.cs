namespace Striate.Data;

/// <summary>
/// Class counts and the remedies for an imbalanced training set: loss weights by median-frequency balancing
/// (alpha_c = median_freq / freq(c); Eigen and Fergus, 2015) and a class-balanced sampler
/// (<see cref="WeightedRandomSampler.BalancedClasses"/>).
/// </summary>
public static class ClassBalance
{
    /// <summary>The number of labels of each class.</summary>
    /// <exception cref="ArgumentException">A label is outside 0 .. classCount - 1.</exception>
    public static int[] Counts(IReadOnlyList<int> labels, int classCount)
    {
        var counts = new int[classCount];
        foreach (int l in labels)
        {
            if ((uint)l >= (uint)classCount) throw new ArgumentException($"ClassBalance: label {l} is outside 0 .. {classCount - 1}.");
            counts[l]++;
        }
        return counts;
    }

    /// <summary>
    /// alpha_c = median_freq / freq(c), with freq(c) = n_c / N and the median over the classes present (the mean
    /// of the two middle values for an even count). A class with no labels gets 0 (it never meets the loss).
    /// </summary>
    /// <exception cref="ArgumentException">There are no labels, or a label is out of range.</exception>
    public static float[] MedianFrequencyWeights(IReadOnlyList<int> labels, int classCount)
    {
        var counts = Counts(labels, classCount);
        if (labels.Count == 0) throw new ArgumentException("ClassBalance: no labels to weigh.");
        var present = counts.Where(c => c > 0).Select(c => (double)c / labels.Count).Order().ToArray();
        int m = present.Length;
        double median = m % 2 == 1 ? present[m / 2] : (present[m / 2 - 1] + present[m / 2]) / 2;
        return counts.Select(c => c == 0 ? 0f : (float)(median / ((double)c / labels.Count))).ToArray();
    }

    /// <summary>
    /// An imbalanced copy for experiments: of each class in <paramref name="classes"/>, only the first
    /// ceil(<paramref name="fraction"/> x n_c) images are kept (in dataset order); other classes are kept whole.
    /// </summary>
    /// <exception cref="ArgumentException">The fraction is not in (0, 1] or a class is out of range.</exception>
    public static ImageDataset Reduce(ImageDataset dataset, IReadOnlyCollection<int> classes, double fraction)
    {
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentException($"ClassBalance.Reduce: the fraction must be in (0, 1], got {fraction}.");
        foreach (int c in classes)
            if ((uint)c >= (uint)dataset.ClassCount) throw new ArgumentException($"ClassBalance.Reduce: class {c} is outside 0 .. {dataset.ClassCount - 1}.");
        var counts = Counts(dataset.Labels, dataset.ClassCount);
        var keep = counts.Select((n, c) => classes.Contains(c) ? (int)Math.Ceiling(fraction * n) : n).ToArray();
        var seen = new int[dataset.ClassCount];
        var indices = new List<int>();
        for (int i = 0; i < dataset.Count; i++)
            if (seen[dataset.Labels[i]]++ < keep[dataset.Labels[i]]) indices.Add(i);
        return dataset.Subset(indices);
    }
}

/// <summary>How a classification run balances its classes; checkpoints and the command line name it in lower case.</summary>
public enum ClassBalancing
{
    /// <summary>No balancing.</summary>
    None,

    /// <summary>Median-frequency loss weights, median_freq / freq(c) (<see cref="ClassBalance.MedianFrequencyWeights"/>).</summary>
    Weight,

    /// <summary>A sampler that draws every class equally often (<see cref="WeightedRandomSampler.BalancedClasses"/>).</summary>
    Sample,
}
