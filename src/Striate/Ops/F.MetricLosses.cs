using Striate.Tensors;

namespace Striate.Ops;

public static partial class F
{
    /// <summary>
    /// Contrastive loss of a siamese pair (Hadsell, Chopra and LeCun, 2006) over rows of a, b [N, D] with
    /// d_i = ||a_i - b_i||_2: L_i = d_i^2 / 2 when the pair is the same identity, max(margin - d_i, 0)^2 / 2
    /// otherwise; the mean over the N pairs. At d_i = 0 a different pair's gradient is taken as 0.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes differ, are not [N, D], or <paramref name="same"/> has not N entries.</exception>
    public static Tensor ContrastiveLoss(Tensor a, Tensor b, ReadOnlySpan<bool> same, float margin = 1f)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rank != 2 || !a.Shape.Equals(b.Shape))
            throw new ArgumentException($"contrastive_loss expects two embedding batches [N, D] of one shape, got {a.Shape} and {b.Shape}.");
        int n = a.Shape[0], d = a.Shape[1];
        if (same.Length != n) throw new ArgumentException($"contrastive_loss: expected {n} same/different flags (one per pair), got {same.Length}.");
        if (n == 0) throw new ArgumentException("contrastive_loss: the batch has no pairs.");
        if (!(margin > 0)) throw new ArgumentException($"contrastive_loss: margin must be > 0, got {margin}.");
        var s = same.ToArray();
        var dist = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            double sq = 0;
            for (int k = 0; k < d; k++)
            {
                double t = (double)a.Data[i * d + k] - b.Data[i * d + k];
                sq += t * t;
            }
            dist[i] = Math.Sqrt(sq);
            double h = Math.Max(margin - dist[i], 0);
            total += s[i] ? sq / 2 : h * h / 2;
        }
        var y = Tensor.Scalar((float)(total / n));
        if (!Autograd.Needs(a, b)) return y;
        return Autograd.Record(y, "contrastive_loss", [a, b], (g, grads) =>
        {
            // dL_i/da_i = c_i (a_i - b_i): c = 1 for a same pair, -(margin - d) / d for a different pair inside the margin.
            var da = Tensor.Empty(a.Shape);
            float scale = g.Data[0] / n;
            for (int i = 0; i < n; i++)
            {
                double c = s[i] ? 1 : dist[i] > 0 && dist[i] < margin ? -(margin - dist[i]) / dist[i] : 0;
                for (int k = 0; k < d; k++)
                    da.Data[i * d + k] = (float)(c * scale * ((double)a.Data[i * d + k] - b.Data[i * d + k]));
            }
            if (a.RequiresGrad) grads[0] = da;
            if (b.RequiresGrad) grads[1] = Scale(da, -1f);
        });
    }

    /// <summary>
    /// Triplet loss of FaceNet (Schroff, Kalenichenko and Philbin, 2015) over given triplets, rows of a, p, n [N, D]:
    /// L_i = max(||a_i - p_i||^2 - ||a_i - n_i||^2 + margin, 0); the mean over the N triplets.
    /// </summary>
    public static Tensor TripletLoss(Tensor anchor, Tensor positive, Tensor negative, float margin = 0.2f)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        if (anchor.Rank != 2 || !anchor.Shape.Equals(positive.Shape) || !anchor.Shape.Equals(negative.Shape))
            throw new ArgumentException($"triplet_loss expects anchor, positive and negative [N, D] of one shape, got {anchor.Shape}, {positive.Shape} and {negative.Shape}.");
        var dp = Sum(Square(Sub(anchor, positive)), 1);
        var dn = Sum(Square(Sub(anchor, negative)), 1);
        return Mean(Relu(AddScalar(Sub(dp, dn), margin)));
    }

    /// <summary>
    /// Triplet loss with online mining over a batch of embeddings [N, D] and identity labels [N]:
    /// L(a, p, n) = max(||f(a) - f(p)||^2 - ||f(a) - f(n)||^2 + margin, 0) over the triplets that
    /// <paramref name="mining"/> chooses (see <see cref="TripletMining"/>). Batch-all averages over the triplets
    /// with a positive loss (0 when there are none); batch-hard over anchors, semi-hard over anchor-positive pairs.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The shapes disagree, or the batch cannot form a triplet: fewer than two classes, or no class with two
    /// examples (the message names the mining strategy).
    /// </exception>
    public static Tensor TripletLoss(Tensor embeddings, ReadOnlySpan<int> labels, float margin = 0.2f, TripletMining mining = TripletMining.BatchHard)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Rank != 2) throw new ArgumentException($"triplet_loss expects embeddings [N, D], got {embeddings.Shape}.");
        int n = embeddings.Shape[0], d = embeddings.Shape[1];
        if (labels.Length != n) throw new ArgumentException($"triplet_loss: expected {n} labels (one per embedding row), got {labels.Length}.");
        if (!(margin >= 0)) throw new ArgumentException($"triplet_loss: margin must be >= 0, got {margin}.");
        var lab = labels.ToArray();
        CheckTripletBatch(lab, mining);
        var dist = PairwiseSquaredDistances(embeddings);
        var triplets = MineTriplets(dist, lab, mining, out int denominator);
        double total = 0;
        var active = new List<(int A, int P, int N)>();
        foreach (var (a, p, ng) in triplets)
        {
            double l = dist[a, p] - dist[a, ng] + margin;
            if (l <= 0) continue;
            total += l;
            active.Add((a, p, ng));
        }
        if (mining == TripletMining.BatchAll) denominator = active.Count;
        var y = Tensor.Scalar(denominator == 0 ? 0f : (float)(total / denominator));
        if (!Autograd.Needs(embeddings)) return y;
        return Autograd.Record(y, "triplet_loss", [embeddings], (g, grads) =>
        {
            // d/df(a) = 2 (f(n) - f(p)), d/df(p) = 2 (f(p) - f(a)), d/df(n) = 2 (f(a) - f(n)), each scaled by g / count.
            var dx = Tensor.Zeros(embeddings.Shape);
            var e = embeddings.Data;
            var o = dx.Data;
            double w = denominator == 0 ? 0 : 2.0 * g.Data[0] / denominator;
            foreach (var (a, p, ng) in active)
                for (int k = 0; k < d; k++)
                {
                    double fa = e[a * d + k], fp = e[p * d + k], fn = e[ng * d + k];
                    o[a * d + k] += (float)(w * (fn - fp));
                    o[p * d + k] += (float)(w * (fp - fa));
                    o[ng * d + k] += (float)(w * (fa - fn));
                }
            grads[0] = dx;
        });
    }

    private static string MiningName(TripletMining m) => m switch
    {
        TripletMining.BatchAll => "batch-all",
        TripletMining.BatchHard => "batch-hard",
        _ => "semi-hard",
    };

    private static void CheckTripletBatch(int[] labels, TripletMining mining)
    {
        var counts = labels.GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        string who = $"triplet_loss ({MiningName(mining)} mining)";
        if (counts.Count < 2)
            throw new ArgumentException($"{who} needs at least two classes in the batch to find a negative, got {(counts.Count == 0 ? "an empty batch" : $"only class {counts.Keys.First()} ({labels.Length} examples)")}.");
        if (counts.Values.All(c => c < 2))
            throw new ArgumentException($"{who} needs a class with at least two examples in the batch to form an anchor-positive pair; all {labels.Length} labels are distinct. Sample several images per class (P classes x K images).");
    }

    // The (anchor, positive, negative) index triples the strategy picks; denominator: how many the mean divides by.
    private static List<(int A, int P, int N)> MineTriplets(double[,] dist, int[] lab, TripletMining mining, out int denominator)
    {
        int n = lab.Length;
        var list = new List<(int, int, int)>();
        denominator = 0;
        for (int a = 0; a < n; a++)
        {
            switch (mining)
            {
                case TripletMining.BatchAll:
                    for (int p = 0; p < n; p++)
                        if (p != a && lab[p] == lab[a])
                            for (int ng = 0; ng < n; ng++)
                                if (lab[ng] != lab[a]) list.Add((a, p, ng));
                    break;
                case TripletMining.BatchHard:
                {
                    int hp = -1, hn = -1;
                    for (int j = 0; j < n; j++)
                    {
                        if (j != a && lab[j] == lab[a] && (hp < 0 || dist[a, j] > dist[a, hp])) hp = j;
                        if (lab[j] != lab[a] && (hn < 0 || dist[a, j] < dist[a, hn])) hn = j;
                    }
                    if (hp < 0) break;
                    list.Add((a, hp, hn));
                    denominator++;
                    break;
                }
                default:
                    for (int p = 0; p < n; p++)
                    {
                        if (p == a || lab[p] != lab[a]) continue;
                        int semi = -1, far = -1;
                        for (int j = 0; j < n; j++)
                        {
                            if (lab[j] == lab[a]) continue;
                            if (dist[a, j] > dist[a, p] && (semi < 0 || dist[a, j] < dist[a, semi])) semi = j;
                            if (far < 0 || dist[a, j] > dist[a, far]) far = j;
                        }
                        list.Add((a, p, semi >= 0 ? semi : far));
                        denominator++;
                    }
                    break;
            }
        }
        return list;
    }
}
