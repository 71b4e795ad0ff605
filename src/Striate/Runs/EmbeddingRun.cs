using System.Diagnostics;
using System.Globalization;
using Striate.Data;
using Striate.Embeddings;
using Striate.Models;
using Striate.Ops;
using Striate.Optim;
using Striate.Tensors;
using Striate.Training;
using Striate.Transfer;

namespace Striate.Runs;

/// <summary>
/// Trains an embedding with the triplet loss (online mining) or the contrastive loss (every pair of a batch),
/// on chosen classes of a labelled dataset standing in for identities. After every epoch tau is chosen on pairs
/// of held-out training images; the checkpoint records the spec, the normalisation and tau, so embed, verify,
/// enroll and identify need nothing else.
/// </summary>
public sealed class EmbeddingRun
{
    private readonly EmbeddingOptions _options;
    private readonly ImageDataset _train;
    private readonly ImageDataset _validation;
    private readonly Data.Transforms.ImageTransform? _augment;
    private readonly LrSchedule _schedule;
    private readonly Data.Transforms.ImageTransform? _instanceAugment;

    public EmbeddingRun(EmbeddingOptions options, ImageDataset trainRaw)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.Task is not ("triplet" or "contrastive"))
            throw new ArgumentException($"unknown embedding task '{options.Task}'. Valid tasks: triplet, contrastive.");
        SettingException.Require(options.Epochs >= 1, nameof(options.Epochs), "epochs", $"must be >= 1, got {options.Epochs}.");
        SettingException.Require(options.BatchSize >= 4, nameof(options.BatchSize), "the batch size", $"must be >= 4 (an embedding batch needs pairs of classes), got {options.BatchSize}.");
        SettingException.Require(options.Lr > 0, nameof(options.Lr), "the learning rate", $"must be > 0, got {options.Lr}.");
        SettingException.Require(options.WarmupEpochs >= 0, nameof(options.WarmupEpochs), "warm-up epochs", $"must be >= 0, got {options.WarmupEpochs}.");
        SettingException.Require(options.ProjectionDim >= 0, nameof(options.ProjectionDim), "the projection head's width", $"must be >= 0 (0: none), got {options.ProjectionDim}.");
        SettingException.Require(options.Validation is > 0 and < 1, nameof(options.Validation), "the validation fraction", $"must be in (0, 1), got {options.Validation}.");
        SettingException.Require(options.ValidationPairs >= 2, nameof(options.ValidationPairs), "the validation pairs", $"must be >= 2 (one same, one different, to choose tau), got {options.ValidationPairs}.");
        if (options.Task == "triplet" ? !(options.Margin >= 0) : !(options.Margin > 0))
            throw new ArgumentException($"the {options.Task} margin must be {(options.Task == "triplet" ? ">= 0" : "> 0")}, got {options.Margin}.");
        var classes = options.Classes.Count > 0 ? options.Classes : Enumerable.Range(0, trainRaw.ClassCount).ToList();
        if (classes.Count < 2) throw new ArgumentException($"embedding training needs at least two classes (identities), got {classes.Count}.");
        var set = ClassSelection.Select(trainRaw, classes);
        if (options.TrainLimit > 0 && options.TrainLimit < set.Count)
            set = set.Subset(new Generator(options.Seed).Fork(0x11).Permutation(set.Count)[..options.TrainLimit].Order().ToArray());
        if (options.Normalization is { } given && (given.Mean.Length != set.Channels || given.Std.Length != set.Channels))
            throw new ArgumentException($"the normalisation has {given.Mean.Length} means and {given.Std.Length} deviations; the images have {set.Channels} channels.");
        (Mean, Std) = options.Normalization ?? set.ChannelStatistics();
        (_train, _validation) = set.Normalize(Mean, Std).Split(options.Validation, new Generator(options.Seed).Fork(0xDA7A));
        if (_train.Count < options.BatchSize)
            throw new ArgumentException($"the training split has {_train.Count} images, fewer than one batch of {options.BatchSize} (incomplete batches are dropped, so nothing would be trained); use a smaller batch or more images.");
        if (!Verification.HasSameAndDifferentPairs(_validation.Labels))
            throw new ArgumentException($"the validation split ({_validation.Count} images) needs two classes and a class with two images to choose tau on; use more images or a larger validation fraction.");
        Classes = classes;
        SettingException.Require(options.EmaDecay is >= 0 and < 1, nameof(options.EmaDecay), "the weight average's decay", $"must be in [0, 1) (0: off), got {options.EmaDecay}.");
        Spec = new ModelSpec(options.Model, classes.Count, set.Channels, set.Height, set.Width, options.EmbeddingDim, options.Normalize, options.ProjectionDim, options.FlipAverage);
        Model = (EmbeddingNet)ModelZoo.Create(Spec, new Generator(options.Seed));
        if (options.EmaDecay > 0) AveragedModel = (EmbeddingNet)ModelZoo.Create(Spec, new Generator(options.Seed));
        Optimizer = new Adam(Model.Parameters(), options.Lr, weightDecay: options.WeightDecay);
        _augment = Data.Transforms.Compose.Named(options.Augment, -Mean[0] / Std[0]);
        _schedule = options.Schedule.Create();
        SettingException.Require(options.InstanceWeight >= 0, nameof(options.InstanceWeight), "the instance term's weight", $"must be >= 0, got {options.InstanceWeight}.");
        SettingException.Require(options.InstanceMargin is not float im || im > 0, nameof(options.InstanceMargin), "the instance term's margin", $"must be > 0, got {options.InstanceMargin}.");
        if (options.InstanceWeight > 0)
        {
            if (options.Task != "triplet") throw new ArgumentException("the instance term goes with the triplet task.");
            if (options.InstanceOnProjection && options.ProjectionDim == 0) throw new ArgumentException("the instance term on the projection head needs a projection head (a projection width > 0).");
            _instanceAugment = Data.Transforms.Compose.Named(options.InstanceAugment, -Mean[0] / Std[0])
                ?? throw new ArgumentException("the instance term needs an augmentation for its second view: standard or strong.");
        }
    }

    public ModelSpec Spec { get; }

    /// <summary>The network being trained.</summary>
    public EmbeddingNet Model { get; }

    /// <summary>The exponential moving average of <see cref="Model"/>'s weights, or null without one.</summary>
    public EmbeddingNet? AveragedModel { get; }

    /// <summary>The model that is validated, saved and measured: the averaged one when there is one.</summary>
    public EmbeddingNet Final => AveragedModel ?? Model;

    /// <summary>What <see cref="InitializeFrom"/> loaded and skipped, or null when the backbone started fresh.</summary>
    public Transfer.TransferReport? Initialization { get; private set; }
    public Optimizer Optimizer { get; }
    public IReadOnlyList<int> Classes { get; }
    public float[] Mean { get; }
    public float[] Std { get; }

    /// <summary>The threshold chosen after the last epoch.</summary>
    public double Tau => _objective?.Tau ?? double.NaN;

    // The objective of the run in progress or done; null before Run.
    private EmbeddingObjective? _objective;

    public ImageDataset TrainSet => _train;

    /// <summary>
    /// Starts the backbone from a classifier's weights (its state dict, keys as the classifier has them), non-strictly:
    /// the classifier's head (its last layer, <see cref="Transfer.ModelHeads"/>) and keys whose shapes differ
    /// are skipped and reported, and the embedding layer starts fresh. Call before <see cref="Run"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No backbone weight was loaded (another architecture).</exception>
    public Transfer.TransferReport InitializeFrom(IEnumerable<KeyValuePair<string, Tensor>> classifierState)
    {
        ArgumentNullException.ThrowIfNull(classifierState);
        var report = Transfer.FineTuning.LoadPretrained(Model.Backbone, classifierState, Transfer.ModelHeads.Of(_options.Model));
        if (report.Loaded.Count == 0)
            throw new ArgumentException($"the initial weights fit no layer of {_options.Model}: skipped {string.Join(", ", report.Skipped.Select(k => $"{k.Key} ({k.Reason})"))}.");
        Initialization = report;
        return report;
    }

    /// <summary>Trains every epoch; <paramref name="onEpoch"/> sees each finished one.</summary>
    public IReadOnlyList<EmbeddingEpoch> Run(Action<EmbeddingEpoch>? onEpoch = null)
    {
        // The average starts from the weights training starts from (after any InitializeFrom).
        var ema = AveragedModel is null ? null : new ExponentialMovingAverage(Model, AveragedModel, _options.EmaDecay);
        var loader = new DataLoader(_train, _options.BatchSize, shuffle: true, seed: _options.Seed, dropLast: true, transform: _augment);
        _objective = new EmbeddingObjective(_options, Model, Final, loader, _validation, _instanceAugment);
        var steps = new StepLoop(Optimizer) { Schedule = _schedule, BaseLr = _options.Lr, AfterStep = ema is null ? null : ema.Update };
        return new EpochLoop<EmbeddingEpoch>(steps).Run(_objective, 0, _options.Epochs, onEpoch);
    }

    /// <summary>Writes the embedding checkpoint (atomically) with tau and the training settings in its metadata.</summary>
    public void Save(string path, int epochs)
    {
        new Checkpoint
        {
            Spec = Spec,
            Model = Final,
            Epoch = epochs,
            ClassNames = _train.ClassNames,
            Mean = Mean,
            Std = Std,
            Optimizer = new OptimizerConfig(OptimizerKind.Adam, _options.Lr, WeightDecay: _options.WeightDecay),
            Seed = _options.Seed,
            Extra = Settings(),
        }.Save(path);
    }

    // The training settings in effect, for the checkpoint's metadata: those of an unused part (mining for the
    // contrastive task, the instance term's when it is off) are left out.
    // The settings (EmbeddingOptions owns their keys), how the backbone started and the plateau's state.
    private Dictionary<string, string> Settings()
    {
        var d = _options.ToMetadata(Tau, Classes);
        d["init"] = Initialization is null ? "fresh" : $"{Initialization.Loaded.Count} tensors from a classifier";
        if (_schedule.Plateau is { } plateau) d[TrainingOptions.PlateauStateKey] = plateau.State;
        return d;
    }
}
