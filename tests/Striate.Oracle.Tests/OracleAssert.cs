using System.Globalization;
using System.Text;

namespace Striate.Oracle.Tests;

/// <summary>Numeric comparisons whose failure messages say where the values part and by how much.</summary>
public static class OracleAssert
{
    /// <summary>
    /// Passes when both arrays have the same length and every pair satisfies
    /// |actual - expected| &lt;= relTol * max(1, |expected|): relative for values of magnitude 1 and above, absolute
    /// (relTol) below, so values near zero do not demand impossible precision. NaN matches only NaN; an infinity
    /// matches only the same infinity. On failure the message gives the number of mismatches, the first
    /// mismatching index with both values, and the largest difference.
    /// </summary>
    public static void Close(float[] expected, float[] actual, double relTol, string what)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentOutOfRangeException.ThrowIfNegative(relTol);
        if (expected.Length != actual.Length)
            Assert.Fail($"{what}: expected {expected.Length} values, got {actual.Length}.");

        int mismatches = 0, first = -1, worst = -1;
        double worstDiff = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            double diff = Difference(e, a);
            if (diff > worstDiff || (worst < 0 && diff > 0))
            {
                worstDiff = diff;
                worst = i;
            }
            if (diff <= relTol * (double.IsFinite(e) ? Math.Max(1.0, Math.Abs(e)) : 1.0))
                continue;
            mismatches++;
            if (first < 0)
                first = i;
        }
        if (mismatches == 0)
            return;

        var message = new StringBuilder();
        message.Append(CultureInfo.InvariantCulture,
            $"{what}: {mismatches} of {expected.Length} values differ by more than relTol {relTol:G3}. ");
        message.Append(CultureInfo.InvariantCulture,
            $"First at index {first}: expected {expected[first]:G9}, got {actual[first]:G9}. ");
        message.Append(CultureInfo.InvariantCulture,
            $"Largest difference {worstDiff:G3} at index {worst}: expected {expected[worst]:G9}, got {actual[worst]:G9}.");
        Assert.Fail(message.ToString());
    }

    // |a - e|, with 0 for matching NaNs or equal infinities and +infinity for any other non-finite mismatch.
    private static double Difference(double e, double a)
    {
        if (double.IsNaN(e) || double.IsNaN(a))
            return double.IsNaN(e) && double.IsNaN(a) ? 0 : double.PositiveInfinity;
        if (double.IsInfinity(e) || double.IsInfinity(a))
            return e == a ? 0 : double.PositiveInfinity;
        return Math.Abs(a - e);
    }
}
