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
    /// PyTorch's triplet margin loss (torch.nn.functional.triplet_margin_loss) over rows of anchor, positive and
    /// negative [N, D] (or one triplet [D]): L_i = max(d(a_i, p_i) - d(a_i, n_i) + margin, 0) with the plain p-norm
    /// distance d(x, y) = ||x - y + eps||_p, eps added to every difference, not squared. With <paramref name="swap"/>
    /// the negative distance is min(d(a, n), d(p, n)) (Balntas et al. 2016). Reduced by the mean over the N triplets,
    /// the sum, or not at all ([N], or a scalar for one triplet). <see cref="TripletLoss(Tensor, Tensor, Tensor, float)"/>
    /// is FaceNet's squared form. Gradients as PyTorch's: zero for a distance of exactly 0, split evenly between tied
    /// terms of the swap's minimum and of the infinity norm's maximum, passed on where the hinge's argument is exactly 0.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes differ or are not [N, D] or [D], p is not positive, or margin or
    /// eps is not finite.</exception>
    public static Tensor TripletMarginLoss(Tensor anchor, Tensor positive, Tensor negative, float margin = 1f, float p = 2f,
        float eps = 1e-6f, bool swap = false, Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        ArgumentNullException.ThrowIfNull(positive);
        ArgumentNullException.ThrowIfNull(negative);
        if (anchor.Rank is not (1 or 2) || !anchor.Shape.Equals(positive.Shape) || !anchor.Shape.Equals(negative.Shape))
            throw new ArgumentException($"triplet_margin_loss expects anchor, positive and negative of one shape, [N, D] or [D], got {anchor.Shape}, {positive.Shape} and {negative.Shape}.");
        CheckTripletMargin("triplet_margin_loss", margin, p, eps);
        bool batched = anchor.Rank == 2;
        int n = batched ? anchor.Shape[0] : 1, d = anchor.Shape[anchor.Rank - 1];
        var ad = anchor.Data.ToArray();
        var pd = positive.Data.ToArray();
        var nd = negative.Data.ToArray();
        var perSample = new float[n];
        // Per triplet: the distances, the hinge's argument, and which negative distance the swap kept (0 a-n, 1 p-n, 0.5 tied).
        var dap = new double[n];
        var dan = new double[n];
        var dpn = new double[n];
        var hinge = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            dap[i] = PNorm(ad, pd, i * d, d, p, eps);
            dan[i] = PNorm(ad, nd, i * d, d, p, eps);
            double neg = dan[i];
            if (swap)
            {
                dpn[i] = PNorm(pd, nd, i * d, d, p, eps);
                neg = Math.Min(neg, dpn[i]);
            }
            hinge[i] = dap[i] - neg + margin;
            double li = Math.Max(hinge[i], 0);
            perSample[i] = (float)li;
            total += li;
        }
        Tensor y = reduction switch
        {
            Reduction.None => batched ? Tensor.FromArray(perSample, n) : Tensor.Scalar(perSample[0]),
            Reduction.Sum => Tensor.Scalar((float)total),
            _ => Tensor.Scalar((float)(total / n)),
        };
        if (!Autograd.IsEnabled || !(anchor.RequiresGrad || positive.RequiresGrad || negative.RequiresGrad)) return y;
        return Autograd.Record(y, "triplet_margin_loss", [anchor, positive, negative], (g, grads) =>
        {
            var ga = new float[ad.Length];
            var gp = new float[ad.Length];
            var gn = new float[ad.Length];
            var unit = new double[d];
            for (int i = 0; i < n; i++)
            {
                if (!(hinge[i] >= 0)) continue; // clamp_min passes the gradient where its argument is >= 0
                double s = reduction switch
                {
                    Reduction.None => g.Data[batched ? i : 0],
                    Reduction.Sum => g.Data[0],
                    _ => g.Data[0] / (double)n,
                };
                // + d(a, p): a gets +u, p gets -u, u the norm's gradient with respect to the difference a - p + eps.
                NormGradient(ad, pd, i * d, d, p, eps, dap[i], unit);
                Accumulate(ga, gp, i * d, unit, s);
                // - the negative distance; with swap, min(d(a, n), d(p, n)) sends it to the smaller (half each when tied).
                double toAn = 1, toPn = 0;
                if (swap)
                    (toAn, toPn) = dan[i] < dpn[i] ? (1.0, 0.0) : dan[i] > dpn[i] ? (0.0, 1.0) : (0.5, 0.5);
                if (toAn > 0)
                {
                    NormGradient(ad, nd, i * d, d, p, eps, dan[i], unit);
                    Accumulate(ga, gn, i * d, unit, -s * toAn);
                }
                if (toPn > 0)
                {
                    NormGradient(pd, nd, i * d, d, p, eps, dpn[i], unit);
                    Accumulate(gp, gn, i * d, unit, -s * toPn);
                }
            }
            if (anchor.RequiresGrad) grads[0] = Tensor.FromArray(ga, anchor.Shape.ToArray());
            if (positive.RequiresGrad) grads[1] = Tensor.FromArray(gp, anchor.Shape.ToArray());
            if (negative.RequiresGrad) grads[2] = Tensor.FromArray(gn, anchor.Shape.ToArray());
        });
    }

    /// <summary>Refuses a norm degree that is not positive and a margin or eps that is not finite, naming <paramref name="who"/>.</summary>
    internal static void CheckTripletMargin(string who, float margin, float p, float eps)
    {
        if (!(p > 0)) throw new ArgumentException($"{who}: the norm degree p must be > 0 (or infinity), got {p}.");
        if (!float.IsFinite(margin)) throw new ArgumentException($"{who}: margin must be finite, got {margin}.");
        if (!float.IsFinite(eps)) throw new ArgumentException($"{who}: eps must be finite, got {eps}.");
    }

    // ||x[o..o+d] - y[o..o+d] + eps||_p in float64 (p may be infinity).
    private static double PNorm(float[] x, float[] y, int o, int d, double p, double eps)
    {
        if (double.IsPositiveInfinity(p))
        {
            double m = 0;
            for (int k = 0; k < d; k++) m = Math.Max(m, Math.Abs((double)x[o + k] - y[o + k] + eps));
            return m;
        }
        double s = 0;
        for (int k = 0; k < d; k++)
        {
            double v = Math.Abs((double)x[o + k] - y[o + k] + eps);
            s += p == 2 ? v * v : p == 1 ? v : Math.Pow(v, p);
        }
        return p == 2 ? Math.Sqrt(s) : p == 1 ? s : Math.Pow(s, 1 / p);
    }

    // unit[k] = d ||v||_p / d v_k for v = x - y + eps: sign(v_k) |v_k|^(p-1) / ||v||^(p-1); 0 when ||v|| = 0; for the
    // infinity norm sign(v_k) split evenly over the components of largest magnitude.
    private static void NormGradient(float[] x, float[] y, int o, int d, double p, double eps, double norm, double[] unit)
    {
        Array.Clear(unit);
        if (!(norm > 0)) return;
        if (double.IsPositiveInfinity(p))
        {
            int ties = 0;
            for (int k = 0; k < d; k++)
                if (Math.Abs((double)x[o + k] - y[o + k] + eps) == norm) ties++;
            for (int k = 0; k < d; k++)
            {
                double v = (double)x[o + k] - y[o + k] + eps;
                if (Math.Abs(v) == norm) unit[k] = Math.Sign(v) / (double)ties;
            }
            return;
        }
        for (int k = 0; k < d; k++)
        {
            double v = (double)x[o + k] - y[o + k] + eps;
            unit[k] = v == 0 ? 0 : p == 2 ? v / norm : p == 1 ? Math.Sign(v) : Math.Sign(v) * Math.Pow(Math.Abs(v) / norm, p - 1);
        }
    }

    // gx += s * unit, gy -= s * unit over one row.
    private static void Accumulate(float[] gx, float[] gy, int o, double[] unit, double s)
    {
        for (int k = 0; k < unit.Length; k++)
        {
            gx[o + k] += (float)(s * unit[k]);
            gy[o + k] -= (float)(s * unit[k]);
        }
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
