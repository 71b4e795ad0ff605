using Striate.Data;
using Striate.Models;
using Striate.Nn;
using Striate.Optim;
using Striate.Tensors;
using Striate.Training;
using Striate.Transfer;

namespace Striate.Runs;

/// <summary>
/// Trains a classifier on a chosen subset of a dataset's classes, either from scratch or from a pre-trained
/// checkpoint: the model is rebuilt for the new class count, every weight but the old head is loaded, only
/// <see cref="FineTuneOptions.TrainLayers"/> stay trainable, and each parameter group gets its learning rate.
/// Inputs are normalised with the source checkpoint's statistics (the features were learnt on those), or
/// with the training subset's when training from scratch.
/// </summary>
public sealed class FineTuneRun
{
    // The momentum of the "sgd" optimizer.
    private const float SgdMomentum = 0.9f;

    private readonly FineTuneOptions _options;
    private readonly Data.Transforms.ImageTransform? _augment;

    public FineTuneRun(FineTuneOptions options, ImageDataset trainRaw, ImageDataset testRaw)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        SettingException.Require(options.Epochs >= 1, nameof(options.Epochs), "epochs", $"must be >= 1, got {options.Epochs}.");
        SettingException.Require(options.BatchSize >= 1, nameof(options.BatchSize), "the batch size", $"must be >= 1, got {options.BatchSize}.");
        SettingException.Require(options.Lr > 0, nameof(options.Lr), "the learning rate", $"must be > 0, got {options.Lr}.");
        var train = ClassSelection.Select(trainRaw, options.Classes, options.PerClass, options.Seed);
        var test = ClassSelection.Select(testRaw, options.Classes);
        if (options.TestLimit > 0 && options.TestLimit < test.Count)
            test = test.Subset(Enumerable.Range(0, options.TestLimit).ToArray());
        var source = options.From;
        string arch = source?.Spec.Architecture ?? options.Model ?? "lenet5";
        if (source is not null && options.Model is not null && options.Model != arch)
            throw new ArgumentException($"--model '{options.Model}' differs from the checkpoint's architecture '{arch}'.");
        Spec = new ModelSpec(arch, options.Classes.Count, train.Channels, train.Height, train.Width);
        if (source is not null && (source.Spec.InChannels != Spec.InChannels || source.Spec.InputHeight != Spec.InputHeight || source.Spec.InputWidth != Spec.InputWidth))
            throw new ArgumentException($"the checkpoint's model takes {source.Spec.InChannels}x{source.Spec.InputHeight}x{source.Spec.InputWidth} images, the data has {Spec.InChannels}x{Spec.InputHeight}x{Spec.InputWidth}.");
        Model = ModelZoo.Create(Spec, new Generator(options.Seed));
        if (source is not null) Report = FineTuning.LoadPretrained(Model, SourceWeights(source), ModelHeads.Of(arch));
        if (options.TrainLayers.Count > 0)
        {
            FineTuning.TrainOnly(Model, [.. options.TrainLayers]);
            FrozenBatchNorms = FineTuning.FreezeBatchNormStatistics(Model);
        }
        (Mean, Std) = source is not null && source.Mean.Length == train.Channels ? (source.Mean, source.Std) : train.ChannelStatistics();
        TrainSet = train.Normalize(Mean, Std);
        _augment = Data.Transforms.Compose.Named(options.Augment, -Mean[0] / Std[0]);
        TestSet = test.Normalize(Mean, Std);
        var groups = FineTuning.Groups(Model, options.Lr, options.LayerLrs);
        Optimizer = OptimizerConfig.Create(groups);
        Trainer = new Trainer(Model, Optimizer);
    }

    /// <summary>
    /// The weights a fine-tuned classifier takes from <paramref name="source"/>: a classifier's state dict, or an
    /// embedding model's backbone (its embedding layer sits where the classifier's head does and is replaced by it;
    /// a projection head is left behind).
    /// </summary>
    private static IReadOnlyList<KeyValuePair<string, Tensor>> SourceWeights(Checkpoint source) =>
        source.Model is EmbeddingNet net ? net.Backbone.StateDict() : source.Model.StateDict();

    public ModelSpec Spec { get; }
    public Module Model { get; }

    /// <summary>The optimizer's kind and base rate, as the checkpoint records them (its groups carry the layer rates).</summary>
    public OptimizerConfig OptimizerConfig => new(_options.Optimizer, _options.Lr, _options.Optimizer == OptimizerKind.Sgd ? SgdMomentum : 0f);
    public Optimizer Optimizer { get; }
    public Trainer Trainer { get; }
    public float[] Mean { get; }
    public float[] Std { get; }
    public ImageDataset TrainSet { get; }
    public ImageDataset TestSet { get; }

    /// <summary>What was loaded from the source checkpoint and what was skipped; null when training from scratch.</summary>
    public TransferReport? Report { get; }

    /// <summary>
    /// The batch-norm layers whose parameters are all frozen, which normalise with their (pre-trained) running
    /// statistics during training too; empty when nothing is frozen.
    /// </summary>
    public IReadOnlyList<string> FrozenBatchNorms { get; } = [];

    /// <summary>Trainable parameters (elements), after freezing.</summary>
    public long TrainableCount => FineTuning.Trainable(Model).Sum(p => (long)p.Parameter.Numel);

    /// <summary>
    /// Trains every epoch, evaluating on the test images of the chosen classes after each; with an
    /// <see cref="FineTuneOptions.Output"/>, the checkpoint and the logs are written after each epoch.
    /// </summary>
    public IReadOnlyList<EpochRecord> Run(Action<EpochRecord>? onEpoch = null)
    {
        var loader = new DataLoader(TrainSet, _options.BatchSize, shuffle: true, seed: _options.Seed, transform: _augment);
        var loop = new EpochLoop<EpochRecord>(Trainer.Steps)
        {
            AfterEpoch = _options.Output is not { } output ? null : (record, epochsDone, _) =>
            {
                Save(output, epochsDone);
                var files = new RunFiles(output);
                TrainingLog.Append(files.Csv, files.Jsonl, record, restart: epochsDone == 1);
            },
        };
        return loop.Run(Trainer.Objective(loader, test: new DataLoader(TestSet, 500)), 0, _options.Epochs, onEpoch);
    }

    /// <summary>Writes the fine-tuned model as a checkpoint (atomically) that evaluate and predict read.</summary>
    public void Save(string path, int epochs)
    {
        var extra = _options.ToMetadata(_options.From is { } from ? $"{from.Spec.Architecture} weights {Checkpoint.WeightsDigest(from.Model)}" : "scratch");
        new Checkpoint
        {
            Spec = Spec,
            Model = Model,
            Epoch = epochs,
            ClassNames = TrainSet.ClassNames,
            Mean = Mean,
            Std = Std,
            Optimizer = OptimizerConfig,
            Seed = _options.Seed,
            Extra = extra,
        }.Save(path);
    }
}
