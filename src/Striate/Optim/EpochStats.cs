namespace Striate.Optim;

/// <summary>
/// One epoch of <see cref="StepLoop"/>: the weighted mean loss, the accuracy (when the objective counts correct
/// predictions, else 0), the examples seen, the steps taken and the batches skipped, the time and the learning rate
/// of the last step.
/// </summary>
public readonly record struct EpochStats(double Loss, double Accuracy, long Examples, int Steps, int Skipped, double Seconds, double LearningRate = 0)
{
    /// <summary>Examples per second.</summary>
    public double ExamplesPerSecond => Examples / Math.Max(Seconds, 1e-9);
}
