using System.Globalization;

namespace Striate.Optim;

/// <summary>A linear warm-up from zero over the first <see cref="Epochs"/> epochs, multiplied into another schedule.</summary>
public sealed class WarmupSchedule(LrSchedule inner, double epochs) : LrSchedule
{
    public LrSchedule Inner { get; } = inner;
    public double Epochs { get; } = epochs;

    public override double Factor(long step, long totalSteps, int stepsPerEpoch)
    {
        double warm = Epochs * Math.Max(stepsPerEpoch, 1);
        return Inner.Factor(step, totalSteps, stepsPerEpoch) * Math.Min(1.0, (step + 1) / warm);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Inner}+warmup:{Epochs}");
}
