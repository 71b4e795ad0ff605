using Striate.Embeddings;
using Striate.Ops;
using Striate.Tensors;
using Striate.Tests.Support;

namespace Striate.Tests.Ops;

/// <summary>
/// The metric-learning ops (L2 normalisation, row selection, contrastive and triplet losses with online mining,
/// DeepFace similarity) against float64 references, gradients against central differences.
/// </summary>
public class MetricOpTests
{
    private static readonly int[] s_labels = [0, 0, 1, 1, 2, 2, 0, 1, 2];
    private static readonly bool[] s_same = [true, false, true, false, false, true, false];

    private static double Sq(double[] x, int d, int i, int j)
    {
        double s = 0;
        for (int k = 0; k < d; k++) s += (x[i * d + k] - x[j * d + k]) * (x[i * d + k] - x[j * d + k]);
        return s;
    }

    private static double[] NormalizeRef(double[] x, int d)
    {
        var y = new double[x.Length];
        for (int r = 0; r < x.Length / d; r++)
        {
            double n = Math.Sqrt(Enumerable.Range(0, d).Sum(k => x[r * d + k] * x[r * d + k]));
            for (int k = 0; k < d; k++) y[r * d + k] = x[r * d + k] / Math.Max(n, 1e-12);
        }
        return y;
    }

    private static double[] ContrastiveRef(double[] a, double[] b, int d, double m)
    {
        double s = 0;
        for (int i = 0; i < s_same.Length; i++)
        {
            double sq = 0;
            for (int k = 0; k < d; k++) sq += (a[i * d + k] - b[i * d + k]) * (a[i * d + k] - b[i * d + k]);
            double h = Math.Max(m - Math.Sqrt(sq), 0);
            s += s_same[i] ? sq / 2 : h * h / 2;
        }
        return [s / s_same.Length];
    }

    // Written from the definitions, loop by loop: every triplet for batch-all, per anchor for batch-hard,
    // per anchor-positive pair for semi-hard.
    private static double[] TripletRef(double[] x, int d, double m, TripletMining mining)
    {
        int n = s_labels.Length;
        double total = 0;
        int count = 0;
        for (int a = 0; a < n; a++)
        {
            var pos = Enumerable.Range(0, n).Where(j => j != a && s_labels[j] == s_labels[a]).ToList();
            var neg = Enumerable.Range(0, n).Where(j => s_labels[j] != s_labels[a]).ToList();
            if (mining == TripletMining.BatchHard)
            {
                double dp = pos.Max(p => Sq(x, d, a, p)), dn = neg.Min(q => Sq(x, d, a, q));
                total += Math.Max(dp - dn + m, 0);
                count++;
                continue;
            }
            foreach (int p in pos)
            {
                double dp = Sq(x, d, a, p);
                if (mining == TripletMining.BatchAll)
                {
                    foreach (int q in neg)
                    {
                        double l = dp - Sq(x, d, a, q) + m;
                        if (l > 0) { total += l; count++; }
                    }
                    continue;
                }
                var farther = neg.Where(q => Sq(x, d, a, q) > dp).ToList();
                double dn = farther.Count > 0 ? farther.Min(q => Sq(x, d, a, q)) : neg.Max(q => Sq(x, d, a, q));
                total += Math.Max(dp - dn + m, 0);
                count++;
            }
        }
        return [count == 0 ? 0 : total / count];
    }

    private static double[] DeepFaceRef(double[] a, double[] b, double[] w, double[] bias, int d, DeepFaceDistance kind)
    {
        int n = a.Length / d;
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = bias[0];
            for (int k = 0; k < d; k++)
            {
                double u = a[i * d + k], v = b[i * d + k];
                s += w[k] * (kind == DeepFaceDistance.WeightedL1 ? Math.Abs(u - v) : (u - v) * (u - v) / (u + v + DeepFaceSimilarity.ChiEps));
            }
            y[i] = s;
        }
        return y;
    }

    public static IEnumerable<object[]> Cases()
    {
        int n = s_labels.Length;
        var list = new List<OpCase>
        {
            new("normalize rows [3, 5]", [[3, 5]], t => F.Normalize(t[0]), r => NormalizeRef(r[0], 5)),
            new("normalize last dim [2, 3, 4]", [[2, 3, 4]], t => F.Normalize(t[0]), r => NormalizeRef(r[0], 4)),
            new("normalize a single feature [4, 1]", [[4, 1]], t => F.Normalize(t[0]), r => NormalizeRef(r[0], 1)) { Low = 0.2, High = 1 },
            new("index_select with repeats", [[4, 3]], t => F.IndexSelect(t[0], [2, 0, 2, 3, 2]),
                r => new[] { 2, 0, 2, 3, 2 }.SelectMany(i => r[0].Skip(i * 3).Take(3)).ToArray()),
            new("contrastive margin 1.5", [[7, 3], [7, 3]], t => F.ContrastiveLoss(t[0], t[1], s_same, 1.5f), r => ContrastiveRef(r[0], r[1], 3, 1.5)),
            new("contrastive margin 0.5 (some pairs outside)", [[7, 3], [7, 3]], t => F.ContrastiveLoss(t[0], t[1], s_same, 0.5f), r => ContrastiveRef(r[0], r[1], 3, 0.5)),
            new("triplet given (a, p, n)", [[5, 4], [5, 4], [5, 4]], t => F.TripletLoss(t[0], t[1], t[2], 0.3f), r =>
            {
                double s = 0;
                for (int i = 0; i < 5; i++)
                {
                    double dp = 0, dn = 0;
                    for (int k = 0; k < 4; k++)
                    {
                        dp += Math.Pow(r[0][i * 4 + k] - r[1][i * 4 + k], 2);
                        dn += Math.Pow(r[0][i * 4 + k] - r[2][i * 4 + k], 2);
                    }
                    s += Math.Max(dp - dn + 0.3, 0);
                }
                return [s / 5];
            }),
        };
        foreach (var mining in new[] { TripletMining.BatchAll, TripletMining.BatchHard, TripletMining.SemiHard })
            foreach (float margin in new[] { 0.2f, 1.5f })
                list.Add(new($"triplet {mining} margin {margin}", [[n, 3]], t => F.TripletLoss(t[0], s_labels, margin, mining), r => TripletRef(r[0], 3, margin, mining)));
        foreach (var kind in new[] { DeepFaceDistance.WeightedL1, DeepFaceDistance.ChiSquared })
            list.Add(new($"deepface {kind}", [[5, 6], [5, 6], [6], [1]], t => DeepFaceSimilarity.Score(t[0], t[1], t[2], t[3], kind),
                r => DeepFaceRef(r[0], r[1], r[2], r[3], 6, kind)) { Low = 0.1, High = 1 });
        return list.Select(c => new object[] { c });
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesTheReferenceAndBackwardMatchesFiniteDifferences(OpCase c)
    {
        for (ulong seed = 1; seed <= 3; seed++) Check.Op(c, seed);
    }

    [Fact]
    public void NormalizedRowsHaveUnitLengthAndAZeroRowStaysZero()
    {
        var x = Tensor.FromArray([3, 4, 0, 0, 0, 0, 1, -1, 1], 3, 3);
        var y = F.Normalize(x);
        Check.Close(new double[] { 0.6, 0.8, 0, 0, 0, 0, 1 / Math.Sqrt(3), -1 / Math.Sqrt(3), 1 / Math.Sqrt(3) }, y.Data, 1e-6, 1e-7, "normalize");
    }

    [Fact]
    public void TripletMiningSaysWhyABatchCannotFormATriplet()
    {
        var e = Tensor.Uniform(new Generator(1), -1, 1, 4, 3);
        var one = Assert.Throws<ArgumentException>(() => F.TripletLoss(e, [2, 2, 2, 2], 0.2f, TripletMining.BatchHard));
        Assert.Contains("batch-hard mining", one.Message);
        Assert.Contains("at least two classes", one.Message);
        var distinct = Assert.Throws<ArgumentException>(() => F.TripletLoss(e, [0, 1, 2, 3], 0.2f, TripletMining.SemiHard));
        Assert.Contains("semi-hard mining", distinct.Message);
        Assert.Contains("at least two examples", distinct.Message);
        Assert.Contains("batch-all mining", Assert.Throws<ArgumentException>(() => F.TripletLoss(e, [0, 1, 2, 3], 0.2f, TripletMining.BatchAll)).Message);
        Assert.Contains("expected 4 labels", Assert.Throws<ArgumentException>(() => F.TripletLoss(e, [0, 1], 0.2f)).Message);
    }

    [Fact]
    public void ChiSquaredRejectsNegativeEmbeddings()
    {
        var head = new DeepFaceSimilarity(3, DeepFaceDistance.ChiSquared);
        var a = Tensor.FromArray([0.5f, -0.9f, 0.1f], 1, 3);
        var b = Tensor.FromArray([0.2f, 0.1f, 0.3f], 1, 3);
        Assert.Contains("non-negative", Assert.Throws<ArgumentException>(() => head.Score(a, b)).Message);
        Assert.Contains("[N, 3]", Assert.Throws<ArgumentException>(() => head.Score(a, Tensor.Zeros(1, 4))).Message);
    }
}
