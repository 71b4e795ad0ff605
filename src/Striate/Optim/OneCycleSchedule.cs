namespace Striate.Optim;

/// <summary>
/// The one-cycle policy (Smith and Topin, 2019) as torch.optim.lr_scheduler.OneCycleLR with cosine annealing:
/// from base / 25 up to the base rate over the first 30% of the steps, then down to base / (25 * 10^4).
/// </summary>
public sealed class OneCycleSchedule : LrSchedule
{
    public const double PctStart = 0.3, DivFactor = 25, FinalDivFactor = 1e4;

    public override double Factor(long step, long totalSteps, int stepsPerEpoch)
    {
        if (totalSteps <= 1) return 1.0;
        double up = PctStart * totalSteps - 1, initial = 1 / DivFactor, final = initial / FinalDivFactor;
        double t = Math.Min(step, totalSteps - 1);
        if (t <= up) return Anneal(initial, 1, up <= 0 ? 1 : t / up);
        return Anneal(1, final, (t - up) / (totalSteps - 1 - up));
    }

    private static double Anneal(double start, double end, double pct) => end + (start - end) / 2 * (1 + Math.Cos(Math.PI * pct));

    public override string ToString() => "onecycle";
}
