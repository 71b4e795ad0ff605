using System.Globalization;
using Striate.Embeddings;
using Striate.Ops;

namespace Striate.Runs;

/// <summary>
/// What an <see cref="EmbeddingRun"/> trains: backbone, embedding, loss, classes and schedule. Also the one owner of the
/// checkpoint metadata keys an embedding model's settings are saved under (<see cref="ToMetadata"/>) and of reading
/// back the two the command line uses: the threshold tau (<see cref="StoredTau"/>) and the trained classes
/// (<see cref="TrainedClasses"/>).
/// </summary>
public sealed record EmbeddingOptions
{
    /// <summary>The zoo backbone (default lenet5).</summary>
    public string Model { get; init; } = "lenet5";

    public int EmbeddingDim { get; init; } = 64;

    /// <summary>
    /// Width of a training-only projection head (Linear, ReLU, Linear) that the loss is taken on; the embedding is
    /// read before it. 0: no head, the loss is on the embedding itself.
    /// </summary>
    public int ProjectionDim { get; init; }

    /// <summary>Scale embeddings to unit length (FaceNet).</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>"triplet" or "contrastive".</summary>
    public string Task { get; init; } = "triplet";

    public TripletMining Mining { get; init; } = TripletMining.BatchHard;

    /// <summary>
    /// Epochs of batch-all mining before <see cref="Mining"/> takes over (batch-hard from a fresh network tends to
    /// collapse every embedding to one point; a batch-all warm-up avoids it). 0: <see cref="Mining"/> throughout.
    /// </summary>
    public int WarmupEpochs { get; init; }

    /// <summary>
    /// Weight of the instance term (0: off). Each training image also gets a second view under
    /// <see cref="InstanceAugment"/>, and a batch-all triplet loss treats every image as an identity of its own
    /// (its two views are the positives, every other image a negative), added to the class loss with this weight.
    /// It asks the embedding to keep telling individual images apart, not only the trained classes, which is
    /// what images of classes never trained on need (the instance discrimination of self-supervised learning).
    /// </summary>
    public float InstanceWeight { get; init; }

    /// <summary>
    /// With a projection head, take only the instance term on the head and the class loss on the embedding
    /// itself (false: both on the head). The head then serves the instance task alone: through the shared
    /// backbone it keeps features the trained classes do not need, while the embedding is shaped by the classes.
    /// </summary>
    public bool InstanceOnProjection { get; init; }

    /// <summary>alpha of the instance term's triplet loss; null: <see cref="Margin"/>.</summary>
    public float? InstanceMargin { get; init; }

    /// <summary>The augmentation that makes the instance term's second view: "standard" or "strong".</summary>
    public string InstanceAugment { get; init; } = "strong";

    /// <summary>alpha of the triplet loss, or the contrastive loss's margin.</summary>
    public float Margin { get; init; } = 0.2f;

    /// <summary>
    /// Decay of an exponential moving average of the weights (0: off). With it, the averaged model is the one
    /// validated, saved and measured; training itself is unchanged (see <see cref="Optim.ExponentialMovingAverage"/>).
    /// </summary>
    public double EmaDecay { get; init; }

    /// <summary>
    /// Embed each image as the (normalised) mean of the embeddings of the image and its horizontal mirror. A
    /// property of the model, saved in its spec, so every later use of the checkpoint embeds the same way.
    /// </summary>
    public bool FlipAverage { get; init; }

    /// <summary>The identities (dataset classes) trained on; empty for all.</summary>
    public IReadOnlyList<int> Classes { get; init; } = [];

    public int Epochs { get; init; } = 5;
    public int BatchSize { get; init; } = 64;
    public float Lr { get; init; } = 2e-3f;

    /// <summary>
    /// The learning-rate schedule over the run; a plateau schedule watches 1 - the validation AUC after each epoch.
    /// </summary>
    public Optim.ScheduleSpec Schedule { get; init; } = Optim.ScheduleSpec.Constant;

    /// <summary>Adam's L2 weight decay.</summary>
    public float WeightDecay { get; init; }

    /// <summary>Training-set augmentation of the class loss, a <see cref="Data.Transforms.Compose.Named"/> name: "none", "flip", "standard" or "strong".</summary>
    public string Augment { get; init; } = "none";
    public ulong Seed { get; init; } = 1;

    /// <summary>Train on at most this many images of the chosen classes (0: all).</summary>
    public int TrainLimit { get; init; }

    /// <summary>
    /// Per-channel mean and standard deviation to normalise the images with instead of the training subset's: those
    /// of the classifier whose weights start the backbone (its features were learnt on them). Null: the subset's.
    /// </summary>
    public (float[] Mean, float[] Std)? Normalization { get; init; }

    /// <summary>Fraction of the training images held out to choose tau.</summary>
    public double Validation { get; init; } = 0.1;

    /// <summary>How tau is chosen on the validation pairs.</summary>
    public ThresholdCriterion Criterion { get; init; } = ThresholdCriterion.BestAccuracy;

    /// <summary>Validation pairs sampled after each epoch.</summary>
    public int ValidationPairs { get; init; } = 4000;

    private const string TauKey = "tau";

    /// <summary>
    /// The settings as checkpoint metadata, with the threshold <paramref name="tau"/> chosen on the validation pairs
    /// and the trained <paramref name="classes"/>.
    /// </summary>
    public Dictionary<string, string> ToMetadata(double tau, IReadOnlyList<int> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var inv = CultureInfo.InvariantCulture;
        var d = new Dictionary<string, string>
        {
            [TauKey] = tau.ToString("R", inv),
            ["task"] = Task,
            ["margin"] = Margin.ToString("R", inv),
            [TrainedClasses.Key] = TrainedClasses.Format(classes),
            ["batch_size"] = BatchSize.ToString(inv),
            ["train_limit"] = TrainLimit.ToString(inv),
            ["validation"] = Validation.ToString("R", inv),
            ["validation_pairs"] = ValidationPairs.ToString(inv),
            ["criterion"] = Criterion.ToString(),
            ["augment"] = Augment,
            ["schedule"] = Schedule.Text,
            ["instance_weight"] = InstanceWeight.ToString("R", inv),
            ["ema_decay"] = EmaDecay.ToString("R", inv),
        };
        if (Task == "triplet")
        {
            d["mining"] = Mining.ToString();
            d["warmup_epochs"] = WarmupEpochs.ToString(inv);
        }
        if (InstanceWeight > 0)
        {
            d["instance_margin"] = (InstanceMargin ?? Margin).ToString("R", inv);
            d["instance_augment"] = InstanceAugment;
            d["instance_on_projection"] = InstanceOnProjection ? "true" : "false";
        }
        return d;
    }

    /// <summary>The threshold saved with an embedding model, or null when it has none (or not a finite number).</summary>
    public static double? StoredTau(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return metadata.TryGetValue(TauKey, out var t) && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;
    }
}
