namespace Striate.Optim;

/// <summary>
/// Where an epoch stands after a batch, for progress displays and the per-step log: the running figures of the epoch
/// so far, the batch's own loss (null when the objective skipped the batch) and the learning rate it was stepped with.
/// </summary>
public readonly record struct BatchProgress(int Epoch, int Batch, int Batches, double RunningLoss, double RunningAccuracy, double ImagesPerSecond, TimeSpan Elapsed,
    double? Loss = null, double LearningRate = 0);
