using Striate.Data;
using Striate.Nn;
using Striate.Ops;
using Striate.Optim;
using Striate.Tensors;

namespace Striate.Training;

/// <summary>
/// The classification objective: cross-entropy of the logits (plus the weighted losses of auxiliary heads, as
/// GoogLeNet's), the mean over a batch's images, optionally class-weighted; after each epoch the model is evaluated on
/// the validation and test loaders it has. Reduce-on-plateau watches the validation loss, or the training loss when
/// nothing is held out; early stopping the validation loss or accuracy.
/// </summary>
public sealed class ClassificationObjective : ITrainingObjective<Batch, EpochRecord>
{
    private readonly Module _model;
    private readonly DataLoader _train;
    private readonly DataLoader? _validation;
    private readonly DataLoader? _test;

    /// <summary>Trains <paramref name="model"/> on <paramref name="train"/>; evaluates on <paramref name="validation"/> and <paramref name="test"/> when given.</summary>
    public ClassificationObjective(Module model, DataLoader train, DataLoader? validation = null, DataLoader? test = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _train = train ?? throw new ArgumentNullException(nameof(train));
        _validation = validation;
        _test = test;
    }

    /// <summary>Optional class weights for the loss.</summary>
    public Tensor? ClassWeights { get; init; }

    public int BatchCount => _train.BatchCount;

    public IEnumerable<Batch> Batches(int epoch)
    {
        _model.Train();
        return _train.Epoch(epoch);
    }

    public StepOutcome? Step(Batch batch, int epoch)
    {
        Tensor logits, loss;
        if (_model is IAuxiliaryClassifiers aux)
        {
            var outputs = aux.ForwardAll(batch.Images);
            logits = outputs[0];
            loss = F.CrossEntropy(logits, batch.Labels, ClassWeights);
            for (int h = 1; h < outputs.Count; h++)
                loss = F.Add(loss, F.MulScalar(F.CrossEntropy(outputs[h], batch.Labels, ClassWeights), aux.AuxiliaryWeight));
        }
        else
        {
            logits = _model.Call(batch.Images);
            loss = F.CrossEntropy(logits, batch.Labels, ClassWeights);
        }
        return new StepOutcome(loss, batch.Count, batch.Count, CountCorrect(logits, batch.Labels));
    }

    public EpochRecord Evaluate(int epoch, EpochStats stats)
    {
        var val = _validation is null ? null : Trainer.Evaluate(_model, _validation);
        var test = _test is null ? null : Trainer.Evaluate(_model, _test);
        return new EpochRecord(epoch + 1, stats.Loss, stats.Accuracy, val?.Loss, val?.Top1, test?.Loss, test?.Top1, test?.Top5,
            stats.ExamplesPerSecond, stats.Seconds, stats.LearningRate);
    }

    public double PlateauFigure(EpochRecord record) => record.ValidationLoss ?? record.TrainLoss;

    public double? Monitored(EpochRecord record, EarlyStoppingMonitor monitor) =>
        monitor == EarlyStoppingMonitor.Loss ? record.ValidationLoss : record.ValidationAccuracy;

    private static int CountCorrect(Tensor logits, int[] labels)
    {
        int classes = logits.Shape[1], correct = 0;
        var d = logits.Data;
        for (int i = 0; i < labels.Length; i++)
            if (TensorPrimitives.IndexOfMax(d.Slice(i * classes, classes)) == labels[i]) correct++;
        return correct;
    }
}
