using System.Globalization;

namespace Striate.Optim;

/// <summary>
/// Step decay by epoch, as torch.optim.lr_scheduler.StepLR (every <see cref="StepSize"/> epochs) or MultiStepLR
/// (at each milestone epoch): factor = gamma ^ (number of boundaries passed).
/// </summary>
public sealed class StepSchedule(int[] milestones, int stepSize, double gamma) : LrSchedule
{
    public IReadOnlyList<int> Milestones { get; } = milestones;
    public int StepSize { get; } = stepSize;
    public double Gamma { get; } = gamma;

    public override double Factor(long step, long totalSteps, int stepsPerEpoch)
    {
        long epoch = stepsPerEpoch <= 0 ? 0 : step / stepsPerEpoch;
        int passed = StepSize > 0 ? (int)(epoch / StepSize) : Milestones.Count(m => epoch >= m);
        return Math.Pow(Gamma, passed);
    }

    public override string ToString() => StepSize > 0
        ? string.Create(CultureInfo.InvariantCulture, $"step:{StepSize}:{Gamma}")
        : string.Create(CultureInfo.InvariantCulture, $"multistep:{string.Join(",", Milestones)}:{Gamma}");
}
