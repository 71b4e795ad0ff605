using System.Diagnostics;
using Striate.Tensors;

namespace Striate.Optim;

/// <summary>
/// The one optimisation loop of every kind of run: per batch, the learning rate from the schedule, a
/// <see cref="TensorScope"/> around the step (its activations go back to the pool), the objective's loss, zeroed
/// gradients, backward, clipping, the optimizer's step, an after-step hook (a moving average of the weights) and a
/// check that the loss is finite. What a step computes is the objective's: classification's cross-entropy, an
/// embedding's triplet or contrastive loss, a DeepFace head's binary cross-entropy.
/// </summary>
public sealed class StepLoop
{
    // The parameters the optimizer updates, listed once: clipping runs every step.
    private List<Tensor>? _stepped;

    public StepLoop(Optimizer optimizer)
    {
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
        BaseLr = optimizer.Lr;
    }

    public Optimizer Optimizer { get; }

    /// <summary>The learning-rate schedule applied before every step (the rate stays as it is when null).</summary>
    public LrSchedule? Schedule { get; set; }

    /// <summary>The learning rate the schedule multiplies; the optimizer's when the loop is made.</summary>
    public float BaseLr { get; set; }

    /// <summary>Epochs of the whole run, which the schedule spans.</summary>
    public int TotalEpochs { get; set; } = 1;

    /// <summary>When set, gradients are clipped to this joint L2 norm before every step.</summary>
    public double? ClipGradNorm { get; set; }

    /// <summary>Runs after every optimizer step (for example a moving average of the weights).</summary>
    public Action? AfterStep { get; set; }

    /// <summary>One epoch of <paramref name="objective"/>'s batches (the model in training mode), as <see cref="EpochLoop{TRecord}"/> runs it.</summary>
    /// <exception cref="InvalidOperationException">A loss is not finite (the run diverged).</exception>
    public EpochStats Run<TBatch, TRecord>(ITrainingObjective<TBatch, TRecord> objective, int epoch, Action<BatchProgress>? onStep = null)
    {
        ArgumentNullException.ThrowIfNull(objective);
        return Run(objective.Batches(epoch), objective.BatchCount, epoch, batch => objective.Step(batch, epoch), onStep);
    }

    /// <summary>
    /// One epoch: <paramref name="step"/> gives each batch's loss, or null to skip the batch (the schedule still counts
    /// it); <paramref name="onStep"/> sees the running figures after each batch.
    /// </summary>
    /// <exception cref="InvalidOperationException">A loss is not finite (the run diverged).</exception>
    public EpochStats Run<TBatch>(IEnumerable<TBatch> batches, int batchCount, int epoch, Func<TBatch, StepOutcome?> step, Action<BatchProgress>? onStep = null)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(step);
        var sw = Stopwatch.StartNew();
        double lossSum = 0, weights = 0;
        long correct = 0, seen = 0;
        int b = 0, steps = 0, skipped = 0;
        foreach (var batch in batches)
        {
            if (Schedule is not null)
                Optimizer.Lr = (float)(BaseLr * Schedule.Factor((long)epoch * batchCount + b, (long)TotalEpochs * batchCount, batchCount));
            double? batchLoss = null;
            using (TensorScope.Begin())
            {
                if (step(batch) is not { } outcome)
                    skipped++;
                else
                {
                    Optimizer.ZeroGrad();
                    outcome.Loss.Backward();
                    if (ClipGradNorm is double clip) GradientClipping.ClipGradNorm(_stepped ??= Optimizer.Groups.SelectMany(g => g.Parameters).ToList(), clip);
                    Optimizer.Step();
                    AfterStep?.Invoke();
                    float l = outcome.Loss.Item();
                    if (!float.IsFinite(l))
                        throw new InvalidOperationException($"Training diverged: the loss of epoch {epoch + 1}, batch {b + 1} is {l}. Lower the learning rate.");
                    batchLoss = l;
                    lossSum += (double)l * outcome.Weight;
                    weights += outcome.Weight;
                    if (outcome.Correct >= 0) correct += outcome.Correct;
                    seen += outcome.Examples;
                    steps++;
                }
            }
            b++;
            onStep?.Invoke(new BatchProgress(epoch, b, batchCount, weights == 0 ? 0 : lossSum / weights, seen == 0 ? 0 : (double)correct / seen,
                seen / sw.Elapsed.TotalSeconds, sw.Elapsed, batchLoss, Optimizer.Lr));
        }
        return new EpochStats(weights == 0 ? 0 : lossSum / weights, seen == 0 ? 0 : (double)correct / seen, seen, steps, skipped, sw.Elapsed.TotalSeconds, Optimizer.Lr);
    }
}
