namespace Striate.Optim;

/// <summary>
/// What a run trains for, as <see cref="EpochLoop{TRecord}"/> runs it: the batches of an epoch, the loss of one batch,
/// the record of a finished epoch (its evaluation), and the figures in a record that the schedule and early stopping
/// watch. Classification by cross-entropy, a triplet or contrastive embedding and a DeepFace similarity head are the
/// objectives; the loop around them is one.
/// </summary>
/// <typeparam name="TBatch">What one step reads.</typeparam>
/// <typeparam name="TRecord">What one epoch reports.</typeparam>
public interface ITrainingObjective<TBatch, TRecord>
{
    /// <summary>Batches per epoch (the schedule's unit of progress).</summary>
    int BatchCount { get; }

    /// <summary>The batches of epoch <paramref name="epoch"/> (from 0), with the model put in training mode.</summary>
    IEnumerable<TBatch> Batches(int epoch);

    /// <summary>The loss of one batch, or null to skip it (the schedule still counts it).</summary>
    StepOutcome? Step(TBatch batch, int epoch);

    /// <summary>The record of epoch <paramref name="epoch"/> (from 0) once its steps are done: their figures and the objective's evaluation.</summary>
    TRecord Evaluate(int epoch, EpochStats stats);

    /// <summary>The figure of a record that reduce-on-plateau watches (lower is better).</summary>
    double PlateauFigure(TRecord record);

    /// <summary>The validation metric of a record that early stopping watches; null when the objective measures none.</summary>
    double? Monitored(TRecord record, EarlyStoppingMonitor monitor) => null;
}
