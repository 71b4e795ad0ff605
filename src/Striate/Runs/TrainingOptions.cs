using System.Globalization;
using Striate.Data;
using Striate.IO;
using Striate.Nn;
using Striate.Optim;
using Striate.Training;

namespace Striate.Runs;

/// <summary>
/// What a classification run needs: the model, the data, the optimizer and where to write. Also the one owner of the
/// checkpoint metadata keys of these settings (<see cref="ToMetadata"/>), of what a resumed run keeps from its
/// checkpoint (<see cref="ResumedFrom"/>) and of the resume check (<see cref="Differences"/>).
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>The architecture; null means lenet5, or the checkpoint's when resuming.</summary>
    public string? Model { get; init; }
    public int Epochs { get; init; } = 5;
    public int BatchSize { get; init; } = 64;
    public OptimizerConfig Optimizer { get; init; } = new(OptimizerKind.Adam, 1e-3f);
    public ulong Seed { get; init; } = 1;

    /// <summary>Fraction of the training set held out for validation (0 for none).</summary>
    public double Validation { get; init; }

    /// <summary>Use only the first N training images (0 for all): for quick experiments and tests.</summary>
    public int TrainLimit { get; init; }

    /// <summary>Use only the first N test images (0 for all).</summary>
    public int TestLimit { get; init; }

    /// <summary>The learning-rate schedule over the whole run.</summary>
    public ScheduleSpec Schedule { get; init; } = ScheduleSpec.Constant;

    /// <summary>Training-set augmentation: "none" or "standard" (random crop with padding 2, horizontal flip).</summary>
    public string Augment { get; init; } = "none";

    /// <summary>
    /// The height and width the model takes when they differ from the images': every image is resized (bilinear) as its
    /// batch is assembled, so data of one size (IDX, CIFAR) trains a network that needs another (AlexNet at 227).
    /// Null: the images' own size. A resumed run takes its checkpoint's size.
    /// </summary>
    public (int Height, int Width)? ImageSize { get; init; }

    /// <summary>
    /// The channels the model takes when they differ from the images': gray data (IDX) repeated into RGB for a network
    /// with three input channels, or RGB data (CIFAR) reduced to luma. Null: the images' own. A resumed run takes its
    /// checkpoint's.
    /// </summary>
    public int? Channels { get; init; }

    /// <summary>Threads assembling training batches (null: <see cref="DataLoader.DefaultWorkers"/>); the batches do not depend on it.</summary>
    public int? Workers { get; init; }

    /// <summary>Clip gradients to this joint L2 norm before every step (null: no clipping).</summary>
    public double? ClipGradNorm { get; init; }

    /// <summary>Class balancing: none, median-frequency loss weights or a class-balanced sampler.</summary>
    public ClassBalancing Balance { get; init; }

    /// <summary>For experiments: cut these classes of the training set to a fraction of their images (see <see cref="ClassBalance.Reduce"/>).</summary>
    public (int[] Classes, double Fraction)? Imbalance { get; init; }

    /// <summary>The initialisation of a new model's convolution and linear layers.</summary>
    public InitScheme Init { get; init; }

    /// <summary>
    /// A state dict (.pth or .safetensors, written by PyTorch or Striate) the model starts from in place of its
    /// initialisation, loaded strictly; null for none. A resumed run starts from its checkpoint instead.
    /// </summary>
    public string? Weights { get; init; }

    /// <summary>Stop after this many epochs without a better validation metric (null: never); needs a validation set.</summary>
    public int? EarlyStoppingPatience { get; init; }

    /// <summary>The smallest change of the monitored metric that counts as an improvement.</summary>
    public double EarlyStoppingMinDelta { get; init; }

    /// <summary>The validation metric early stopping watches.</summary>
    public EarlyStoppingMonitor EarlyStoppingMonitor { get; init; }

    /// <summary>The checkpoint written after every epoch.</summary>
    public required string Output { get; init; }

    /// <summary>A checkpoint to continue from.</summary>
    public string? Resume { get; init; }

    // The checkpoint metadata keys of the settings; the optimizer and the seed are the checkpoint's own fields.
    private const string ScheduleKey = "schedule", AugmentKey = "augment", BalanceKey = "balance", InitKey = "init",
        EpochsKey = "epochs_planned", BatchKey = "batch_size", LimitKey = "train_limit", ValidationKey = "validation",
        ClipKey = "clip_grad_norm", StoppingKey = "early_stopping";

    /// <summary>The key under which a run keeps its early-stopping settings and state (<see cref="EarlyStopping.ToJson"/>).</summary>
    public const string EarlyStoppingKey = StoppingKey;

    /// <summary>
    /// The key under which a run trained with <see cref="ImageSize"/> keeps that size ("HxW"): a model whose images were
    /// resized as they were batched, so its test images are resized the same way.
    /// </summary>
    public const string ImageSizeKey = "image_size";

    /// <summary>
    /// The key under which a run trained with <see cref="Channels"/> keeps them: a model whose images were converted,
    /// so its test images are converted the same way.
    /// </summary>
    public const string ChannelsKey = "channels";

    /// <summary>The key under which a run keeps its reduce-on-plateau schedule's state.</summary>
    public const string PlateauStateKey = "plateau_state";

    /// <summary>
    /// The settings as checkpoint metadata: schedule (canonical text), augmentation, balancing, initialisation, epochs
    /// planned, batch size, image limit, validation fraction and (when set) the clipping norm. Run state (the plateau's,
    /// early stopping's) is the run's to add.
    /// </summary>
    public Dictionary<string, string> ToMetadata()
    {
        var inv = CultureInfo.InvariantCulture;
        var d = new Dictionary<string, string>
        {
            [ScheduleKey] = Schedule.Text,
            [AugmentKey] = Augment,
            [BalanceKey] = EnumText.Name(Balance),
            [InitKey] = EnumText.Name(Init),
            [EpochsKey] = Epochs.ToString(inv),
            [BatchKey] = BatchSize.ToString(inv),
            [LimitKey] = TrainLimit.ToString(inv),
            [ValidationKey] = Validation.ToString("R", inv),
        };
        // Where the weights came from, for the record (a resumed run continues from its checkpoint).
        if (Weights is not null) d["initial_weights"] = Path.GetFileName(Weights);
        if (ClipGradNorm is double clip) d[ClipKey] = clip.ToString("R", inv);
        if (ImageSize is var (h, w)) d[ImageSizeKey] = string.Create(inv, $"{h}x{w}");
        if (Channels is int c) d[ChannelsKey] = c.ToString(inv);
        return d;
    }

    /// <summary>
    /// These options with every setting a resumed run keeps taken from its checkpoint: the optimizer, seed, schedule,
    /// augmentation, balancing, initialisation, clipping, early stopping, batch size, image limit, validation fraction
    /// and the size and channels the batches were converted to (a setting the checkpoint predates keeps this record's value). Epochs,
    /// output, test limit, workers and the rest stay as given.
    /// </summary>
    /// <exception cref="InvalidDataException">A stored setting cannot be read.</exception>
    public TrainingOptions ResumedFrom(CheckpointHeader checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var x = checkpoint.Extra;
        var inv = CultureInfo.InvariantCulture;
        T Stored<T>(string key, T fallback, Func<string, T> parse)
        {
            if (!x.TryGetValue(key, out var text)) return fallback;
            try
            {
                return parse(text);
            }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
            {
                throw new InvalidDataException($"--resume: the checkpoint's {key} '{text}' cannot be read ({e.Message}).");
            }
        }
        var stopping = x.TryGetValue(StoppingKey, out var es) ? EarlyStopping.FromJson(es) : null;
        return this with
        {
            Optimizer = checkpoint.Optimizer ?? Optimizer,
            Seed = checkpoint.Seed,
            Schedule = Stored(ScheduleKey, Schedule, ScheduleSpec.Parse),
            Augment = x.GetValueOrDefault(AugmentKey) ?? Augment,
            Balance = Stored(BalanceKey, Balance, v => EnumText.Parse<ClassBalancing>(v, "class balancing", "balancings")),
            Init = Stored(InitKey, Init, Nn.Init.ParseScheme),
            ClipGradNorm = Stored<double?>(ClipKey, null, v => double.Parse(v, NumberStyles.Float, inv)),
            EarlyStoppingPatience = stopping?.Patience,
            EarlyStoppingMinDelta = stopping?.MinDelta ?? 0,
            EarlyStoppingMonitor = stopping?.Monitor ?? EarlyStoppingMonitor.Loss,
            BatchSize = Stored(BatchKey, BatchSize, v => int.Parse(v, inv)),
            TrainLimit = Stored(LimitKey, TrainLimit, v => int.Parse(v, inv)),
            Validation = Stored(ValidationKey, Validation, v => double.Parse(v, NumberStyles.Float, inv)),
            ImageSize = Stored<(int, int)?>(ImageSizeKey, null, v => v.Split('x') is [var h, var w] ? (int.Parse(h, inv), int.Parse(w, inv)) : throw new FormatException("expected HxW")),
            Channels = Stored<int?>(ChannelsKey, null, v => int.Parse(v, inv) is var c and (1 or 3) ? c : throw new FormatException("expected 1 or 3")),
        };
    }

    /// <summary>
    /// The settings of <paramref name="given"/> (named as the command line names them, without "--") whose value here
    /// differs from <paramref name="kept"/>'s, each with both values as text: what a resumed run would silently change.
    /// </summary>
    public IReadOnlyList<SettingDifference> Differences(TrainingOptions kept, IReadOnlySet<string> given)
    {
        ArgumentNullException.ThrowIfNull(kept);
        ArgumentNullException.ThrowIfNull(given);
        var mine = Settings();
        var theirs = kept.Settings();
        return mine.Where(kv => given.Contains(kv.Key) && kv.Value != theirs[kv.Key])
            .Select(kv => new SettingDifference(kv.Key, kv.Value, theirs[kv.Key])).ToList();
    }

    // Every setting a resumed run keeps, by its command-line name, as comparable text.
    private Dictionary<string, string> Settings()
    {
        var inv = CultureInfo.InvariantCulture;
        return new Dictionary<string, string>
        {
            ["optimizer"] = EnumText.Name(Optimizer.Name),
            ["lr"] = Optimizer.Lr.ToString(inv),
            ["momentum"] = Optimizer.Momentum.ToString(inv),
            ["weight-decay"] = Optimizer.WeightDecay.ToString(inv),
            ["seed"] = Seed.ToString(inv),
            ["schedule"] = Schedule.Text,
            ["augment"] = Augment,
            ["balance"] = EnumText.Name(Balance),
            ["init"] = EnumText.Name(Init),
            ["clip-grad-norm"] = ClipGradNorm?.ToString(inv) ?? "none",
            ["early-stopping"] = EarlyStoppingPatience?.ToString(inv) ?? "none",
            ["early-stopping-min-delta"] = EarlyStoppingMinDelta.ToString(inv),
            ["early-stopping-monitor"] = EarlyStopping.NameOf(EarlyStoppingMonitor),
            ["batch-size"] = BatchSize.ToString(inv),
            ["limit"] = TrainLimit.ToString(inv),
            ["validation"] = Validation.ToString(inv),
        };
    }
}
