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
    public static IReadOnlyList<string> Names { get; } = ["constant", "cosine", "step", "multistep", "onecycle", "plateau"];

    /// <summary>The reduce-on-plateau schedule inside this one (itself or under a warm-up), or null.</summary>
    public PlateauSchedule? Plateau => this switch
    {
        PlateauSchedule p => p,
        WarmupSchedule w => w.Inner.Plateau,
        _ => null,
    };

    /// <summary>
    /// Parses "constant", "cosine", "step:SIZE:GAMMA" (epochs), "multistep:E1,E2,...:GAMMA", "onecycle",
    /// "plateau:FACTOR:PATIENCE[:COOLDOWN[:MIN_LR]]" (see <see cref="PlateauSchedule"/>), each
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
            case "plateau" when parts.Length is >= 3 and <= 5:
                {
                    double factor = Number(parts[1], spec, "factor"), patience = Number(parts[2], spec, "patience");
                    double cooldown = parts.Length > 3 ? Number(parts[3], spec, "cooldown") : 0, minLr = parts.Length > 4 ? Number(parts[4], spec, "min_lr") : 0;
                    if (!(factor > 0 && factor < 1)) throw Bad(spec, "the factor must be in (0, 1)");
                    if (patience < 0 || patience != Math.Floor(patience) || cooldown < 0 || cooldown != Math.Floor(cooldown))
                        throw Bad(spec, "patience and cooldown must be whole numbers of epochs >= 0");
                    if (minLr < 0) throw Bad(spec, "min_lr must be >= 0");
                    return new PlateauSchedule(factor, (int)patience, (int)cooldown, minLr);
                }
            default:
                throw Bad(spec, $"expected one of constant, cosine, onecycle, step:SIZE:GAMMA, multistep:E1,E2:GAMMA, plateau:FACTOR:PATIENCE[:COOLDOWN[:MIN_LR]], optionally +warmup:EPOCHS");
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
