namespace Striate.Training;

/// <summary>One line of the training log.</summary>
public sealed record EpochRecord(
    int Epoch,
    double TrainLoss,
    double TrainAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double? TestLoss,
    double? TestAccuracy,
    double? TestTop5,
    double ImagesPerSecond,
    double Seconds,
    double LearningRate);
