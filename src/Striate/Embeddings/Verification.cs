using Striate.Tensors;

namespace Striate.Embeddings;

/// <summary>
/// Face-verification metrics over pairs: a pair is declared "same identity" when the squared distance of its
/// embeddings is at most tau (FaceNet's f(x, y) = ||a_x - a_y||^2 &lt;= tau). The threshold is chosen on
/// validation pairs; ROC AUC, accuracy at tau and the true-accept rate at a fixed false-accept rate measure
/// the embedding. Distances and labels are parallel lists; a pair list must hold both kinds.
/// </summary>
public static class Verification
{
    /// <summary>Squared Euclidean distance ||a - b||^2, in double.</summary>
    public static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"distance: embeddings of {a.Length} and {b.Length} values cannot be compared.");
        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double t = (double)a[i] - b[i];
            s += t * t;
        }
        return s;
    }

    /// <summary>
    /// Area under the ROC curve of "smaller distance means same": the probability that a random same pair is
    /// closer than a random different pair, ties counting one half (Mann-Whitney U / (P N)).
    /// </summary>
    public static double RocAuc(IReadOnlyList<double> distances, IReadOnlyList<bool> same)
    {
        Check(distances, same, "ROC AUC");
        var order = Ascending(distances);
        // Ranks by ascending distance, averaged over ties; same pairs should have the small ranks.
        double rankSumSame = 0;
        long pos = same.Count(s => s), neg = same.Count - pos;
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && distances[order[j + 1]] == distances[order[i]]) j++;
            double rank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++)
                if (same[order[k]]) rankSumSame += rank;
            i = j + 1;
        }
        double u = rankSumSame - pos * (pos + 1) / 2.0;
        return 1 - u / ((double)pos * neg);
    }

    /// <summary>The fraction of pairs decided right by "distance &lt;= tau means same".</summary>
    public static double AccuracyAt(IReadOnlyList<double> distances, IReadOnlyList<bool> same, double tau)
    {
        Check(distances, same, "accuracy");
        int right = 0;
        for (int i = 0; i < distances.Count; i++)
            if ((distances[i] <= tau) == same[i]) right++;
        return (double)right / distances.Count;
    }

    /// <summary>True-accept rate (same pairs accepted) and false-accept rate (different pairs accepted) at tau.</summary>
    public static (double Tar, double Far) RatesAt(IReadOnlyList<double> distances, IReadOnlyList<bool> same, double tau)
    {
        Check(distances, same, "rates");
        int ta = 0, fa = 0, p = 0, n = 0;
        for (int i = 0; i < distances.Count; i++)
        {
            bool accept = distances[i] <= tau;
            if (same[i]) { p++; if (accept) ta++; }
            else { n++; if (accept) fa++; }
        }
        return ((double)ta / p, (double)fa / n);
    }

    /// <summary>
    /// The threshold chosen by <paramref name="criterion"/> among the midpoints between consecutive distinct
    /// distances (and one below the smallest).
    /// </summary>
    public static double ChooseThreshold(IReadOnlyList<double> distances, IReadOnlyList<bool> same, ThresholdCriterion criterion = ThresholdCriterion.BestAccuracy)
    {
        Check(distances, same, "threshold");
        var order = Ascending(distances);
        int p = same.Count(s => s), n = same.Count - p;
        // Sweep tau upwards: after passing index k, pairs order[0..k] are accepted.
        double bestTau = distances[order[0]] - 1e-9, bestScore = Score(0, 0);
        int ta = 0, fa = 0;
        for (int k = 0; k < order.Length; k++)
        {
            if (same[order[k]]) ta++;
            else fa++;
            if (k + 1 < order.Length && distances[order[k + 1]] == distances[order[k]]) continue;
            double tau = k + 1 < order.Length ? (distances[order[k]] + distances[order[k + 1]]) / 2 : distances[order[k]];
            double score = Score(ta, fa);
            if (score > bestScore)
            {
                bestScore = score;
                bestTau = tau;
            }
        }
        return bestTau;

        double Score(int trueAccepts, int falseAccepts) => criterion == ThresholdCriterion.BestAccuracy
            ? trueAccepts + (n - falseAccepts)
            : -Math.Abs((double)falseAccepts / n - (double)(p - trueAccepts) / p);
    }

    /// <summary>
    /// The true-accept rate at the largest threshold whose false-accept rate is at most <paramref name="far"/>
    /// (FaceNet's validation rate at a fixed false-accept rate), and that threshold.
    /// </summary>
    public static (double Tar, double Tau) TarAtFar(IReadOnlyList<double> distances, IReadOnlyList<bool> same, double far)
    {
        Check(distances, same, "TAR at FAR");
        if (!(far >= 0 && far <= 1)) throw new ArgumentException($"TAR at FAR: the false-accept rate must be in [0, 1], got {far}.");
        var order = Ascending(distances);
        int p = same.Count(s => s), n = same.Count - p, ta = 0, fa = 0;
        double bestTar = 0, tau = distances[order[0]] - 1e-9;
        for (int k = 0; k < order.Length; k++)
        {
            if (same[order[k]]) ta++;
            else fa++;
            if (k + 1 < order.Length && distances[order[k + 1]] == distances[order[k]]) continue;
            if ((double)fa / n > far) break;
            bestTar = (double)ta / p;
            tau = distances[order[k]];
        }
        return (bestTar, tau);
    }

    /// <summary>
    /// True when <paramref name="labels"/> give both kinds of pair: two labels, and a label with two examples. That
    /// is what <see cref="SamplePairs"/> needs, what AUCs and tau need, and what a triplet (anchor, positive,
    /// negative) needs.
    /// </summary>
    public static bool HasSameAndDifferentPairs(IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var counts = labels.CountBy(l => l).ToList();
        return counts.Count >= 2 && counts.Any(c => c.Value >= 2);
    }

    /// <summary>
    /// <paramref name="count"/> index pairs over <paramref name="labels"/>, half of them same-label and half
    /// different-label, drawn from <paramref name="seed"/>. Needs a label with two examples and two labels.
    /// </summary>
    public static (int A, int B, bool Same)[] SamplePairs(IReadOnlyList<int> labels, int count, ulong seed)
    {
        if (!HasSameAndDifferentPairs(labels))
            throw new ArgumentException($"SamplePairs needs two labels and a label with two examples; got {labels.Count} examples of {labels.Distinct().Count()} labels.");
        var byLabel = labels.Select((l, i) => (l, i)).GroupBy(x => x.l).ToDictionary(g => g.Key, g => g.Select(x => x.i).ToArray());
        var gen = new Generator(seed);
        var multi = byLabel.Values.Where(v => v.Length >= 2).ToArray();
        var pairs = new (int, int, bool)[count];
        for (int k = 0; k < count; k++)
        {
            if (k % 2 == 0)
            {
                var group = multi[gen.NextInt(multi.Length)];
                int a = gen.NextInt(group.Length), b = gen.NextInt(group.Length - 1);
                if (b >= a) b++;
                pairs[k] = (group[a], group[b], true);
            }
            else
            {
                int a, b;
                do
                {
                    a = gen.NextInt(labels.Count);
                    b = gen.NextInt(labels.Count);
                } while (labels[a] == labels[b]);
                pairs[k] = (a, b, false);
            }
        }
        return pairs;
    }

    /// <summary>
    /// Every pair (a, b) with a &lt; b over <paramref name="labels"/>, n (n - 1) / 2 of them, with whether the labels
    /// agree: the whole population the sampled pairs estimate (7,000 test images give 24.5 million).
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two examples, or more pairs than an array holds.</exception>
    public static (int A, int B, bool Same)[] AllPairs(IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        long count = (long)labels.Count * (labels.Count - 1) / 2;
        if (labels.Count < 2 || count > Array.MaxLength)
            throw new ArgumentException($"AllPairs needs 2 to {(int)Math.Sqrt(2.0 * Array.MaxLength)} examples, got {labels.Count}.");
        var pairs = new (int, int, bool)[count];
        int k = 0;
        for (int a = 0; a < labels.Count; a++)
            for (int b = a + 1; b < labels.Count; b++)
                pairs[k++] = (a, b, labels[a] == labels[b]);
        return pairs;
    }

    // Indices of the distances in ascending order. Ties may come in any order: every caller treats a run of equal
    // distances as one step.
    private static int[] Ascending(IReadOnlyList<double> distances)
    {
        var keys = distances.ToArray();
        var order = new int[keys.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(keys, order);
        return order;
    }

    private static void Check(IReadOnlyList<double> distances, IReadOnlyList<bool> same, string what)
    {
        ArgumentNullException.ThrowIfNull(distances);
        ArgumentNullException.ThrowIfNull(same);
        if (distances.Count != same.Count)
            throw new ArgumentException($"{what}: {distances.Count} distances but {same.Count} same/different labels.");
        int p = same.Count(s => s);
        if (p == 0 || p == same.Count)
            throw new ArgumentException($"{what} needs both same and different pairs; got {p} same of {same.Count}.");
        foreach (var d in distances)
            if (!double.IsFinite(d)) throw new ArgumentException($"{what}: a distance is {d}.");
    }
}
