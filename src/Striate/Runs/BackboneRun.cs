using System.Diagnostics;
using Striate.Data;
using Striate.Nn;
using Striate.Onnx;
using Striate.Ops;
using Striate.Optim;
using Striate.Tensors;
using Striate.Training;
using Striate.Transfer;

namespace Striate.Runs;

/// <summary>The settings of a <see cref="BackboneRun"/>.</summary>
public sealed class BackboneRunOptions
{
    /// <summary>Dataset classes to learn, relabelled in this order.</summary>
    public required IReadOnlyList<int> Classes { get; init; }

    /// <summary>Training images per class, drawn with <see cref="Seed"/> (0: all).</summary>
    public int PerClass { get; init; }

    /// <summary>Seed of the sample, the head's initial weights and the shuffling.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Full-batch Adam steps of the head on the cached features.</summary>
    public int HeadSteps { get; init; } = 300;

    /// <summary>The head's learning rate.</summary>
    public float HeadLr { get; init; } = 0.01f;

    /// <summary>The head's weight decay (L2, on the standardised features' weights).</summary>
    public float WeightDecay { get; init; } = 1f;

    /// <summary>Also train on every training image flipped left to right (its features computed once too).</summary>
    public bool Flip { get; init; }

    /// <summary>
    /// The stage after which the backbone trains (its value name): everything the graph computes from it, with the
    /// head, is fine-tuned for <see cref="TuneEpochs"/> after the head has been fitted; null keeps the backbone frozen.
    /// </summary>
    public string? TrainFrom { get; init; }

    /// <summary>Epochs of the fine-tuning that follows the head's fit, with <see cref="TrainFrom"/>.</summary>
    public int TuneEpochs { get; init; } = 3;

    /// <summary>Adam's learning rate when fine-tuning, with <see cref="TrainFrom"/>.</summary>
    public float TuneLr { get; init; } = 1e-4f;

    /// <summary>
    /// How many of the backbone's last stages the head reads, each pooled to 2x2; null: three when the backbone is
    /// frozen, every stage from <see cref="TrainFrom"/> on when it trains.
    /// </summary>
    public int? Stages { get; init; }

    /// <summary>Images per batch when computing features and when fine-tuning.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Evaluate on the first N test images of the chosen classes only (0: all).</summary>
    public int TestLimit { get; init; }
}

/// <summary>
/// Transfer learning from a network read from ONNX (<see cref="OnnxBackbone"/>): the backbone's features of every
/// training and test image are computed once and cached (the training images also flipped, when asked), a linear head
/// on the chosen stages' 2x2-pooled features (standardised) is fitted with full-batch Adam, and, when the backbone's
/// last part is trainable, that part and the head are then fine-tuned together on the cached activations of the cut
/// (batch norms keep their pre-trained statistics). The result is one ONNX classifier from the images to the logits,
/// the standardisation folded into the head's weights.
/// </summary>
public sealed class BackboneRun
{
    private readonly BackboneRunOptions _options;
    private readonly OnnxBackbone _backbone;

    public BackboneRun(BackboneRunOptions options, OnnxBackbone backbone, ImageDataset trainRaw, ImageDataset testRaw)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _backbone = backbone ?? throw new ArgumentNullException(nameof(backbone));
        SettingException.Require(options.HeadSteps >= 1, nameof(options.HeadSteps), "the head's steps", $"must be >= 1, got {options.HeadSteps}.");
        SettingException.Require(options.HeadLr > 0, nameof(options.HeadLr), "the head's learning rate", $"must be > 0, got {options.HeadLr}.");
        SettingException.Require(options.WeightDecay >= 0, nameof(options.WeightDecay), "the weight decay", $"must be >= 0, got {options.WeightDecay}.");
        SettingException.Require(options.TuneEpochs >= 0, nameof(options.TuneEpochs), "the fine-tuning epochs", $"must be >= 0, got {options.TuneEpochs}.");
        SettingException.Require(options.TuneLr > 0, nameof(options.TuneLr), "the fine-tuning learning rate", $"must be > 0, got {options.TuneLr}.");
        SettingException.Require(options.BatchSize >= 1, nameof(options.BatchSize), "the batch size", $"must be >= 1, got {options.BatchSize}.");
        TrainSet = ClassSelection.Select(trainRaw, options.Classes, options.PerClass, options.Seed);
        var test = ClassSelection.Select(testRaw, options.Classes);
        TestSet = options.TestLimit > 0 && options.TestLimit < test.Count ? test.Subset([.. Enumerable.Range(0, options.TestLimit)]) : test;
        if ((TrainSet.Channels, TrainSet.Height, TrainSet.Width) != backbone.ImageShape)
            throw new ArgumentException($"the backbone was made for {backbone.ImageShape.C}x{backbone.ImageShape.H}x{backbone.ImageShape.W} images; the data has {TrainSet.Channels}x{TrainSet.Height}x{TrainSet.Width}.");
        var stages = backbone.Stages.ToList();
        if (options.TrainFrom is { } from)
        {
            int at = stages.FindIndex(s => s.Value == from);
            if (at < 0) throw new ArgumentException($"'{from}' is not a stage of the backbone; its stages are {string.Join(", ", stages.Select(s => s.Value))}.");
            Cut = stages[at];
            Taps = backbone.LastStages(options.Stages ?? stages.Skip(at).Count(s => s.Height >= 2 && s.Width >= 2));
            if (Taps.Any(t => stages.IndexOf(t) < at))
                throw new ArgumentException($"the head would read {string.Join(", ", Taps.Select(t => t.Value))}, but the backbone trains from {from}: " +
                    "the head can read only stages computed after the cut (fewer stages, or train from an earlier one).");
        }
        else Taps = backbone.LastStages(options.Stages ?? Math.Min(3, stages.Count(s => s.Height >= 2 && s.Width >= 2)));
    }

    /// <summary>The training images of the chosen classes (relabelled), in the data's pixel scale.</summary>
    public ImageDataset TrainSet { get; }

    /// <summary>The test images of the chosen classes.</summary>
    public ImageDataset TestSet { get; }

    /// <summary>The stages the head reads.</summary>
    public IReadOnlyList<BackboneStage> Taps { get; }

    /// <summary>The stage after which the backbone trains; null when it is frozen.</summary>
    public BackboneStage? Cut { get; }

    /// <summary>The features the head reads per image.</summary>
    public int FeatureCount => Taps.Sum(t => t.PooledFeatures);

    /// <summary>The classifier, after <see cref="Run"/>: from the images to the logits, as one ONNX graph.</summary>
    public OnnxModel? Classifier { get; private set; }

    /// <summary>
    /// Computes the cached features, fits the head (<paramref name="onEpoch"/> sees a record every tenth of its steps
    /// and after each fine-tuning epoch, test accuracy on the cached test features) and returns the records;
    /// <paramref name="log"/> hears what is being computed and how long it took.
    /// </summary>
    public IReadOnlyList<EpochRecord> Run(Action<EpochRecord>? onEpoch = null, Action<string>? log = null)
    {
        var records = new List<EpochRecord>();
        var clock = Stopwatch.StartNew();
        var featuresModel = _backbone.WithFeatures(Taps);
        int n = TrainSet.Count, f = FeatureCount;
        int[] labels = _options.Flip ? [.. TrainSet.Labels, .. TrainSet.Labels] : [.. TrainSet.Labels];
        float[] trainFeatures, testFeatures;
        float[]? trainCut = null, testCut = null;
        if (Cut is null)
        {
            var front = OnnxModule.FromModel(featuresModel, "backbone");
            trainFeatures = Compute(front, TrainSet, _options.Flip, log, "training images");
            testFeatures = Compute(front, TestSet, false, log, "test images");
        }
        else
        {
            var front = OnnxModule.FromModel(_backbone.Model.Slice(null, [Cut.Value]), "backbone");
            trainCut = Compute(front, TrainSet, _options.Flip, log, "training images");
            testCut = Compute(front, TestSet, false, log, "test images");
            var rest = OnnxModule.FromModel(featuresModel.Slice([Cut.Value], [OnnxBackbone.FeaturesName]), "trained stages");
            trainFeatures = Apply(rest, trainCut, labels.Length);
            testFeatures = Apply(rest, testCut, TestSet.Count);
        }

        // The head on standardised features, full batch.
        var (mean, std) = Standardisation(trainFeatures, labels.Length, f);
        var x = Standardised(trainFeatures, labels.Length, mean, std);
        var xt = Standardised(testFeatures, TestSet.Count, mean, std);
        int classes = _options.Classes.Count;
        var head = new Linear(f, classes, generator: new Generator(_options.Seed));
        var adam = new Adam(head.Parameters().ToList(), _options.HeadLr, weightDecay: _options.WeightDecay);
        var xs = Tensor.FromArray(x, labels.Length, f);
        int every = Math.Max(1, _options.HeadSteps / 10);
        var lap = Stopwatch.StartNew();
        for (int step = 1; step <= _options.HeadSteps; step++)
        {
            using var scope = TensorScope.Begin();
            adam.ZeroGrad();
            var logits = head.Forward(xs);
            var loss = F.CrossEntropy(logits, labels);
            loss.Backward();
            adam.Step();
            if (step % every == 0 || step == _options.HeadSteps)
            {
                double trainAcc = Accuracy(logits.ToArray(), labels, classes);
                var (testLoss, testAcc) = Evaluate(head, xt);
                Record(records, onEpoch, step, loss.Item(), trainAcc, testLoss, testAcc, labels.Length * (double)every / lap.Elapsed.TotalSeconds, clock, _options.HeadLr);
                lap.Restart();
            }
        }
        // Fold the standardisation into the head: W (f - mean) / std + b.
        var w = head.Weight.ToArray();
        var b = head.Bias!.ToArray();
        for (int k = 0; k < classes; k++)
            for (int j = 0; j < f; j++)
            {
                w[k * f + j] /= std[j];
                b[k] -= w[k * f + j] * mean[j];
            }
        var classifier = _backbone.WithHead(Taps, w, b);

        if (Cut is not null && _options.TuneEpochs > 0)
        {
            var tail = OnnxModule.FromModel(classifier.Slice([Cut.Value], [OnnxBackbone.LogitsName]), "trained stages");
            tail.Eval(); // batch norms keep their statistics; gradients still flow
            var tune = new Adam(tail.Parameters().ToList(), _options.TuneLr);
            var rng = new Generator(_options.Seed);
            int d = Cut.Channels * Cut.Height * Cut.Width;
            for (int epoch = 1; epoch <= _options.TuneEpochs; epoch++)
            {
                var order = rng.Permutation(labels.Length);
                double lossSum = 0;
                int correct = 0;
                var sw = Stopwatch.StartNew();
                for (int start = 0; start < order.Length; start += _options.BatchSize)
                {
                    int m = Math.Min(_options.BatchSize, order.Length - start);
                    using var scope = TensorScope.Begin();
                    var batch = Tensor.Empty(m, Cut.Channels, Cut.Height, Cut.Width);
                    var y = new int[m];
                    for (int i = 0; i < m; i++)
                    {
                        int k = order[start + i];
                        trainCut.AsSpan(checked(k * d), d).CopyTo(batch.Data.Slice(i * d, d));
                        y[i] = labels[k];
                    }
                    tune.ZeroGrad();
                    var logits = tail.Forward(batch);
                    var loss = F.CrossEntropy(logits, y);
                    loss.Backward();
                    tune.Step();
                    lossSum += loss.Item() * m;
                    correct += (int)Math.Round(Accuracy(logits.ToArray(), y, classes) * m);
                }
                var (testLoss, testAcc) = EvaluateLogits(Apply(tail, testCut!, TestSet.Count, classes));
                Record(records, onEpoch, _options.HeadSteps + epoch, lossSum / labels.Length, (double)correct / labels.Length, testLoss, testAcc,
                    labels.Length / sw.Elapsed.TotalSeconds, clock, _options.TuneLr);
            }
            classifier = classifier.WithInitializers(tail.ToModel().Graph.Initializers);
        }
        Classifier = classifier;
        return records;
    }

    private void Record(List<EpochRecord> records, Action<EpochRecord>? onEpoch, int epoch, double loss, double trainAcc, double testLoss, double testAcc,
        double imagesPerSecond, Stopwatch clock, float lr)
    {
        var r = new EpochRecord(epoch, loss, trainAcc, null, null, testLoss, testAcc, null, imagesPerSecond, clock.Elapsed.TotalSeconds, lr);
        records.Add(r);
        onEpoch?.Invoke(r);
    }

    // The features (or cut activations) of every image of the set, and of each flipped after them, in batches.
    private float[] Compute(OnnxModule module, ImageDataset set, bool flip, Action<string>? log, string what)
    {
        module.Eval();
        var session = new InferenceSession(module);
        var sw = Stopwatch.StartNew();
        int per = set.Channels * set.Height * set.Width, count = flip ? 2 * set.Count : set.Count;
        float[]? result = null;
        long width = 0;
        for (int start = 0; start < count; start += _options.BatchSize)
        {
            int m = Math.Min(_options.BatchSize, count - start);
            using var scope = TensorScope.Begin();
            var x = Tensor.Empty(m, set.Channels, set.Height, set.Width);
            for (int i = 0; i < m; i++)
            {
                int k = start + i;
                var dst = x.Data.Slice(i * per, per);
                set.Image(k % set.Count).CopyTo(dst);
                if (k >= set.Count)
                    for (int row = 0; row < set.Channels * set.Height; row++) dst.Slice(row * set.Width, set.Width).Reverse();
            }
            Tensor y;
            using (Autograd.NoGrad()) y = session.Run(x);
            if (result is null)
            {
                width = y.Numel / m;
                result = new float[checked(width * count)];
            }
            y.Data.CopyTo(result.AsSpan(checked((int)(start * width)), checked((int)(m * width))));
        }
        log?.Invoke($"features of {count:N0} {what}{(flip ? " (with their flips)" : "")}: {sw.Elapsed.TotalSeconds:F1} s");
        return result!;
    }

    // The module applied to cached activations of the cut, in batches.
    private float[] Apply(OnnxModule module, float[] activations, int count, int? outWidth = null)
    {
        var cut = Cut!;
        int d = cut.Channels * cut.Height * cut.Width;
        int width = outWidth ?? FeatureCount;
        var result = new float[checked((long)width * count)];
        bool training = module.IsTraining;
        module.Eval();
        var session = new InferenceSession(module);
        for (int start = 0; start < count; start += _options.BatchSize)
        {
            int m = Math.Min(_options.BatchSize, count - start);
            using var scope = TensorScope.Begin();
            var x = Tensor.FromArray(activations.AsSpan(checked(start * d), m * d).ToArray(), m, cut.Channels, cut.Height, cut.Width);
            using (Autograd.NoGrad()) session.Run(x).Data.CopyTo(result.AsSpan(start * width, m * width));
        }
        if (training) module.Train();
        return result;
    }

    private (double Loss, double Accuracy) Evaluate(Linear head, float[] features)
    {
        using var scope = TensorScope.Begin();
        using var _ = Autograd.NoGrad();
        return EvaluateLogits(head.Forward(Tensor.FromArray(features, TestSet.Count, FeatureCount)).ToArray());
    }

    private (double Loss, double Accuracy) EvaluateLogits(float[] logits)
    {
        using var scope = TensorScope.Begin();
        using var _ = Autograd.NoGrad();
        int classes = _options.Classes.Count;
        double loss = F.CrossEntropy(Tensor.FromArray(logits, TestSet.Count, classes), TestSet.Labels).Item();
        return (loss, Accuracy(logits, TestSet.Labels, classes));
    }

    private static double Accuracy(float[] logits, IReadOnlyList<int> labels, int classes)
    {
        int correct = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            int best = 0;
            for (int k = 1; k < classes; k++)
                if (logits[i * classes + k] > logits[i * classes + best]) best = k;
            if (best == labels[i]) correct++;
        }
        return labels.Count == 0 ? 0 : (double)correct / labels.Count;
    }

    private static (float[] Mean, float[] Std) Standardisation(float[] x, int count, int f)
    {
        var mean = new double[f];
        var sq = new double[f];
        for (int i = 0; i < count; i++)
            for (int j = 0; j < f; j++) mean[j] += x[(long)i * f + j];
        for (int j = 0; j < f; j++) mean[j] /= count;
        for (int i = 0; i < count; i++)
            for (int j = 0; j < f; j++)
            {
                double v = x[(long)i * f + j] - mean[j];
                sq[j] += v * v;
            }
        // A feature that never varies keeps unit scale (it carries nothing; it must not blow up).
        return ([.. mean.Select(m => (float)m)], [.. sq.Select(s => Math.Sqrt(s / count) is var sd && sd > 1e-6 ? (float)sd : 1f)]);
    }

    private static float[] Standardised(float[] x, int count, float[] mean, float[] std)
    {
        int f = mean.Length;
        var r = new float[x.Length];
        for (int i = 0; i < count; i++)
            for (int j = 0; j < f; j++) r[(long)i * f + j] = (x[(long)i * f + j] - mean[j]) / std[j];
        return r;
    }
}
