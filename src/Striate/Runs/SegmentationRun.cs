using System.Diagnostics;
using System.Globalization;
using Striate.Data;
using Striate.Models;
using Striate.Nn;
using Striate.Ops;
using Striate.Optim;
using Striate.Tensors;
using Striate.Training;

namespace Striate.Runs;

/// <summary>The settings of a segmentation run (<see cref="SegmentationRun"/>).</summary>
public sealed record SegmentationOptions
{
    /// <summary>unet-small, fcn32s-small, fcn16s-small or fcn8s-small (see <see cref="SegmentationModels"/>).</summary>
    public string Model { get; init; } = "unet-small";

    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 32;
    public float LearningRate { get; init; } = 2e-3f;
    public ulong Seed { get; init; } = 1;

    /// <summary>Weight of the Dice loss added to the per-pixel cross-entropy (0: cross-entropy alone).</summary>
    public float DiceWeight { get; init; } = 0.5f;

    /// <summary>Stop after this much training time (the epoch under way ends early and is evaluated); null: no limit.</summary>
    public TimeSpan? TimeLimit { get; init; }
}

/// <summary>A segmentation model's test metrics after one epoch.</summary>
public sealed record SegmentationEpoch(int Epoch, int Batches, double TrainLoss, double PixelAccuracy, double MeanIoU, double[] ClassIoU, double Seconds, bool Stopped);

/// <summary>The segmentation models by name: U-Net and the FCNs, sized for 2 cores.</summary>
public static class SegmentationModels
{
    /// <summary>The names <see cref="Create"/> takes.</summary>
    public static IReadOnlyList<string> Names { get; } = ["unet-small", "fcn32s-small", "fcn16s-small", "fcn8s-small"];

    /// <summary>
    /// <c>unet-small</c>: a same-padded U-Net of depth 3 from 16 channels with batch norm; <c>fcnNs-small</c>:
    /// <see cref="Fcn.Small"/> at stride N.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Names"/>.</exception>
    public static Module Create(string name, int inChannels, int classes, Generator? generator = null) => name switch
    {
        "unet-small" => new UNet(inChannels, classes, baseChannels: 16, depth: 3, validPadding: false, batchNorm: true, generator: generator),
        "fcn32s-small" => Fcn.Small(32, classes, inChannels, generator),
        "fcn16s-small" => Fcn.Small(16, classes, inChannels, generator),
        "fcn8s-small" => Fcn.Small(8, classes, inChannels, generator),
        _ => throw new ArgumentException($"unknown segmentation model '{name}'; expected one of {string.Join(", ", Names)}."),
    };
}

/// <summary>
/// Trains a segmentation model on scenes: Adam on the per-pixel cross-entropy plus a weighted soft Dice loss,
/// batches drawn in a fresh seeded order every epoch, and after each epoch pixel accuracy and IoU on the test scenes.
/// </summary>
public sealed class SegmentationRun
{
    private readonly SegmentationScenes _train, _test;
    private readonly Adam _optimizer;

    public SegmentationRun(SegmentationScenes train, SegmentationScenes test, SegmentationOptions options)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(options);
        if (train.ClassCount != test.ClassCount || train.Size != test.Size)
            throw new ArgumentException($"segmentation run: the training scenes ({train.ClassCount} classes, {train.Size} pixels) and test scenes ({test.ClassCount}, {test.Size}) differ.");
        if (options.Epochs < 1 || options.BatchSize < 1 || !(options.LearningRate > 0) || !(options.DiceWeight >= 0))
            throw new ArgumentException($"segmentation run: epochs ({options.Epochs}) and batch size ({options.BatchSize}) must be >= 1, the learning rate ({options.LearningRate}) > 0 and the Dice weight ({options.DiceWeight}) >= 0.");
        Options = options;
        _train = train;
        _test = test;
        Model = SegmentationModels.Create(options.Model, 1, train.ClassCount, new Generator(options.Seed));
        _optimizer = new Adam(Model.Parameters(), lr: options.LearningRate);
    }

    public SegmentationOptions Options { get; }
    public Module Model { get; }

    /// <summary>Runs the epochs, saving <paramref name="checkpoint"/> (when given) and calling <paramref name="epochDone"/> after each.</summary>
    public IReadOnlyList<SegmentationEpoch> Run(Action<SegmentationEpoch>? epochDone = null, string? checkpoint = null, CancellationToken cancel = default)
    {
        var records = new List<SegmentationEpoch>();
        var clock = Stopwatch.StartNew();
        var order = new Generator(Options.Seed ^ 0x5E6UL);
        int batches = (_train.Count + Options.BatchSize - 1) / Options.BatchSize;
        for (int epoch = 1; epoch <= Options.Epochs; epoch++)
        {
            Model.Train();
            var perm = order.Permutation(_train.Count);
            double loss = 0;
            int done = 0;
            bool stopped = false;
            for (int b = 0; b < batches; b++)
            {
                cancel.ThrowIfCancellationRequested();
                if (Options.TimeLimit is { } limit && clock.Elapsed >= limit && done > 0)
                {
                    stopped = true;
                    break;
                }
                using var scope = TensorScope.Begin();
                var (x, y) = _train.Batch(perm.AsSpan(b * Options.BatchSize, Math.Min(Options.BatchSize, _train.Count - b * Options.BatchSize)).ToArray());
                var logits = Model.Forward(x);
                var l = F.CrossEntropy(logits, y);
                if (Options.DiceWeight > 0) l = F.Add(l, F.MulScalar(F.DiceLoss(logits, y), Options.DiceWeight));
                _optimizer.ZeroGrad();
                l.Backward();
                _optimizer.Step();
                loss += l.Item();
                done++;
            }
            var metrics = Evaluate(_test);
            var record = new SegmentationEpoch(epoch, done, loss / done, metrics.PixelAccuracy, metrics.MeanIoU, metrics.ClassIoU(), clock.Elapsed.TotalSeconds, stopped);
            records.Add(record);
            if (checkpoint is not null) SegmentationFile.Save(checkpoint, Options.Model, Model, _train.ClassNames, record);
            epochDone?.Invoke(record);
            if (stopped) break;
        }
        return records;
    }

    /// <summary>The model's metrics on <paramref name="scenes"/> (evaluation mode, no gradients).</summary>
    public SegmentationMetrics Evaluate(SegmentationScenes scenes) => Evaluate(Model, scenes, Options.BatchSize);

    /// <summary>A model's metrics on <paramref name="scenes"/> (evaluation mode, no gradients).</summary>
    public static SegmentationMetrics Evaluate(Module model, SegmentationScenes scenes, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(scenes);
        bool training = model.IsTraining;
        model.Eval();
        var metrics = new SegmentationMetrics(scenes.ClassCount);
        using (Autograd.NoGrad())
            for (int start = 0; start < scenes.Count; start += batchSize)
            {
                using var scope = TensorScope.Begin();
                var (x, y) = scenes.Batch([.. Enumerable.Range(start, Math.Min(batchSize, scenes.Count - start))]);
                metrics.Add(model.Forward(x), y);
            }
        if (training) model.Train();
        return metrics;
    }
}

/// <summary>
/// A segmentation model on disk: its weights in a safetensors file whose metadata holds <c>striate.task</c> =
/// <c>segment</c>, the model's name and the class names.
/// </summary>
public static class SegmentationFile
{
    private const string TaskKey = "striate.task", ModelKey = "striate.segment.model", ClassesKey = "striate.segment.classes";

    /// <summary>Writes the model (atomically).</summary>
    public static void Save(string path, string modelName, Module model, IReadOnlyList<string> classNames, SegmentationEpoch? record = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(classNames);
        var metadata = new Dictionary<string, string>
        {
            [TaskKey] = "segment",
            [ModelKey] = modelName,
            [ClassesKey] = string.Join("\n", classNames),
        };
        if (record is not null)
        {
            metadata["striate.segment.epoch"] = record.Epoch.ToString(CultureInfo.InvariantCulture);
            metadata["striate.segment.mean_iou"] = record.MeanIoU.ToString("R", CultureInfo.InvariantCulture);
        }
        StateDictFile.Write(path, model.StateDict(), metadata);
    }

    /// <summary>The model, its name and its class names.</summary>
    /// <exception cref="InvalidDataException">The file is not a segmentation model or its weights do not fit its metadata.</exception>
    public static (Module Model, string Name, IReadOnlyList<string> ClassNames) Load(string path)
    {
        var content = Serialization.SafeTensors.Read(path);
        var m = content.Metadata;
        if (!m.TryGetValue(TaskKey, out var task) || task != "segment")
            throw new InvalidDataException($"'{path}' is not a segmentation model (expected metadata {TaskKey} = segment, as striate train --task segment writes; found {(task is null ? "none" : $"'{task}'")}).");
        string name = m.TryGetValue(ModelKey, out var n) ? n : "";
        var classes = m.TryGetValue(ClassesKey, out var c) ? c.Split('\n') : [];
        if (classes.Length < 2 || classes.Length > 1024)
            throw new InvalidDataException($"'{path}': metadata {ClassesKey} should name 2 to 1024 classes, found {classes.Length}.");
        Module model;
        try
        {
            model = SegmentationModels.Create(name, 1, classes.Length);
            model.LoadStateDict(StateDictFile.Read(content, path));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message}");
        }
        model.Eval();
        return (model, name, classes);
    }
}
