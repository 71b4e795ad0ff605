using Striate.Optim;
using Striate.Tensors;

namespace Striate.Tests.Optim;

public class ScheduleTests
{
    [Fact]
    public void StepAndMultiStepDecayByEpoch()
    {
        var step = LrSchedule.Parse("step:2:0.1");
        // 10 steps an epoch: epochs 0-1 at 1, 2-3 at 0.1, 4 at 0.01 (torch StepLR(step_size=2, gamma=0.1)).
        Assert.Equal([1, 1, 0.1, 0.1, 0.01], Enumerable.Range(0, 5).Select(e => Math.Round(step.Factor(e * 10 + 3, 50, 10), 10)));
        var multi = LrSchedule.Parse("multistep:2,4:0.5");
        Assert.Equal([1, 1, 0.5, 0.5, 0.25, 0.25], Enumerable.Range(0, 6).Select(e => multi.Factor(e * 10, 60, 10)));
        Assert.Equal("step:2:0.1", step.ToString());
        Assert.Equal("multistep:2,4:0.5", multi.ToString());
    }

    [Fact]
    public void OneCycleFollowsTorchsShape()
    {
        var s = LrSchedule.Parse("onecycle");
        const int total = 101; // torch: warm phase ends at step 0.3 * 101 - 1 = 29.3
        Assert.Equal(1.0 / 25, s.Factor(0, total, 10), 12);
        double peak = Enumerable.Range(0, total).Max(t => s.Factor(t, total, 10));
        Assert.InRange(peak, 0.99, 1.0);
        Assert.Equal(1.0 / 25 / 1e4, s.Factor(total - 1, total, 10), 12);
        for (int t = 1; t < 29; t++) Assert.True(s.Factor(t, total, 10) > s.Factor(t - 1, total, 10));
        for (int t = 31; t < total; t++) Assert.True(s.Factor(t, total, 10) < s.Factor(t - 1, total, 10));
    }

    [Fact]
    public void WarmupRampsLinearlyThenHandsOver()
    {
        var s = LrSchedule.Parse("cosine+warmup:1");
        Assert.Equal(1.0 / 100, s.Factor(0, 1000, 100) / new CosineSchedule().Factor(0, 1000, 100), 10);
        Assert.Equal(new CosineSchedule().Factor(500, 1000, 100), s.Factor(500, 1000, 100), 12);
        Assert.Equal("cosine+warmup:1", s.ToString());
        Assert.Equal(s.ToString(), LrSchedule.Parse(s.ToString()!).ToString());
    }

    [Theory]
    [InlineData("linear", "expected one of")]
    [InlineData("step:0:0.1", "step size")]
    [InlineData("step:2:1.5", "gamma")]
    [InlineData("multistep:4,2:0.1", "increasing")]
    [InlineData("cosine+warmup:x", "not a number")]
    public void BadSchedulesAreRejected(string spec, string fragment) =>
        Assert.Contains(fragment, Assert.Throws<ArgumentException>(() => LrSchedule.Parse(spec)).Message);

    [Fact]
    public void ClipGradNormScalesTheJointNorm()
    {
        var a = Tensor.FromArray([3f, 0f], 2);
        var b = Tensor.FromArray([4f], 1);
        a.Grad = Tensor.FromArray([3f, 0f], 2);
        b.Grad = Tensor.FromArray([4f], 1);
        double norm = GradientClipping.ClipGradNorm([a, b], 1.0);
        Assert.Equal(5.0, norm, 6);
        Assert.Equal(0.6f, a.Grad.Data[0], 5);
        Assert.Equal(0.8f, b.Grad.Data[0], 5);
        Assert.Equal(1.0, GradientClipping.ClipGradNorm([a, b], 10.0), 5); // under the limit: unchanged
        Assert.Equal(0.6f, a.Grad.Data[0], 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipGradNorm([a], 0));
    }
}
