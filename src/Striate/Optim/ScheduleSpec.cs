namespace Striate.Optim;

/// <summary>
/// A learning-rate schedule as a setting: checked and written in canonical form when read (<see cref="Parse"/>),
/// compared by that text, and made into a fresh <see cref="LrSchedule"/> for each run (<see cref="Create"/>), so no two
/// runs share a reduce-on-plateau schedule's state.
/// </summary>
public sealed record ScheduleSpec
{
    private ScheduleSpec(string text) => Text = text;

    /// <summary>The schedule's canonical text ("step:3:0.5+warmup:1"), as checkpoints keep it.</summary>
    public string Text { get; }

    /// <summary>The base rate throughout.</summary>
    public static ScheduleSpec Constant { get; } = Parse("constant");

    /// <summary>Reads a schedule as <see cref="LrSchedule.Parse"/> does and keeps its canonical text.</summary>
    /// <exception cref="ArgumentException">The text is not a schedule.</exception>
    public static ScheduleSpec Parse(string text) => new(LrSchedule.Parse(text).ToString()!);

    /// <summary>A new schedule object (with its own plateau state, where it has one).</summary>
    public LrSchedule Create() => LrSchedule.Parse(Text);

    /// <inheritdoc/>
    public override string ToString() => Text;
}
