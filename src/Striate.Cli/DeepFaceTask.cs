using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Striate.Embeddings;
using Striate.Models;
using Striate.Runs;
using Striate.Tensors;

namespace Striate.Cli;

/// <summary>
/// <c>striate train --task deepface</c>: trains a DeepFace similarity head (weighted L1 or chi-squared, with a learned
/// logistic output) on the frozen embeddings of a trained embedding model, chooses its threshold on held-out training
/// pairs, reports it against the plain squared distance on test pairs of the trained and of the other classes, and
/// saves it for <c>striate verify --head</c>.
/// </summary>
public static class DeepFaceTask
{
    private static readonly Option<string?> s_embeddingModel = new("--embedding-model") { Description = "With --task deepface: the trained embedding model whose frozen embeddings the head learns on." };
    private static readonly Option<string> s_distance = new Option<string>("--distance") { Description = "With --task deepface: l1 (weighted L1) or chi2 (chi-squared on (e + 1) / 2).", DefaultValueFactory = _ => "l1" }
        .Choice(d => DeepFaceHeadFile.TryParseDistance(d, out var parsed) ? parsed : throw new ArgumentException($"unknown distance '{d}'. Valid distances: l1 (weighted L1), chi2 (chi-squared)."));

    /// <summary>The options only this task reads.</summary>
    public static IEnumerable<Option> Options => [s_embeddingModel, s_distance];

    /// <summary>Runs the task with the shared train options (--data, --epochs, --lr, --seed, --out, --classes, --pairs, --json).</summary>
    public static int Run(ParseResult r, int[]? classes, int pairs, TextWriter stdout, TextWriter stderr)
    {
        var sw = Stopwatch.StartNew();
        string modelPath = r.GetValue(s_embeddingModel) ?? throw new CliUsageException("--task deepface needs --embedding-model, a model trained with 'striate train --task triplet|contrastive'.");
        DeepFaceHeadFile.TryParseDistance(r.GetValue(s_distance), out var distance);
        var model = EmbeddingModel.Load(modelPath);
        int epochs = r.GetValue<int>("--epochs");
        float lr = r.GetValue<float?>("--lr") ?? 0.01f;
        ulong seed = r.GetValue<ulong>("--seed");
        if (r.GetValue<int?>("--threads") is int t) Threading.Parallelism.Threads = t;
        bool asJson = r.GetValue<bool>("--json");
        var log = asJson ? stderr : stdout;
        string output = r.GetValue<string?>("--out") ?? Path.Combine("runs", $"{Path.GetFileNameWithoutExtension(modelPath)}-deepface-{DeepFaceHeadFile.Name(distance)}.safetensors");
        Output.CheckWritable(output, "--out");

        string folder = DataLocator.Resolve(r.GetValue<string?>("--data"));
        var ckpt = model.Checkpoint;
        var train = Datasets.LoadIdx(folder, train: true).Normalize(ckpt.Mean, ckpt.Std);
        var test = Datasets.LoadIdx(folder, train: false).Normalize(ckpt.Mean, ckpt.Std);
        classes ??= TrainedClasses.Read(ckpt.Extra) ?? Enumerable.Range(0, train.ClassCount).ToArray();
        var seen = classes.ToHashSet();
        int[] indices = Enumerable.Range(0, train.Count).Where(i => seen.Contains(train.Labels[i])).ToArray();
        int limit = r.GetValue<int>("--limit");
        if (limit > 0 && limit < indices.Length) indices = indices[..limit];
        // A tenth of the images (drawn from the seed) is held out to choose the threshold on.
        var order = new Generator(seed).Permutation(indices.Length);
        int held = Math.Max(2, indices.Length / 10);
        var fit = train.Subset(order.Skip(held).Select(i => indices[i]).ToArray());
        var hold = train.Subset(order.Take(held).Select(i => indices[i]).ToArray());
        if (!Verification.HasSameAndDifferentPairs(hold.Labels) || !Verification.HasSameAndDifferentPairs(fit.Labels))
            throw new CliUsageException($"--task deepface needs same and different pairs (two classes, one with two images) both in the {fit.Count} training images and in the {hold.Count} held out for the threshold; use more images (--limit) or classes.");
        log.WriteLine($"training a DeepFace {DeepFaceHeadFile.Name(distance)} head on the frozen {model.Net.EmbeddingDim}-value embeddings of {modelPath}, classes {string.Join(",", classes)}: " +
            $"{fit.Count:N0} images ({hold.Count:N0} held out for the threshold), {epochs} epochs of 20,000 pairs, adam lr {lr.ToString(CultureInfo.InvariantCulture)}, seed {seed}");
        var fitEmb = EmbeddingEvaluation.Embed(model.Net, fit);
        DeepFaceSimilarity head;
        try
        {
            head = DeepFaceTraining.Train(fitEmb, fit.Labels, distance, epochs, lr: lr, seed: seed, onEpoch: (e, loss) =>
            {
                if (asJson) Output.Json(stdout, new { epoch = e, train_loss = loss });
                else stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"epoch {e}/{epochs}  loss {loss:F4}"));
                stdout.Flush();
            });
        }
        catch (ArgumentException e)
        {
            throw Arguments.Refused(e, r.CommandResult.Command);
        }
        var holdEmb = EmbeddingEvaluation.Embed(model.Net, hold);
        var holdPairs = Verification.SamplePairs(hold.Labels, 4000, seed ^ 0x5EED);
        double threshold = -Verification.ChooseThreshold(Negated(DeepFaceTraining.Scores(head, holdEmb, holdPairs)), holdPairs.Select(p => p.Same).ToArray());

        var testEmb = EmbeddingEvaluation.Embed(model.Net, test);
        var measured = new Dictionary<string, PairResult>();
        foreach (var (name, set) in new[] { ("seen", seen), ("unseen", Enumerable.Range(0, test.ClassCount).Where(k => !seen.Contains(k)).ToHashSet()) })
        {
            var idx = Enumerable.Range(0, test.Count).Where(i => set.Contains(test.Labels[i])).ToArray();
            if (!Verification.HasSameAndDifferentPairs(idx.Select(i => test.Labels[i]).ToArray())) continue;
            var p = EmbeddingReport.Draw(idx.Select(i => test.Labels[i]).ToArray(), pairs, seed ^ 0x7E57).Select(x => (idx[x.A], idx[x.B], x.Same)).ToArray();
            var same = p.Select(x => x.Item3).ToArray();
            var scores = DeepFaceTraining.Scores(head, testEmb, p);
            var (d, _) = EmbeddingEvaluation.Distances(testEmb, p);
            double accuracy = scores.Zip(same, (s, y) => s >= threshold == y).Count(ok => ok) / (double)same.Length;
            measured[name] = new PairResult(Verification.RocAuc(Negated(scores), same), accuracy, Verification.RocAuc(d, same));
        }
        var inv = CultureInfo.InvariantCulture;
        var settings = new Dictionary<string, string>
        {
            ["embedding_model"] = Path.GetFileName(modelPath),
            ["classes"] = string.Join(",", classes),
            ["limit"] = limit.ToString(inv),
            ["epochs"] = epochs.ToString(inv),
            ["lr"] = lr.ToString("R", inv),
            ["seed"] = seed.ToString(inv),
            ["pairs_per_epoch"] = DeepFaceTraining.PairsPerEpoch.ToString(inv),
            ["batch_size"] = DeepFaceTraining.BatchSize.ToString(inv),
        };
        new DeepFaceHeadFile(head, threshold, model.WeightsDigest, settings).Save(output);
        double wall = sw.Elapsed.TotalSeconds;
        if (asJson)
            Output.Json(stdout, new { distance = DeepFaceHeadFile.Name(distance), threshold, threshold_probability = 1 / (1 + Math.Exp(-threshold)), pairs = measured.ToDictionary(kv => kv.Key, kv => new { auc = kv.Value.Auc, accuracy = kv.Value.Accuracy, distance_auc = kv.Value.DistanceAuc }), wall_seconds = wall, head = Path.GetFullPath(output) });
        else
        {
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"threshold: logit {threshold:F4} (probability {1 / (1 + Math.Exp(-threshold)):F4}), chosen for best accuracy on held-out training pairs"));
            foreach (var (name, m) in measured)
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} test pairs: learned similarity AUC {m.Auc:F4}, accuracy {m.Accuracy:P2}; squared distance AUC {m.DistanceAuc:F4}"));
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wall time {wall:F1} s"));
        }
        log.WriteLine($"saved {Path.GetFullPath(output)}");
        return 0;
    }

    private sealed record PairResult(double Auc, double Accuracy, double DistanceAuc);

    // Scores (higher: more alike) as distances (lower: more alike) for the verification metrics.
    private static double[] Negated(double[] scores) => scores.Select(s => -s).ToArray();
}
