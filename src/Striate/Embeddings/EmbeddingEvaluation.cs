using Striate.Data;
using Striate.Models;
using Striate.Tensors;

namespace Striate.Embeddings;

/// <summary>
/// Embeds datasets and measures an embedding the way face systems are judged: verification on pairs (ROC AUC,
/// accuracy at tau) against the raw-pixel distance, and one-shot identification against enrolled examples.
/// </summary>
public static class EmbeddingEvaluation
{
    /// <summary>Embeddings of every image of a (normalised) dataset, in batches, in evaluation mode.</summary>
    public static float[][] Embed(EmbeddingNet model, ImageDataset set, int batchSize = 500)
    {
        var rows = new List<float[]>(set.Count);
        foreach (var batch in new DataLoader(set, batchSize, prefetch: false).Epoch())
            rows.AddRange(model.Embed(batch.Images));
        return rows.ToArray();
    }

    /// <summary>The raw pixels of every image, as "embeddings" for the pixel-distance baseline.</summary>
    public static float[][] Pixels(ImageDataset set) => Enumerable.Range(0, set.Count).Select(i => set.Image(i).ToArray()).ToArray();

    /// <summary>Squared distances and same/different flags of index pairs.</summary>
    public static (double[] Distances, bool[] Same) Distances(float[][] embeddings, (int A, int B, bool Same)[] pairs) =>
        (pairs.Select(p => Verification.SquaredDistance(embeddings[p.A], embeddings[p.B])).ToArray(), pairs.Select(p => p.Same).ToArray());

    /// <summary>
    /// One-shot identification: <paramref name="trials"/> times, enrol one random example of each class and
    /// identify every other image by its nearest enrolled example. Returns the mean top-1 accuracy and, with
    /// tau, the mean fraction of queries accepted as the right identity.
    /// </summary>
    public static (double Top1, double AcceptedRight) OneShot(float[][] embeddings, int[] labels, int trials, double tau, ulong seed)
    {
        var byClass = labels.Select((l, i) => (l, i)).GroupBy(x => x.l).OrderBy(g => g.Key).Select(g => g.Select(x => x.i).ToArray()).ToArray();
        double top1 = 0, accepted = 0;
        var gen = new Generator(seed);
        for (int t = 0; t < trials; t++)
        {
            var db = new EnrollmentDatabase(embeddings[0].Length);
            var enrolled = new HashSet<int>();
            foreach (var members in byClass)
            {
                int pick = members[gen.NextInt(members.Length)];
                enrolled.Add(pick);
                db.Enroll(labels[pick].ToString(System.Globalization.CultureInfo.InvariantCulture), embeddings[pick]);
            }
            int right = 0, rightAccepted = 0, queries = 0;
            for (int i = 0; i < labels.Length; i++)
            {
                if (enrolled.Contains(i)) continue;
                var id = db.Identify(embeddings[i], tau);
                string truth = labels[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
                queries++;
                if (id.Nearest == truth) right++;
                if (id.Identity == truth) rightAccepted++;
            }
            top1 += (double)right / queries;
            accepted += (double)rightAccepted / queries;
        }
        return (top1 / trials, accepted / trials);
    }

    /// <summary>
    /// Unknown rejection: enrol one random example of each of <paramref name="known"/> classes (that has one) per trial;
    /// returns the mean fraction of queries from the other classes rejected as unknown (distance &gt; tau) and the
    /// mean fraction of queries from known classes wrongly rejected.
    /// </summary>
    public static (double UnknownRejected, double KnownRejected) Rejection(float[][] embeddings, int[] labels, IReadOnlyCollection<int> known, int trials, double tau, ulong seed)
    {
        var gen = new Generator(seed);
        double unk = 0, kno = 0;
        var knownClasses = known.Order().ToArray();
        for (int t = 0; t < trials; t++)
        {
            var db = new EnrollmentDatabase(embeddings[0].Length);
            var enrolled = new HashSet<int>();
            foreach (int c in knownClasses)
            {
                var members = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).ToArray();
                if (members.Length == 0) continue; // a known class without an image here cannot be enrolled
                int pick = members[gen.NextInt(members.Length)];
                enrolled.Add(pick);
                db.Enroll(c.ToString(System.Globalization.CultureInfo.InvariantCulture), embeddings[pick]);
            }
            int u = 0, uRej = 0, k = 0, kRej = 0;
            for (int i = 0; i < labels.Length; i++)
            {
                if (enrolled.Contains(i)) continue;
                bool rejected = db.Identify(embeddings[i], tau).Identity is null;
                if (known.Contains(labels[i])) { k++; if (rejected) kRej++; }
                else { u++; if (rejected) uRej++; }
            }
            unk += u == 0 ? 0 : (double)uRej / u;
            kno += k == 0 ? 0 : (double)kRej / k;
        }
        return (unk / trials, kno / trials);
    }
}
