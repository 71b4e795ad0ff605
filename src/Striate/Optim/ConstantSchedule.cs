namespace Striate.Optim;

/// <summary>The base learning rate throughout.</summary>
public sealed class ConstantSchedule : LrSchedule
{
    public override double Factor(long step, long totalSteps, int stepsPerEpoch) => 1.0;

    public override string ToString() => "constant";
}
