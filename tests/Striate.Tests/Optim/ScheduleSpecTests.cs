using Striate.Optim;

namespace Striate.Tests.Optim;

/// <summary>A schedule as a setting: canonical text, compared by it, and a fresh schedule object for each run.</summary>
public class ScheduleSpecTests
{
    [Theory]
    [InlineData("constant", "constant")]
    [InlineData("none", "constant")]
    [InlineData(" Cosine ", "cosine")]
    [InlineData("STEP:3:0.5+warmup:1", "step:3:0.5+warmup:1")]
    public void TextIsCanonical(string given, string canonical)
    {
        var spec = ScheduleSpec.Parse(given);
        Assert.Equal(LrSchedule.Parse(canonical).ToString(), spec.Text);
        // Two spellings of one schedule are one setting (what a resumed run compares).
        Assert.Equal(ScheduleSpec.Parse(canonical), spec);
        Assert.Equal(spec.Text, spec.ToString());
    }

    [Fact]
    public void EachRunGetsItsOwnPlateauState()
    {
        var spec = ScheduleSpec.Parse("plateau:0.5:0");
        var a = spec.Create().Plateau!;
        var b = spec.Create().Plateau!;
        Assert.NotSame(a, b);
        double before = b.Scale;
        a.Step(10, 1);
        a.Step(10, 1);
        a.Step(10, 1);
        Assert.True(a.Scale < before, "the plateau schedule did not reduce after three equal losses with patience 0");
        Assert.Equal(before, b.Scale);
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("step:0:0.5")]
    [InlineData("plateau:2:1")]
    public void NotAScheduleIsRefused(string text) =>
        Assert.Contains($"'{text}'", Assert.Throws<ArgumentException>(() => ScheduleSpec.Parse(text)).Message);
}
