using System.Globalization;
using System.Text.Json;
using Striate.Data;
using Striate.Embeddings;
using Striate.Tensors;

namespace Striate.Runs;

/// <summary>
/// The end-of-training report of an embedding: verification on test pairs of the trained classes and of the
/// unseen ones (with the raw-pixel distance on the same pairs), and one-shot identification over every class.
/// </summary>
public sealed record EmbeddingReport(
    double Tau,
    double SeenAuc,
    double SeenAccuracy,
    double SeenTarAtFar,
    double? UnseenAuc,
    double? UnseenAccuracy,
    double? UnseenTarAtFar,
    double? UnseenPixelAuc,
    double OneShotTop1,
    double OneShotAcceptedRight,
    double? UnknownRejected,
    double? KnownRejected,
    int Trials)
{
    /// <summary>The false-accept rate at which the true-accept rate is reported.</summary>
    public const double Far = 0.01;

    /// <summary>The test images the report uses: the first <paramref name="testLimit"/> (0: all).</summary>
    public static ImageDataset TestImages(ImageDataset testRaw, int testLimit) =>
        testLimit > 0 && testLimit < testRaw.Count ? testRaw.Subset(Enumerable.Range(0, testLimit).ToArray()) : testRaw;

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> unless the test images of the trained classes give both same and
    /// different pairs (two classes, one with two images): call it before training, so a run is not wasted.
    /// </summary>
    public static void CheckTestImages(ImageDataset test, IReadOnlyCollection<int> trained, string option)
    {
        var labels = test.Labels.Where(trained.Contains).ToArray();
        if (!Verification.HasSameAndDifferentPairs(labels))
            throw new ArgumentException($"{option}: the report needs test images of two trained classes, one of them with two images; the {test.Count} test images hold {labels.Length} of the trained classes ({labels.Distinct().Count()} classes).");
    }

    // The draws of the test pairs, the one-shot enrolments and the rejection enrolments are fixed, not taken from the
    // training seed, so that runs with different seeds are scored on the same pairs and enrolments.
    private const ulong SeenPairsSeed = 0, UnseenPairsSeed = 1, OneShotSeed = 2, RejectionSeed = 3;

    /// <summary>
    /// Measures a trained run on the test set (the first <paramref name="testLimit"/> images, 0 for all), which must
    /// pass <see cref="CheckTestImages"/>. The unseen-class part is left out when those classes give no pairs.
    /// </summary>
    public static EmbeddingReport Measure(EmbeddingRun run, ImageDataset testRaw, int testLimit, int pairs, int trials)
    {
        var test = TestImages(testRaw, testLimit).Normalize(run.Mean, run.Std);
        var emb = EmbeddingEvaluation.Embed(run.Final, test);
        var seen = run.Classes.ToHashSet();
        var unseen = Enumerable.Range(0, test.ClassCount).Where(c => !seen.Contains(c)).ToHashSet();
        (double Auc, double Acc, double Tar, double PixelAuc)? Pairs(HashSet<int> classes, ulong seed)
        {
            var idx = Enumerable.Range(0, test.Count).Where(i => classes.Contains(test.Labels[i])).ToArray();
            var labels = idx.Select(i => test.Labels[i]).ToArray();
            if (!Verification.HasSameAndDifferentPairs(labels)) return null;
            var p = Draw(labels, pairs, seed).Select(x => (idx[x.A], idx[x.B], x.Same)).ToArray();
            var (d, s) = EmbeddingEvaluation.Distances(emb, p);
            var px = EmbeddingEvaluation.Distances(PixelRows(test, p), p);
            return (Verification.RocAuc(d, s), Verification.AccuracyAt(d, s, run.Tau), Verification.TarAtFar(d, s, Far).Tar, Verification.RocAuc(px.Distances, px.Same));
        }
        var seenPairs = Pairs(seen, SeenPairsSeed) ?? throw new ArgumentException("the test images of the trained classes give no same and different pairs; see CheckTestImages.");
        var unseenPairs = Pairs(unseen, UnseenPairsSeed);
        var (top1, accepted) = EmbeddingEvaluation.OneShot(emb, test.Labels, trials, run.Tau, OneShotSeed);
        (double, double)? rejection = test.Labels.Any(l => unseen.Contains(l)) ? EmbeddingEvaluation.Rejection(emb, test.Labels, seen, trials, run.Tau, RejectionSeed) : null;
        return new EmbeddingReport(run.Tau, seenPairs.Auc, seenPairs.Acc, seenPairs.Tar, unseenPairs?.Auc, unseenPairs?.Acc, unseenPairs?.Tar, unseenPairs?.PixelAuc, top1, accepted,
            rejection?.Item1, rejection?.Item2, trials);
    }

    /// <summary>
    /// The test pairs over <paramref name="labels"/>: <paramref name="count"/> balanced ones drawn from
    /// <paramref name="seed"/>, or with 0 every pair (the AUCs are then exact for the test set; the accuracy at tau counts
    /// each pair once, so different pairs outweigh same ones).
    /// </summary>
    public static (int A, int B, bool Same)[] Draw(int[] labels, int count, ulong seed) =>
        count == 0 ? Verification.AllPairs(labels) : Verification.SamplePairs(labels, count, seed);

    // Raw pixels of the images the pairs use (other rows stay empty: they are never read).
    private static float[][] PixelRows(ImageDataset test, (int, int, bool)[] pairs)
    {
        var rows = new float[test.Count][];
        foreach (var (a, b, _) in pairs)
        {
            rows[a] ??= test.Image(a).ToArray();
            rows[b] ??= test.Image(b).ToArray();
        }
        return rows;
    }

    /// <summary>The report as one JSON object.</summary>
    public string ToJson(double wallSeconds) => JsonSerializer.Serialize(new
    {
        tau = Tau,
        seen_auc = SeenAuc,
        seen_accuracy_at_tau = SeenAccuracy,
        seen_tar_at_far_1pct = SeenTarAtFar,
        unseen_auc = UnseenAuc,
        unseen_accuracy_at_tau = UnseenAccuracy,
        unseen_tar_at_far_1pct = UnseenTarAtFar,
        unseen_pixel_auc = UnseenPixelAuc,
        one_shot_top1 = OneShotTop1,
        one_shot_accepted_right = OneShotAcceptedRight,
        unknown_rejected = UnknownRejected,
        known_rejected = KnownRejected,
        trials = Trials,
        wall_seconds = wallSeconds,
    });

    /// <summary>The report as readable lines.</summary>
    public IEnumerable<string> Lines(double wallSeconds)
    {
        var inv = CultureInfo.InvariantCulture;
        yield return string.Create(inv, $"tau {Tau:F4} (chosen on validation pairs of the trained classes)");
        yield return string.Create(inv, $"trained classes, test pairs:  AUC {SeenAuc:F4}  accuracy at tau {SeenAccuracy:P2}  TAR at FAR 1% {SeenTarAtFar:P2}");
        if (UnseenAuc is double u)
            yield return string.Create(inv, $"unseen classes, test pairs:   AUC {u:F4}  accuracy at tau {UnseenAccuracy:P2}  TAR at FAR 1% {UnseenTarAtFar:P2}  (raw-pixel distance AUC {UnseenPixelAuc:F4})");
        yield return string.Create(inv, $"one-shot identification over every class ({Trials} enrolments): top-1 {OneShotTop1:P2}, accepted as the right identity at tau {OneShotAcceptedRight:P2}");
        if (UnknownRejected is double ur)
            yield return string.Create(inv, $"trained classes enrolled: unseen-class queries rejected as unknown {ur:P2}, known queries wrongly rejected {KnownRejected:P2}");
        yield return string.Create(inv, $"wall time {wallSeconds:F1} s");
    }
}
