using Xunit.Sdk;

namespace Striate.Oracle.Tests;

public class OracleAssertTests
{
    [Fact]
    public void PassesWithinTolerance()
    {
        OracleAssert.Close([1000f, 0f, -2f, float.NaN], [1000.5f, 1e-4f, -2.0001f, float.NaN], 1e-3, "values");
    }

    [Fact]
    public void ReportsFirstMismatchAndLargestDifference()
    {
        var e = Assert.Throws<FailException>(() =>
            OracleAssert.Close([0f, 1f, 2f, 3f], [0f, 1.5f, 2f, 9f], 1e-5, "conv output"));

        Assert.Contains("conv output: 2 of 4 values", e.Message);
        Assert.Contains("First at index 1: expected 1, got 1.5", e.Message);
        Assert.Contains("Largest difference 6 at index 3: expected 3, got 9", e.Message);
    }

    [Fact]
    public void ReportsLengthMismatch()
    {
        var e = Assert.Throws<FailException>(() => OracleAssert.Close([1f, 2f], [1f], 0, "grad"));
        Assert.Contains("grad: expected 2 values, got 1", e.Message);
    }

    [Fact]
    public void NaNMatchesOnlyNaN()
    {
        var e = Assert.Throws<FailException>(() => OracleAssert.Close([float.NaN], [0f], 1, "loss"));
        Assert.Contains("expected NaN, got 0", e.Message);
    }
}
