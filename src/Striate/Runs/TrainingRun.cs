using System.Globalization;
using Striate.Data;
using Striate.Models;
using Striate.Nn;
using Striate.Optim;
using Striate.Tensors;
using Striate.Training;

namespace Striate.Runs;

/// <summary>
/// A whole training run on a labelled image set: normalises with statistics of the training images,
/// builds or resumes the model, trains epoch by epoch, evaluates on the test set, and after every epoch writes
/// the checkpoint (atomically) and appends to the CSV and JSON-lines logs beside it. A run resumed from the
/// checkpoint of epoch k ends with the same weights as an uninterrupted run: the batch order of an epoch
/// depends only on the seed and the epoch number.
/// </summary>
public sealed class TrainingRun
{
    private readonly TrainingOptions _options;
    private readonly ImageDataset _train;
    private readonly ImageDataset? _validation;
    private readonly ImageDataset _test;

    public TrainingRun(TrainingOptions options, ImageDataset trainRaw, ImageDataset testRaw)
    {
        Checkpoint? resume = options.Resume is null ? null : Checkpoint.Load(options.Resume);
        if (resume is { IsWeightsOnly: true })
            throw new ArgumentException($"--resume: '{options.Resume}' holds weights only (striate export --weights-only); resume from the checkpoint the run wrote, or fine-tune from this one.");
        // A resumed run continues with its checkpoint's settings.
        if (resume is not null) options = options.ResumedFrom(resume.Header);
        _options = options;
        SettingException.Require(options.Epochs >= 1, nameof(options.Epochs), "epochs", $"must be >= 1, got {options.Epochs}.");
        SettingException.Require(options.BatchSize >= 1, nameof(options.BatchSize), "the batch size", $"must be >= 1, got {options.BatchSize}.");
        SettingException.Require(options.Optimizer.Lr > 0, "Lr", "the learning rate", $"must be > 0, got {options.Optimizer.Lr}.");
        SettingException.Require(options.Validation is >= 0 and < 1, nameof(options.Validation), "the validation fraction", $"must be in [0, 1), got {options.Validation}.");
        if (options.TrainLimit > 0 && options.TrainLimit < trainRaw.Count) trainRaw = trainRaw.Subset(Enumerable.Range(0, options.TrainLimit).ToArray());
        if (options.Imbalance is { } cut) trainRaw = ClassBalance.Reduce(trainRaw, cut.Classes, cut.Fraction);
        if (options.TestLimit > 0 && options.TestLimit < testRaw.Count) testRaw = testRaw.Subset(Enumerable.Range(0, options.TestLimit).ToArray());

        Seed = options.Seed;
        SettingException.Require(options.Channels is null or 1 or 3, nameof(options.Channels), "the channels", $"must be 1 (gray) or 3 (RGB), got {options.Channels}.");
        // RGB data for a gray model becomes luma here (the set shrinks); gray data for an RGB model is repeated into
        // three channels as its batches are assembled, with the gray statistics for each.
        if (options.Channels == 1 && trainRaw.Channels == 3)
        {
            trainRaw = trainRaw.WithChannels(1);
            testRaw = testRaw.WithChannels(1);
        }
        int channels = options.Channels ?? trainRaw.Channels;
        if (channels != trainRaw.Channels && trainRaw.Channels != 1)
            throw new ArgumentException($"the images have {trainRaw.Channels} channels; only gray (1) or RGB (3) images can be converted to {channels}.");
        var (height, width) = options.ImageSize ?? (trainRaw.Height, trainRaw.Width);
        SettingException.Require(height >= 1 && width >= 1, nameof(options.ImageSize), "the image size", $"must be at least 1x1, got {height}x{width}.");
        var spec = resume?.Spec ?? new ModelSpec(options.Model ?? "lenet5", trainRaw.ClassCount, channels, height, width);
        if (resume is not null && options.Model is not null && resume.Spec.Architecture != options.Model)
            throw new ArgumentException($"--resume: the checkpoint holds '{resume.Spec.Architecture}', not '{options.Model}'.");
        if (spec.InChannels != channels)
            throw new ArgumentException($"the model expects {spec.InChannels}x{spec.InputHeight}x{spec.InputWidth} images, the data has {trainRaw.Channels}x{trainRaw.Height}x{trainRaw.Width}.");
        // Images of another height and width are resized, and gray ones repeated into RGB, as their batches are assembled.
        var resize = spec.InputHeight != trainRaw.Height || spec.InputWidth != trainRaw.Width ? new Data.Transforms.Resize(spec.InputHeight, spec.InputWidth) : null;
        var repeat = channels != trainRaw.Channels ? new Data.Transforms.ConvertChannels(channels) : null;
        _fit = resize is null ? repeat : repeat is null ? resize : new Data.Transforms.Compose(resize, repeat);
        if (resume is not null && (trainRaw.ClassCount != resume.Spec.NumClasses || (resume.ClassNames.Count > 0 && !trainRaw.ClassNames.SequenceEqual(resume.ClassNames))))
            throw new ArgumentException($"--resume: the checkpoint was trained on the classes [{string.Join(", ", resume.ClassNames)}] ({resume.Spec.NumClasses}); the data has [{string.Join(", ", trainRaw.ClassNames)}] ({trainRaw.ClassCount}).");
        if (testRaw.Channels != trainRaw.Channels || testRaw.Height != trainRaw.Height || testRaw.Width != trainRaw.Width)
            throw new ArgumentException($"the test images are {testRaw.Channels}x{testRaw.Height}x{testRaw.Width}, the training images {trainRaw.Channels}x{trainRaw.Height}x{trainRaw.Width}; both splits must have one size.");

        var (mean, std) = resume is not null ? (resume.Mean[..trainRaw.Channels], resume.Std[..trainRaw.Channels]) : trainRaw.ChannelStatistics();
        // The model's statistics: one per channel it takes (the gray one for each repeated channel).
        Mean = [.. Enumerable.Range(0, channels).Select(c => mean[c % mean.Length])];
        Std = [.. Enumerable.Range(0, channels).Select(c => std[c % std.Length])];
        var all = trainRaw.Normalize(mean, std);
        if (options.Validation > 0)
        {
            (_train, _validation) = all.Split(options.Validation, new Generator(Seed).Fork(0xDA7A));
            if (_train.Count == 0 || _validation.Count == 0)
                throw new ArgumentException($"a validation fraction of {options.Validation} of {all.Count} images leaves {_train.Count} for training and {_validation.Count} for validation; both need at least one.");
        }
        else
            _train = all;
        _test = testRaw.Normalize(mean, std);

        Spec = spec;
        Model = resume?.Model ?? ModelZoo.Create(spec, new Generator(Seed));
        if (resume is null) Nn.Init.Apply(Model, options.Init, new Generator(Seed).Fork(0x1417));
        if (resume is null && options.Weights is { } start)
        {
            try
            {
                Model.Load(start);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"the weights '{start}' do not fit {spec.Architecture} for {spec.NumClasses} classes and {spec.InChannels}x{spec.InputHeight}x{spec.InputWidth} images: {e.Message}", e);
            }
        }
        // One image through the model before any training: an input too small for it fails here, naming the layer.
        ModelSummary summary;
        try
        {
            summary = ModelSummary.Of(Model, spec.InChannels, spec.InputHeight, spec.InputWidth, spec.Architecture);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{spec.Architecture} cannot take {spec.InChannels}x{spec.InputHeight}x{spec.InputWidth} images: {e.Message}" +
                (resume is null ? " Give an image size (--image-size N) that it takes; the images are resized as their batches are assembled." : ""), e);
        }
        CheckBatchMemory(summary, options.BatchSize, _train.Count);
        OptimizerConfig = options.Optimizer;
        Optimizer = OptimizerConfig.Create(Model.Parameters());
        if (resume is not null) Optimizer.LoadStateDict(resume.OptimizerState);
        StartEpoch = resume?.Epoch ?? 0;
        EpochsDone = StartEpoch;
        if (StartEpoch >= options.Epochs)
            throw new ArgumentException($"--resume: the checkpoint has already trained {StartEpoch} epochs; ask for more than that with --epochs.");
        AugmentName = options.Augment;
        var augment = Data.Transforms.Compose.Named(AugmentName, -Mean[0] / Std[0]);
        _augment = _fit is null ? augment : augment is null ? _fit : new Data.Transforms.Compose(_fit, augment);
        var schedule = options.Schedule.Create();
        ScheduleName = schedule.ToString()!;
        if (schedule.Plateau is { } plateau && resume?.Extra.GetValueOrDefault(TrainingOptions.PlateauStateKey) is string plateauState)
        {
            try
            {
                plateau.Restore(plateauState);
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"--resume: the checkpoint's plateau_state cannot be read: {e.Message}");
            }
        }
        ClipGradNorm = options.ClipGradNorm;
        SettingException.Require(ClipGradNorm is not double c || c > 0, nameof(options.ClipGradNorm), "the gradient clipping norm", $"must be > 0, got {ClipGradNorm}.");
        Trainer = new Trainer(Model, Optimizer)
        {
            Schedule = schedule,
            BaseLr = OptimizerConfig.Lr,
            TotalEpochs = options.Epochs,
            ClipGradNorm = ClipGradNorm,
        };
        EarlyStop = resume?.Extra.GetValueOrDefault(TrainingOptions.EarlyStoppingKey) is string es ? EarlyStopping.FromJson(es)
            : options.EarlyStoppingPatience is int patience ? new EarlyStopping(patience, options.EarlyStoppingMinDelta, options.EarlyStoppingMonitor) : null;
        if (EarlyStop is not null && _validation is null)
            throw new ArgumentException("early stopping watches the validation set; hold out part of the training images with a validation fraction (--validation F).");
        if (EarlyStop is { Stopped: true })
            throw new ArgumentException($"--resume: the run stopped early after epoch {StartEpoch} ({EarlyStop.Patience} epochs without a better validation {EarlyStopping.NameOf(EarlyStop.Monitor)}); its best epoch, {EarlyStop.BestEpoch}, is in {BestPath}.");
        if (!Enum.IsDefined(options.Balance)) throw new ArgumentOutOfRangeException(nameof(options), options.Balance, "not a class balancing.");
        if (options.Balance == ClassBalancing.Weight)
        {
            var alpha = ClassBalance.MedianFrequencyWeights(_train.Labels, _train.ClassCount);
            var weights = Tensor.Persistent(new Shape(alpha.Length));
            alpha.CopyTo(weights.Data);
            Trainer.ClassWeights = weights;
        }
    }

    /// <summary>Early stopping and its state, saved in the checkpoint; null when off.</summary>
    public EarlyStopping? EarlyStop { get; }

    /// <summary>The run's files: its checkpoint, the best epoch's (early stopping) and the logs.</summary>
    public RunFiles Files => new(_options.Output);

    /// <summary>Where early stopping keeps the best epoch's checkpoint (<see cref="RunFiles.Best"/>).</summary>
    public string BestPath => Files.Best;

    /// <summary>The learning-rate schedule's text, saved in the checkpoint.</summary>
    public string ScheduleName { get; }

    /// <summary>The augmentation's name, saved in the checkpoint.</summary>
    public string AugmentName { get; }

    private readonly Data.Transforms.ImageTransform? _augment;
    private readonly Data.Transforms.ImageTransform? _fit;

    /// <summary>The gradient clipping norm, saved in the checkpoint; null for none.</summary>
    public double? ClipGradNorm { get; }

    public ulong Seed { get; }
    public ModelSpec Spec { get; }
    public Module Model { get; }
    public OptimizerConfig OptimizerConfig { get; }
    public Optimizer Optimizer { get; }
    public Trainer Trainer { get; }
    public float[] Mean { get; }
    public float[] Std { get; }
    public int StartEpoch { get; }
    public ImageDataset TrainSet => _train;
    public ImageDataset TestSet => _test;

    /// <summary>Trains the remaining epochs; <paramref name="onEpoch"/> sees each finished epoch.</summary>
    public IReadOnlyList<EpochRecord> Run(Action<EpochRecord>? onEpoch = null, Action<BatchProgress>? onBatch = null, CancellationToken cancel = default)
    {
        var trainLoader = new DataLoader(_train, _options.BatchSize, shuffle: true, seed: Seed, transform: _augment, workers: _options.Workers)
        {
            Sampler = _options.Balance == ClassBalancing.Sample ? WeightedRandomSampler.BalancedClasses(_train.Labels, _train.ClassCount, new Generator(Seed).Fork(0xBA1A).Seed) : null,
        };
        var objective = Trainer.Objective(trainLoader, _validation is null ? null : new DataLoader(_validation, 500, transform: _fit), new DataLoader(_test, 500, transform: _fit));
        using var steps = new StepLog(Files.Steps, restart: StartEpoch == 0);
        var loop = new EpochLoop<EpochRecord>(Trainer.Steps)
        {
            EarlyStop = EarlyStop,
            AfterEpoch = (record, epochsDone, best) =>
            {
                Save(epochsDone);
                if (best) Save(epochsDone, BestPath);
                AppendLogs(record);
                steps.Flush();
            },
        };
        return loop.Run(objective, StartEpoch, _options.Epochs, onEpoch, p =>
        {
            steps.Add(p);
            onBatch?.Invoke(p);
        }, cancel);
    }

    /// <summary>Epochs completed and saved to the output so far (the resumed checkpoint's before the first).</summary>
    public int EpochsDone { get; private set; }

    /// <summary>Writes the checkpoint for <paramref name="epochsDone"/> completed epochs (to the run's output unless given).</summary>
    public void Save(int epochsDone, string? path = null)
    {
        ToCheckpoint(epochsDone).Save(path ?? _options.Output);
        if (path is null) EpochsDone = epochsDone;
    }

    // A batch whose activations (the summary's training figure per image) cannot fit in the memory this process may
    // use is refused before training starts, with the largest batch that would: the alternative is an out-of-memory
    // crash in the first step.
    private static void CheckBatchMemory(ModelSummary summary, int batchSize, int trainCount)
    {
        if (BatchMemoryProblem(summary.Model, summary.TrainingBytes, summary.Parameters, batchSize, trainCount, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes) is { } problem)
            throw new SettingException(nameof(TrainingOptions.BatchSize), "the batch size", problem);
    }

    /// <summary>
    /// Why a batch of <paramref name="batchSize"/> (at most the <paramref name="trainCount"/> training images) of a model
    /// needing <paramref name="perImage"/> bytes per image for training, with <paramref name="parameters"/> weights (each
    /// with a gradient and two optimizer moments), does not fit in <paramref name="available"/> bytes; null when it does.
    /// </summary>
    internal static string? BatchMemoryProblem(string model, long perImage, long parameters, int batchSize, int trainCount, long available)
    {
        long images = Math.Min(batchSize, Math.Max(trainCount, 1));
        long fixedBytes = 4 * parameters * sizeof(float);
        if (available <= 0 || perImage <= 0 || fixedBytes + images * perImage <= available) return null;
        long fits = Math.Max(0, (available - fixedBytes) / perImage);
        static string GiB(long bytes) => (bytes / (double)(1L << 30)).ToString("F2", System.Globalization.CultureInfo.InvariantCulture) + " GiB";
        return $"must be at most {fits} here, got {batchSize}: a training batch of {model} needs about {GiB(perImage)} per image " +
            $"({GiB(images * perImage + fixedBytes)} for {images} images with the weights), and this process may use {GiB(available)}.";
    }

    /// <summary>The run's state after <paramref name="epochsDone"/> epochs as a checkpoint (its model is the live one).</summary>
    public Checkpoint ToCheckpoint(int epochsDone) =>
        new()
        {
            Spec = Spec,
            Model = Model,
            Epoch = epochsDone,
            ClassNames = _train.ClassNames,
            Mean = Mean,
            Std = Std,
            Optimizer = OptimizerConfig,
            OptimizerState = Optimizer.StateDict(),
            Seed = Seed,
            Extra = RunSettings(),
        };

    // The settings (TrainingOptions owns their keys) and the run's state that a resumed run continues from.
    private Dictionary<string, string> RunSettings()
    {
        var d = _options.ToMetadata();
        if (Trainer.Schedule?.Plateau is { } plateau) d[TrainingOptions.PlateauStateKey] = plateau.State;
        if (EarlyStop is not null) d[TrainingOptions.EarlyStoppingKey] = EarlyStop.ToJson();
        return d;
    }

    private void AppendLogs(EpochRecord r) =>
        TrainingLog.Append(Files.Csv, Files.Jsonl, r, restart: r.Epoch == StartEpoch + 1 && StartEpoch == 0);
}
