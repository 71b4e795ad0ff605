namespace Striate.Optim;

/// <summary>
/// A learning-rate schedule: the multiplier of the base learning rate at a global step (batches since the
/// start of training), so a resumed run lands on the same rate as an uninterrupted one.
/// </summary>
public abstract class LrSchedule
{
    /// <summary>The multiplier at <paramref name="step"/> of <paramref name="totalSteps"/>.</summary>
    public abstract double Factor(long step, long totalSteps);

    /// <summary>The schedule names <see cref="Parse"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = ["constant", "cosine"];

    /// <summary>A schedule by name.</summary>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static LrSchedule Parse(string name) => name switch
    {
        "constant" or "none" => new ConstantSchedule(),
        "cosine" => new CosineSchedule(),
        _ => throw new ArgumentException($"Unknown schedule '{name}'. Valid schedules: {string.Join(", ", Names)}."),
    };
}

/// <summary>The base learning rate throughout.</summary>
public sealed class ConstantSchedule : LrSchedule
{
    public override double Factor(long step, long totalSteps) => 1.0;

    public override string ToString() => "constant";
}

/// <summary>
/// Cosine annealing per step (Loshchilov and Hutter, SGDR, 2017, without restarts):
/// factor = min + (1 - min) * (1 + cos(pi * step / total)) / 2.
/// </summary>
public sealed class CosineSchedule(double minFactor = 0.0) : LrSchedule
{
    public double MinFactor { get; } = minFactor;

    public override double Factor(long step, long totalSteps) =>
        totalSteps <= 0 ? 1.0 : MinFactor + (1 - MinFactor) * (1 + Math.Cos(Math.PI * Math.Min(step, totalSteps) / totalSteps)) / 2;

    public override string ToString() => "cosine";
}
