using Striate.Data;
using Striate.Embeddings;
using Striate.Models;
using Striate.Ops;
using Striate.Optim;
using Striate.Tensors;

namespace Striate.Runs;

/// <summary>
/// The embedding objective: the triplet loss (online mining; batch-all during the warm-up epochs) or the contrastive
/// loss over every pair of a batch, plus, when asked, the weighted instance term over each image and a second view of
/// it; the mean over the batches, a triplet batch without a same and a different pair skipped. After each epoch tau
/// is chosen on pairs of the held-out images; reduce-on-plateau watches 1 - AUC on those pairs.
/// </summary>
internal sealed class EmbeddingObjective(EmbeddingOptions options, EmbeddingNet model, EmbeddingNet final, DataLoader loader,
    ImageDataset validation, Data.Transforms.ImageTransform? instanceAugment) : ITrainingObjective<Batch, EmbeddingEpoch>
{
    private readonly ImageDataset _train = loader.Dataset;

    /// <summary>The threshold chosen after the last epoch evaluated.</summary>
    public double Tau { get; private set; } = double.NaN;

    public int BatchCount => loader.BatchCount;

    public IEnumerable<Batch> Batches(int epoch)
    {
        model.Train();
        return loader.Epoch(epoch);
    }

    public StepOutcome? Step(Batch batch, int epoch)
    {
        if (options.Task == "triplet" && !Verification.HasSameAndDifferentPairs(batch.Labels)) return null;
        var mining = epoch < options.WarmupEpochs ? TripletMining.BatchAll : options.Mining;
        var loss = instanceAugment is null ? Loss(model.Project(batch.Images), batch.Labels, mining) : InstanceLoss(batch, epoch, mining);
        return new StepOutcome(loss, 1, batch.Count);
    }

    public EmbeddingEpoch Evaluate(int epoch, EpochStats stats)
    {
        if (stats.Steps == 0)
            throw new InvalidOperationException($"no batch of epoch {epoch + 1} could form a triplet (each needs two classes and a class with two images); use larger batches or fewer classes.");
        var emb = EmbeddingEvaluation.Embed(final, validation);
        var pairs = Verification.SamplePairs(validation.Labels, options.ValidationPairs, options.Seed + (ulong)epoch);
        var (d, s) = EmbeddingEvaluation.Distances(emb, pairs);
        Tau = Verification.ChooseThreshold(d, s, options.Criterion);
        return new EmbeddingEpoch(epoch + 1, stats.Loss, Verification.RocAuc(d, s), Tau, Verification.AccuracyAt(d, s, Tau), stats.ExamplesPerSecond,
            stats.Seconds, stats.Skipped);
    }

    public double PlateauFigure(EmbeddingEpoch record) => 1 - record.ValidationAuc;

    private Tensor Loss(Tensor e, int[] labels, TripletMining mining)
    {
        if (options.Task == "triplet") return F.TripletLoss(e, labels, options.Margin, mining);
        // Contrastive: every pair (i < j) of the batch.
        int n = labels.Length, m = n * (n - 1) / 2, k = 0;
        var left = new int[m];
        var right = new int[m];
        var same = new bool[m];
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++, k++)
            {
                left[k] = i;
                right[k] = j;
                same[k] = labels[i] == labels[j];
            }
        return F.ContrastiveLoss(F.IndexSelect(e, left), F.IndexSelect(e, right), same, options.Margin);
    }

    // The class loss on the batch as given plus the weighted instance term over the batch and its second views.
    private Tensor InstanceLoss(Batch batch, int epoch, TripletMining mining)
    {
        int n = batch.Count, size = _train.Channels * _train.Height * _train.Width;
        var views = Tensor.Empty(batch.Images.Shape);
        ulong seed = new Generator(options.Seed).Fork(0x1A57).Seed;
        for (int i = 0; i < n; i++)
            instanceAugment!.Apply(_train.Image(batch.Indices[i]), views.Data.Slice(i * size, size), _train.Channels, _train.Height, _train.Width,
                Data.Transforms.ImageTransform.SampleSeed(seed, epoch, batch.Indices[i]));
        var both = F.Concat([batch.Images, views], 0);
        var (e, z) = options.InstanceOnProjection ? model.ForwardWithProjection(both) : (model.Project(both), null);
        var identities = new int[2 * n];
        for (int i = 0; i < n; i++) identities[i] = identities[n + i] = i;
        var classLoss = Loss(F.IndexSelect(e, Enumerable.Range(0, n).ToArray()), batch.Labels, mining);
        var instanceLoss = F.TripletLoss(z ?? e, identities, options.InstanceMargin ?? options.Margin, TripletMining.BatchAll);
        return F.Add(classLoss, F.MulScalar(instanceLoss, options.InstanceWeight));
    }
}
