namespace Striate.Optim;

/// <summary>
/// The one epoch loop of every kind of run: each epoch the objective's batches through <see cref="StepLoop"/> (scope,
/// schedule, clipping, divergence check, progress), then the objective's evaluation, the reduce-on-plateau step, early
/// stopping, the run's after-epoch work (its checkpoint and logs) and the epoch event; it ends at the last epoch, on
/// early stopping or on cancellation.
/// </summary>
/// <typeparam name="TRecord">What one epoch reports.</typeparam>
public sealed class EpochLoop<TRecord>
{
    public EpochLoop(StepLoop steps) => Steps = steps ?? throw new ArgumentNullException(nameof(steps));

    /// <summary>The step loop: optimizer, schedule, clipping and after-step hook.</summary>
    public StepLoop Steps { get; }

    /// <summary>Early stopping, or null for none; its state is the caller's to save.</summary>
    public EarlyStopping? EarlyStop { get; init; }

    /// <summary>
    /// Runs after each epoch's evaluation, schedule and early-stopping steps and before the epoch event: the record, the
    /// epochs done (from 1) and whether the epoch is early stopping's new best. Runs write their checkpoint and logs here.
    /// </summary>
    public Action<TRecord, int, bool>? AfterEpoch { get; init; }

    /// <summary>
    /// Trains epochs <paramref name="start"/> to <paramref name="end"/> - 1 (from 0; the schedule spans
    /// <paramref name="end"/> epochs); <paramref name="onEpoch"/> sees every record, <paramref name="onBatch"/> every step.
    /// </summary>
    /// <exception cref="InvalidOperationException">A loss is not finite, or early stopping watches a metric the objective does not measure.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancel"/> was signalled before an epoch.</exception>
    public IReadOnlyList<TRecord> Run<TBatch>(ITrainingObjective<TBatch, TRecord> objective, int start, int end, Action<TRecord>? onEpoch = null,
        Action<BatchProgress>? onBatch = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfLessThan(end, start);
        Steps.TotalEpochs = end;
        var records = new List<TRecord>();
        for (int epoch = start; epoch < end; epoch++)
        {
            cancel.ThrowIfCancellationRequested();
            var stats = Steps.Run(objective, epoch, onBatch);
            var record = objective.Evaluate(epoch, stats);
            Steps.Schedule?.Plateau?.Step(objective.PlateauFigure(record), Steps.BaseLr);
            bool best = EarlyStop is not null && EarlyStop.Step(objective.Monitored(record, EarlyStop.Monitor)
                ?? throw new InvalidOperationException($"early stopping watches the validation {EarlyStopping.NameOf(EarlyStop.Monitor)}, which this run does not measure."), epoch + 1);
            AfterEpoch?.Invoke(record, epoch + 1, best);
            records.Add(record);
            onEpoch?.Invoke(record);
            if (EarlyStop is { Stopped: true }) break;
        }
        return records;
    }
}
