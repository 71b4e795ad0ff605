namespace Striate.Optim;

/// <summary>Where an epoch stands after a batch, for progress displays.</summary>
public readonly record struct BatchProgress(int Epoch, int Batch, int Batches, double RunningLoss, double RunningAccuracy, double ImagesPerSecond, TimeSpan Elapsed);
