namespace Striate.Runs;

/// <summary>
/// One epoch of embedding training: the mean loss, and on validation pairs the ROC AUC, the chosen tau and the accuracy
/// at it; <see cref="SkippedBatches"/> counts the triplet batches passed over because they could not form a triplet
/// (one class only, or no class with two images).
/// </summary>
public sealed record EmbeddingEpoch(int Epoch, double TrainLoss, double ValidationAuc, double Tau, double ValidationAccuracy, double ImagesPerSecond, double Seconds, int SkippedBatches = 0);
