using System.Globalization;

namespace Striate.Optim;

/// <summary>
/// A learning-rate schedule: the multiplier of the base learning rate at a global step (batches since the
/// start of training), so a resumed run lands on the same rate as an uninterrupted one. A schedule is written
/// as text (<see cref="Parse"/>, and each schedule's ToString) so a checkpoint can carry it.
/// </summary>
public abstract class LrSchedule
{
    /// <summary>The multiplier at <paramref name="step"/> of <paramref name="totalSteps"/>, with <paramref name="stepsPerEpoch"/> steps an epoch.</summary>
    public abstract double Factor(long step, long totalSteps, int stepsPerEpoch);

    /// <summary>The schedule names <see cref="Parse"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = ["constant", "cosine", "step", "multistep", "onecycle"];

    /// <summary>
    /// Parses "constant", "cosine", "step:SIZE:GAMMA" (epochs), "multistep:E1,E2,...:GAMMA", "onecycle", each
    /// optionally followed by "+warmup:EPOCHS" (a linear warm-up from zero over that many epochs).
    /// </summary>
    /// <exception cref="ArgumentException">The text is not a schedule.</exception>
    public static LrSchedule Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var text = spec.Trim().ToLowerInvariant();
        int plus = text.IndexOf("+warmup:", StringComparison.Ordinal);
        if (plus >= 0)
        {
            var inner = Parse(text[..plus]);
            double epochs = Number(text[(plus + 8)..], spec, "warm-up epochs");
            if (epochs <= 0) throw Bad(spec, "warm-up epochs must be > 0");
            return new WarmupSchedule(inner, epochs);
        }
        var parts = text.Split(':');
        switch (parts[0])
        {
            case "constant" or "none" when parts.Length == 1:
                return new ConstantSchedule();
            case "cosine" when parts.Length == 1:
                return new CosineSchedule();
            case "onecycle" when parts.Length == 1:
                return new OneCycleSchedule();
            case "step" when parts.Length == 3:
                {
                    double size = Number(parts[1], spec, "step size");
                    if (size < 1 || size != Math.Floor(size)) throw Bad(spec, "the step size must be a whole number of epochs >= 1");
                    return new StepSchedule([], (int)size, Gamma(parts[2], spec));
                }
            case "multistep" when parts.Length == 3:
                {
                    var milestones = parts[1].Split(',').Select(m => Number(m, spec, "milestone")).ToArray();
                    if (milestones.Any(m => m < 1 || m != Math.Floor(m)) || milestones.Zip(milestones.Skip(1)).Any(p => p.Second <= p.First))
                        throw Bad(spec, "milestones must be increasing whole epochs >= 1");
                    return new StepSchedule(milestones.Select(m => (int)m).ToArray(), 0, Gamma(parts[2], spec));
                }
            default:
                throw Bad(spec, $"expected one of constant, cosine, onecycle, step:SIZE:GAMMA, multistep:E1,E2:GAMMA, optionally +warmup:EPOCHS");
        }
    }

    private static double Gamma(string text, string spec)
    {
        double g = Number(text, spec, "gamma");
        if (!(g > 0 && g <= 1)) throw Bad(spec, "gamma must be in (0, 1]");
        return g;
    }

    private static double Number(string text, string spec, string what) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v : throw Bad(spec, $"the {what} '{text}' is not a number");

    private static ArgumentException Bad(string spec, string why) => new($"Schedule '{spec}': {why}.");
}
