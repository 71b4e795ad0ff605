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
        var c = Compare(expected, actual, relTol);
        if (c.LengthMismatch)
            Assert.Fail($"{what}: expected {expected.Length} values, got {actual.Length}.");
        if (c.Mismatches > 0)
            Assert.Fail($"{what}: {c.Describe(expected, actual, relTol)}");
    }

    /// <summary>
    /// The comparison of <see cref="Close"/> without asserting: how many values lie outside the tolerance, the
    /// first of them and the largest difference.
    /// </summary>
    public static Comparison Compare(float[] expected, float[] actual, double relTol)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentOutOfRangeException.ThrowIfNegative(relTol);
        if (expected.Length != actual.Length)
            return new Comparison(true, expected.Length, 0, -1, -1, 0);

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
        return new Comparison(false, expected.Length, mismatches, first, worst, worstDiff);
    }

    /// <summary>The outcome of <see cref="Compare"/>; indices are -1 where there is none.</summary>
    public readonly record struct Comparison(bool LengthMismatch, int Count, int Mismatches, int First, int Worst, double WorstDifference)
    {
        /// <summary>"k of n values differ by more than relTol t. First at ... Largest difference ...".</summary>
        public string Describe(float[] expected, float[] actual, double relTol)
        {
            if (LengthMismatch)
                return $"expected {expected.Length} values, got {actual.Length}.";
            var message = new StringBuilder();
            message.Append(CultureInfo.InvariantCulture,
                $"{Mismatches} of {Count} values differ by more than relTol {relTol:G3}. ");
            if (First >= 0)
                message.Append(CultureInfo.InvariantCulture,
                    $"First at index {First}: expected {expected[First]:G9}, got {actual[First]:G9}. ");
            if (Worst >= 0)
                message.Append(CultureInfo.InvariantCulture,
                    $"Largest difference {WorstDifference:G3} at index {Worst}: expected {expected[Worst]:G9}, got {actual[Worst]:G9}.");
            return message.ToString().TrimEnd();
        }
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
