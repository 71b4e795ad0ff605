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

    /// <summary>The step loop (optimizer, schedule, clipping) the trainer runs; runs build their epoch loop on it.</summary>
    public StepLoop Steps => _loop;

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

    /// <summary>The classification objective of this trainer's model and class weights on the given loaders.</summary>
    public ClassificationObjective Objective(DataLoader train, DataLoader? validation = null, DataLoader? test = null) =>
        new(Model, train, validation, test) { ClassWeights = ClassWeights };

    /// <summary>Trains one epoch; returns the mean loss and accuracy over its batches.</summary>
    public (double Loss, double Accuracy, double ImagesPerSecond, double Seconds) TrainEpoch(DataLoader loader, int epoch, Action<BatchProgress>? onBatch = null)
    {
        var stats = _loop.Run(Objective(loader), epoch, onBatch);
        return (stats.Loss, stats.Accuracy, stats.ExamplesPerSecond, stats.Seconds);
    }

    /// <summary>
    /// Trains <paramref name="epochs"/> epochs, evaluating on <paramref name="validation"/> (when given) after each;
    /// <paramref name="onEpoch"/> sees every finished epoch. A reduce-on-plateau schedule watches the validation loss
    /// (the training loss without validation).
    /// </summary>
    public IReadOnlyList<EpochRecord> Fit(DataLoader train, int epochs, DataLoader? validation = null, Action<EpochRecord>? onEpoch = null,
        Action<BatchProgress>? onBatch = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        return new EpochLoop<EpochRecord>(_loop).Run(Objective(train, validation), 0, epochs, onEpoch, onBatch);
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
}
