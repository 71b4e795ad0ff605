using Striate.Data;
using Striate.Nn;
using Striate.Ops;
using Striate.Optim;
using Striate.Tensors;

namespace Striate.Training;

/// <summary>
/// Fits a classifier with cross-entropy: each step runs in a <see cref="TensorScope"/>, so activations go back
/// to the pool, and evaluation runs under <see cref="Autograd.NoGrad"/> in evaluation mode.
/// </summary>
public sealed class Trainer
{
    public Trainer(Module model, Optimizer optimizer)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        _loop = new StepLoop(optimizer);
    }

    // The optimisation loop every run shares; the trainer gives it the classification objective.
    private readonly StepLoop _loop;

    public Module Model { get; }
    public Optimizer Optimizer { get; }

    /// <summary>Optional class weights for the loss.</summary>
    public Tensor? ClassWeights { get; set; }

    /// <summary>The learning-rate schedule applied before every step (constant when null).</summary>
    public LrSchedule? Schedule
    {
        get => _loop.Schedule;
        set => _loop.Schedule = value;
    }

    /// <summary>The learning rate the schedule multiplies; taken from the optimizer when the trainer is made.</summary>
    public float BaseLr
    {
        get => _loop.BaseLr;
        set => _loop.BaseLr = value;
    }

    /// <summary>When set, gradients are clipped to this joint L2 norm before every step.</summary>
    public double? ClipGradNorm
    {
        get => _loop.ClipGradNorm;
        set => _loop.ClipGradNorm = value;
    }

    /// <summary>Epochs of the whole run, which the schedule spans.</summary>
    public int TotalEpochs
    {
        get => _loop.TotalEpochs;
        set => _loop.TotalEpochs = value;
    }

    /// <summary>Trains one epoch; returns the mean loss and accuracy over its batches.</summary>
    public (double Loss, double Accuracy, double ImagesPerSecond, double Seconds) TrainEpoch(DataLoader loader, int epoch, Action<BatchProgress>? onBatch = null)
    {
        Model.Train();
        var stats = _loop.Run(loader.Epoch(epoch), loader.BatchCount, epoch, Classify, onBatch);
        return (stats.Loss, stats.Accuracy, stats.ExamplesPerSecond, stats.Seconds);
    }

    // The classification objective: cross-entropy of the logits (plus the weighted losses of auxiliary heads, as
    // GoogLeNet's), the mean over the batch's images, and the images it got right.
    private StepOutcome? Classify(Batch batch)
    {
        Tensor logits, loss;
        if (Model is IAuxiliaryClassifiers aux)
        {
            var outputs = aux.ForwardAll(batch.Images);
            logits = outputs[0];
            loss = F.CrossEntropy(logits, batch.Labels, ClassWeights);
            for (int h = 1; h < outputs.Count; h++)
                loss = F.Add(loss, F.MulScalar(F.CrossEntropy(outputs[h], batch.Labels, ClassWeights), aux.AuxiliaryWeight));
        }
        else
        {
            logits = Model.Call(batch.Images);
            loss = F.CrossEntropy(logits, batch.Labels, ClassWeights);
        }
        return new StepOutcome(loss, batch.Count, batch.Count, CountCorrect(logits, batch.Labels));
    }

    /// <summary>
    /// Trains <paramref name="epochs"/> epochs, evaluating on <paramref name="validation"/> (when given) after each;
    /// <paramref name="onEpoch"/> sees every finished epoch.
    /// </summary>
    public IReadOnlyList<EpochRecord> Fit(DataLoader train, int epochs, DataLoader? validation = null, Action<EpochRecord>? onEpoch = null,
        Action<BatchProgress>? onBatch = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        TotalEpochs = epochs;
        var records = new List<EpochRecord>();
        for (int e = 0; e < epochs; e++)
        {
            var (loss, acc, ips, secs) = TrainEpoch(train, e, onBatch);
            var val = validation is null ? null : Evaluate(Model, validation);
            var r = new EpochRecord(e + 1, loss, acc, val?.Loss, val?.Top1, null, null, null, ips, secs, Optimizer.Lr);
            records.Add(r);
            onEpoch?.Invoke(r);
        }
        return records;
    }

    /// <summary>Loss, top-1, top-5, per-class accuracy and confusion matrix of <paramref name="model"/> on a loader's data.</summary>
    public static EvaluationResult Evaluate(Module model, DataLoader loader)
    {
        bool wasTraining = model.IsTraining;
        model.Eval();
        int k = loader.Dataset.ClassCount;
        var confusion = new long[k, k];
        double lossSum = 0;
        int count = 0, top1 = 0, top5 = 0;
        try
        {
            using var _ = Autograd.NoGrad();
            foreach (var batch in loader.Epoch())
            {
                using var scope = TensorScope.Begin();
                var logits = model.Call(batch.Images);
                lossSum += (double)F.CrossEntropy(logits, batch.Labels, reduction: Reduction.Sum).Item();
                var d = logits.Data;
                int classes = logits.Shape[1];
                for (int i = 0; i < batch.Count; i++)
                {
                    var row = d.Slice(i * classes, classes);
                    int pred = TensorPrimitives.IndexOfMax(row);
                    int truth = batch.Labels[i];
                    confusion[truth, Math.Min(pred, k - 1)]++;
                    if (pred == truth) top1++;
                    int higher = 0;
                    for (int j = 0; j < classes; j++)
                        if (row[j] > row[truth]) higher++;
                    if (higher < 5) top5++;
                }
                count += batch.Count;
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
        return new EvaluationResult(count == 0 ? 0 : lossSum / count, count, top1, top5, confusion, loader.Dataset.ClassNames);
    }

    /// <summary>Class probabilities [N, classes] for images [N, C, H, W], in evaluation mode.</summary>
    public static Tensor PredictProbabilities(Module model, Tensor images)
    {
        bool wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            using var _ = Autograd.NoGrad();
            return F.Softmax(model.Call(images), 1).Clone();
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    private static int CountCorrect(Tensor logits, int[] labels)
    {
        int classes = logits.Shape[1], correct = 0;
        var d = logits.Data;
        for (int i = 0; i < labels.Length; i++)
            if (TensorPrimitives.IndexOfMax(d.Slice(i * classes, classes)) == labels[i]) correct++;
        return correct;
    }
}
