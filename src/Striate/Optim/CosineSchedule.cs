namespace Striate.Optim;

/// <summary>
/// Cosine annealing per step (Loshchilov and Hutter, SGDR, 2017, without restarts):
/// factor = min + (1 - min) * (1 + cos(pi * step / total)) / 2.
/// </summary>
public sealed class CosineSchedule(double minFactor = 0.0) : LrSchedule
{
    public double MinFactor { get; } = minFactor;

    public override double Factor(long step, long totalSteps, int stepsPerEpoch) =>
        totalSteps <= 0 ? 1.0 : MinFactor + (1 - MinFactor) * (1 + Math.Cos(Math.PI * Math.Min(step, totalSteps) / totalSteps)) / 2;

    public override string ToString() => "cosine";
}
