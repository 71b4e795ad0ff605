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
    /// <summary>One of <see cref="SegmentationModels.Trainable"/>: unet-small, an FCN-small, or an FCN on VGG-16.</summary>
    public string Model { get; init; } = "unet-small";

    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 32;
    public float LearningRate { get; init; } = 2e-3f;
    public ulong Seed { get; init; } = 1;

    /// <summary>Weight of the Dice loss added to the per-pixel cross-entropy (0: cross-entropy alone).</summary>
    public float DiceWeight { get; init; } = 0.5f;

    /// <summary>Stop after this much training time (the epoch under way ends early and is evaluated); null: no limit.</summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary>
    /// Lower the learning rate along half a cosine to zero over the run (true) or keep it constant. The run's length
    /// is its updates (<see cref="Epochs"/> epochs) or, with <see cref="TimeLimit"/>, whichever of the two ends first.
    /// </summary>
    public bool CosineSchedule { get; init; } = true;
}

/// <summary>A segmentation model's test metrics after one epoch.</summary>
public sealed record SegmentationEpoch(int Epoch, int Batches, double TrainLoss, double PixelAccuracy, double MeanIoU, double[] ClassIoU, double Seconds, bool Stopped);

/// <summary>The segmentation models by name: U-Net and the FCNs, sized for 2 cores.</summary>
public static class SegmentationModels
{
    /// <summary>The names <see cref="Create"/> takes: the small models <see cref="Trainable"/> first, then the papers' full-size ones.</summary>
    public static IReadOnlyList<string> Names { get; } = ["unet-small", "fcn32s-small", "fcn16s-small", "fcn8s-small", "unet", "fcn32s", "fcn16s", "fcn8s"];

    /// <summary>The models striate train --task segment takes: those whose scores have the input's size.</summary>
    public static IReadOnlyList<string> Trainable { get; } = ["unet-small", "fcn32s-small", "fcn16s-small", "fcn8s-small", "fcn32s", "fcn16s", "fcn8s"];

    /// <summary>
    /// <c>unet-small</c>: a same-padded U-Net of depth 3 from 16 channels with batch norm; <c>fcnNs-small</c>:
    /// <see cref="Fcn.Small"/> at stride N; <c>unet</c>: the paper's U-Net (64 channels, depth 4, valid padding: 572
    /// pixels in, 388 out); <c>fcnNs</c>: <see cref="Fcn.Vgg16"/> at stride N.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Names"/>.</exception>
    public static Module Create(string name, int inChannels, int classes, Generator? generator = null) => name switch
    {
        "unet-small" => new UNet(inChannels, classes, baseChannels: 16, depth: 3, validPadding: false, batchNorm: true, generator: generator),
        "fcn32s-small" => Fcn.Small(32, classes, inChannels, generator),
        "fcn16s-small" => Fcn.Small(16, classes, inChannels, generator),
        "fcn8s-small" => Fcn.Small(8, classes, inChannels, generator),
        "unet" => new UNet(inChannels, classes, baseChannels: 64, depth: 4, validPadding: true, batchNorm: false, generator: generator),
        "fcn32s" => Fcn.Vgg16(32, classes, inChannels, generator),
        "fcn16s" => Fcn.Vgg16(16, classes, inChannels, generator),
        "fcn8s" => Fcn.Vgg16(8, classes, inChannels, generator),
        _ => throw new ArgumentException($"unknown segmentation model '{name}'; expected one of {string.Join(", ", Names)}."),
    };

    /// <summary>The input a summary of the model shows by default: the scenes' 1x64x64 for the small ones, 3x572x572 for the paper's U-Net, 3x224x224 for the VGG FCNs.</summary>
    public static (int C, int H, int W) DefaultInput(string name) => name switch
    {
        "unet" => (3, 572, 572),
        "fcn32s" or "fcn16s" or "fcn8s" => (3, 224, 224),
        _ => (1, 64, 64),
    };

    /// <summary>The class count a summary of the model shows by default: the scenes' 11 for the small ones, the paper's 2 for U-Net, PASCAL VOC's 21 for the FCNs.</summary>
    public static int DefaultClasses(string name) => name switch
    {
        "unet" => 2,
        "fcn32s" or "fcn16s" or "fcn8s" => 21,
        _ => 11,
    };

    /// <summary>The number the sides of the model's inputs must be multiples of: 8 for unet-small (three 2x2 pools), 32 for the FCNs.</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Trainable"/> (the paper's valid U-Net takes sizes such as 572, not multiples).</exception>
    public static int SizeMultiple(string name) => name switch
    {
        "unet-small" => 8,
        "fcn32s-small" or "fcn16s-small" or "fcn8s-small" or "fcn32s" or "fcn16s" or "fcn8s" => 32,
        _ => throw new ArgumentException($"'{name}' does not give scores of its input's size; expected one of {string.Join(", ", Trainable)}."),
    };

    /// <summary>
    /// Each pixel's most likely class for an image (channels x height x width) of any size: the image is padded with
    /// black (the scenes' background) at its bottom and right to sides that are multiples of
    /// <paramref name="multiple"/>, segmented, and the scores cut back to the image. Returns the classes (height x width).
    /// </summary>
    /// <exception cref="ArgumentException">The pixels are not channels x height x width, or a size is below 1.</exception>
    public static int[] Predict(Module model, ReadOnlySpan<float> pixels, int channels, int height, int width, int multiple)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (channels < 1 || height < 1 || width < 1 || multiple < 1 || pixels.Length != (long)channels * height * width)
            throw new ArgumentException($"segmentation: expected {channels}x{height}x{width} values (and a multiple >= 1, got {multiple}), got {pixels.Length}.");
        int ph = (height + multiple - 1) / multiple * multiple, pw = (width + multiple - 1) / multiple * multiple;
        var padded = new float[channels * ph * pw];
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < height; y++) pixels.Slice((c * height + y) * width, width).CopyTo(padded.AsSpan((c * ph + y) * pw, width));
        bool training = model.IsTraining;
        model.Eval();
        var mask = new int[height * width];
        try
        {
            using var scope = TensorScope.Begin();
            using var _ = Autograd.NoGrad();
            var scores = model.Forward(Tensor.FromArray(padded, 1, channels, ph, pw));
            int k = scores.Shape[1];
            var data = scores.Data;
            int plane = ph * pw;
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int at = y * pw + x, best = 0;
                    float top = data[at];
                    for (int c = 1; c < k; c++)
                        if (data[c * plane + at] > top) { top = data[c * plane + at]; best = c; }
                    mask[y * width + x] = best;
                }
        }
        finally
        {
            if (training) model.Train();
        }
        return mask;
    }
}

/// <summary>
/// Trains a segmentation model on scenes: Adam on the per-pixel cross-entropy plus a weighted soft Dice loss,
/// batches drawn in a fresh seeded order every epoch, and after each epoch pixel accuracy and IoU on the test scenes.
/// </summary>
public sealed class SegmentationRun
{
    private readonly SegmentationSet _train, _test;
    private readonly Adam _optimizer;
    private int _epochsDone;
    private long _updatesDone;
    private TimeSpan _elapsedBefore;

    public SegmentationRun(SegmentationSet train, SegmentationSet test, SegmentationOptions options)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(options);
        if (train.ClassCount != test.ClassCount || train.Channels != test.Channels)
            throw new ArgumentException($"segmentation run: the training images ({train.ClassCount} classes, {train.Channels} channels) and test images ({test.ClassCount} classes, {test.Channels} channels) differ.");
        if (options.Epochs < 1 || options.BatchSize < 1 || !(options.LearningRate > 0) || !(options.DiceWeight >= 0))
            throw new ArgumentException($"segmentation run: epochs ({options.Epochs}) and batch size ({options.BatchSize}) must be >= 1, the learning rate ({options.LearningRate}) > 0 and the Dice weight ({options.DiceWeight}) >= 0.");
        Options = options;
        _train = train;
        _test = test;
        Model = SegmentationModels.Create(options.Model, train.Channels, train.ClassCount, new Generator(options.Seed));
        _optimizer = new Adam(Model.Parameters(), lr: options.LearningRate);
    }

    public SegmentationOptions Options { get; }
    public Module Model { get; }

    /// <summary>Epochs finished before <see cref="Run"/> (those of the file a run resumed from).</summary>
    public int EpochsDone => _epochsDone;

    /// <summary>
    /// Continues from <paramref name="saved"/> (a file <see cref="Run"/> wrote for this run's model, data and settings):
    /// the weights, the optimizer's state, the epochs and updates done and the training time spent, so the run goes on
    /// where it stopped; without a time limit the rest is the uninterrupted run's, bit for bit.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a resumable segmentation model of this run's model.</exception>
    public void Resume(SegmentationFile.Saved saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        if (saved.Name != Options.Model || saved.Channels != _train.Channels || !saved.ClassNames.SequenceEqual(_train.ClassNames))
            throw new InvalidDataException($"'{saved.Path}' holds {saved.Name} for {saved.Channels}-channel images of {saved.ClassNames.Count} classes; this run trains {Options.Model} for {_train.Channels}-channel images of {_train.ClassCount}.");
        if (saved.Progress is not { } progress || saved.OptimizerState.Count == 0)
            throw new InvalidDataException($"'{saved.Path}' holds no optimizer state or progress; it was exported for deployment and cannot resume training.");
        Model.LoadStateDict(saved.Model.StateDict());
        try
        {
            _optimizer.LoadStateDict(saved.OptimizerState);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{saved.Path}': {e.Message}");
        }
        (_epochsDone, _updatesDone, _elapsedBefore) = (progress.Epoch, progress.Updates, TimeSpan.FromSeconds(progress.Seconds));
    }

    /// <summary>Free-form settings saved with each checkpoint (the command line's scene options), for a resume to check.</summary>
    public IReadOnlyDictionary<string, string>? Settings { get; init; }

    /// <summary>Runs the epochs, saving <paramref name="checkpoint"/> (when given) and calling <paramref name="epochDone"/> after each.</summary>
    public IReadOnlyList<SegmentationEpoch> Run(Action<SegmentationEpoch>? epochDone = null, string? checkpoint = null, CancellationToken cancel = default)
    {
        var records = new List<SegmentationEpoch>();
        var watch = Stopwatch.StartNew();
        TimeSpan Elapsed() => _elapsedBefore + watch.Elapsed;
        var order = new Generator(Options.Seed ^ 0x5E6UL);
        int batches = (_train.Count + Options.BatchSize - 1) / Options.BatchSize;
        long updates = _updatesDone;
        // The orders of the epochs already done are drawn and dropped, so a resumed run sees the orders it would have.
        for (int e = 0; e < _epochsDone; e++) order.Permutation(_train.Count);
        for (int epoch = _epochsDone + 1; epoch <= Options.Epochs; epoch++)
        {
            Model.Train();
            var perm = order.Permutation(_train.Count);
            double loss = 0;
            int done = 0;
            bool stopped = false;
            for (int b = 0; b < batches; b++)
            {
                cancel.ThrowIfCancellationRequested();
                if (Options.TimeLimit is { } limit && Elapsed() >= limit && done > 0)
                {
                    stopped = true;
                    break;
                }
                using var scope = TensorScope.Begin();
                var (x, y) = _train.Batch(perm.AsSpan(b * Options.BatchSize, Math.Min(Options.BatchSize, _train.Count - b * Options.BatchSize)).ToArray());
                _optimizer.Lr = LearningRate(updates, (long)Options.Epochs * batches, Elapsed());
                var logits = Model.Forward(x);
                var l = F.CrossEntropy(logits, y);
                if (Options.DiceWeight > 0) l = F.Add(l, F.MulScalar(F.DiceLoss(logits, y), Options.DiceWeight));
                _optimizer.ZeroGrad();
                l.Backward();
                _optimizer.Step();
                loss += l.Item();
                done++;
                updates++;
            }
            var metrics = Evaluate(_test);
            var record = new SegmentationEpoch(epoch, done, loss / done, metrics.PixelAccuracy, metrics.MeanIoU, metrics.ClassIoU(), Elapsed().TotalSeconds, stopped);
            records.Add(record);
            (_epochsDone, _updatesDone) = (epoch, updates);
            if (checkpoint is not null)
                SegmentationFile.Save(checkpoint, Options.Model, Model, _train.Channels, _train.ClassNames, record,
                    _optimizer.StateDict(), new SegmentationFile.Progress(epoch, updates, record.Seconds), Settings);
            epochDone?.Invoke(record);
            if (stopped) break;
        }
        return records;
    }

    /// <summary>
    /// The learning rate after <paramref name="updates"/> of <paramref name="total"/> updates and
    /// <paramref name="elapsed"/> of training: constant, or half a cosine from the set rate to zero over the epochs or the
    /// time limit, whichever is further along.
    /// </summary>
    public float LearningRate(long updates, long total, TimeSpan elapsed)
    {
        if (!Options.CosineSchedule) return Options.LearningRate;
        double progress = (double)updates / Math.Max(total, 1);
        if (Options.TimeLimit is { } limit) progress = Math.Max(progress, elapsed / limit);
        return (float)(Options.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(progress, 1))));
    }

    /// <summary>The model's metrics on <paramref name="scenes"/> (evaluation mode, no gradients).</summary>
    public SegmentationMetrics Evaluate(SegmentationSet scenes) => Evaluate(Model, scenes, Options.BatchSize);

    /// <summary>A model's metrics on <paramref name="scenes"/> (evaluation mode, no gradients).</summary>
    public static SegmentationMetrics Evaluate(Module model, SegmentationSet scenes, int batchSize = 32)
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
    private const string TaskKey = "striate.task", ModelKey = "striate.segment.model", ClassesKey = "striate.segment.classes", ChannelsKey = "striate.segment.channels";

    private const string OptimizerPrefix = "optimizer.", ProgressKey = "striate.segment.progress", SettingsPrefix = "striate.segment.setting.";

    /// <summary>How far a run had come when it saved: epochs and updates done, seconds of training.</summary>
    public sealed record Progress(int Epoch, long Updates, double Seconds);

    /// <summary>A segmentation file's contents: the model and what a resume needs.</summary>
    public sealed record Saved(string Path, Module Model, string Name, int Channels, IReadOnlyList<string> ClassNames,
        IReadOnlyList<KeyValuePair<string, Tensor>> OptimizerState, Progress? Progress, IReadOnlyDictionary<string, string> Settings);

    /// <summary>
    /// Writes the model (atomically), with the optimizer's state (under "optimizer.") and the run's progress and
    /// settings when given, so that training can resume from it.
    /// </summary>
    public static void Save(string path, string modelName, Module model, int channels, IReadOnlyList<string> classNames, SegmentationEpoch? record = null,
        IReadOnlyList<KeyValuePair<string, Tensor>>? optimizerState = null, Progress? progress = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(classNames);
        var metadata = new Dictionary<string, string>
        {
            [TaskKey] = "segment",
            [ModelKey] = modelName,
            [ClassesKey] = string.Join("\n", classNames),
            [ChannelsKey] = channels.ToString(CultureInfo.InvariantCulture),
        };
        if (record is not null)
        {
            metadata["striate.segment.epoch"] = record.Epoch.ToString(CultureInfo.InvariantCulture);
            metadata["striate.segment.mean_iou"] = record.MeanIoU.ToString("R", CultureInfo.InvariantCulture);
        }
        if (progress is not null)
            metadata[ProgressKey] = string.Create(CultureInfo.InvariantCulture, $"{progress.Epoch} {progress.Updates} {progress.Seconds:R}");
        if (settings is not null)
            foreach (var (k, v) in settings) metadata[SettingsPrefix + k] = v;
        var tensors = model.StateDict().ToList();
        if (optimizerState is not null) tensors.AddRange(optimizerState.Select(kv => new KeyValuePair<string, Tensor>(OptimizerPrefix + kv.Key, kv.Value)));
        StateDictFile.Write(path, tensors, metadata);
    }

    /// <summary>
    /// The model as ONNX for images [batch, channels, height, width] whose sides are multiples of the model's
    /// (<see cref="SegmentationModels.SizeMultiple"/>): traced at <paramref name="height"/> x <paramref name="width"/>,
    /// its height and width left free (the models are fully convolutional), the scores [batch, classes, height, width]
    /// out, the class names in the metadata.
    /// </summary>
    /// <exception cref="ArgumentException">The sides are not multiples of the model's.</exception>
    public static Onnx.OnnxModel ToOnnx(Module model, string name, int channels, IReadOnlyList<string> classNames, int height = 64, int width = 64, int opset = Onnx.OnnxExport.DefaultOpset)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(classNames);
        int multiple = SegmentationModels.SizeMultiple(name);
        if (height < multiple || width < multiple || height % multiple != 0 || width % multiple != 0)
            throw new ArgumentException($"{name} takes sides that are multiples of {multiple}; got {height}x{width}.");
        var metadata = new Dictionary<string, string>
        {
            [TaskKey] = "segment",
            [ModelKey] = name,
            ["striate.class_names"] = System.Text.Json.JsonSerializer.Serialize(classNames),
            ["striate.input"] = $"{channels}xHxW, H and W multiples of {multiple}, pixels in [0, 1]",
        };
        return Onnx.OnnxExport.ToModel(model, (channels, height, width), opset, metadata: metadata, dynamicSize: true);
    }

    /// <summary>True when the file's metadata says it is a segmentation model.</summary>
    public static bool IsSegmentation(string path) =>
        Serialization.SafeTensors.ReadHeader(path).Metadata.TryGetValue(TaskKey, out var task) && task == "segment";

    /// <summary>The model, its name, the channels of its input images and its class names.</summary>
    /// <exception cref="InvalidDataException">The file is not a segmentation model or its weights do not fit its metadata.</exception>
    public static (Module Model, string Name, int Channels, IReadOnlyList<string> ClassNames) Load(string path)
    {
        var saved = Read(path);
        return (saved.Model, saved.Name, saved.Channels, saved.ClassNames);
    }

    /// <summary>Everything the file holds: the model, and the optimizer's state, progress and settings of the run that wrote it.</summary>
    /// <exception cref="InvalidDataException">The file is not a segmentation model or its weights or metadata do not fit together.</exception>
    public static Saved Read(string path)
    {
        var content = Serialization.SafeTensors.Read(path);
        var m = content.Metadata;
        if (!m.TryGetValue(TaskKey, out var task) || task != "segment")
            throw new InvalidDataException($"'{path}' is not a segmentation model (expected metadata {TaskKey} = segment, as striate train --task segment writes; found {(task is null ? "none" : $"'{task}'")}).");
        string name = m.TryGetValue(ModelKey, out var n) ? n : "";
        var classes = m.TryGetValue(ClassesKey, out var c) ? c.Split('\n') : [];
        if (classes.Length < 2 || classes.Length > 1024)
            throw new InvalidDataException($"'{path}': metadata {ClassesKey} should name 2 to 1024 classes, found {classes.Length}.");
        // Files written before the key existed hold single-channel models.
        int channels = 1;
        if (m.TryGetValue(ChannelsKey, out var ch) && !(int.TryParse(ch, NumberStyles.None, CultureInfo.InvariantCulture, out channels) && channels is 1 or 3))
            throw new InvalidDataException($"'{path}': metadata {ChannelsKey} should be 1 or 3, found '{ch}'.");
        Module model;
        var all = StateDictFile.Read(content, path);
        try
        {
            model = SegmentationModels.Create(name, channels, classes.Length);
            model.LoadStateDict(all.Where(kv => !kv.Key.StartsWith(OptimizerPrefix, StringComparison.Ordinal)));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message}");
        }
        model.Eval();
        var optimizer = all.Where(kv => kv.Key.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
            .Select(kv => new KeyValuePair<string, Tensor>(kv.Key[OptimizerPrefix.Length..], kv.Value)).ToList();
        Progress? progress = null;
        if (m.TryGetValue(ProgressKey, out var text))
        {
            var parts = text.Split(' ');
            if (parts.Length != 3 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int epoch) || epoch < 1
                || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long updates)
                || !double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || !(seconds >= 0) || !double.IsFinite(seconds))
                throw new InvalidDataException($"'{path}': metadata {ProgressKey} should be 'epochs updates seconds', found '{text}'.");
            progress = new Progress(epoch, updates, seconds);
        }
        var settings = m.Where(kv => kv.Key.StartsWith(SettingsPrefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[SettingsPrefix.Length..], kv => kv.Value, StringComparer.Ordinal);
        return new Saved(path, model, name, channels, classes, optimizer, progress, settings);
    }
}
