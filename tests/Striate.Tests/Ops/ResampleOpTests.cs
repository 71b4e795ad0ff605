using Striate.Ops;
using Striate.Tensors;
using Striate.Tests.Support;

namespace Striate.Tests.Ops;

/// <summary>Resampling along an axis by taps (nearest, linear, cubic interpolation) against a float64 reference, gradients against central differences.</summary>
public class ResampleOpTests
{
    // y[.., o, ..] = Σ_t w[o, t] x[.., i[o, t], ..], loop by loop.
    private static double[] Reference(double[] x, int[] shape, int axis, int[] index, float[] weight, int taps)
    {
        int n = shape[axis], outLen = index.Length / taps;
        int outer = shape[..axis].Aggregate(1, (p, d) => p * d), inner = shape[(axis + 1)..].Aggregate(1, (p, d) => p * d);
        var y = new double[outer * outLen * inner];
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < outLen; k++)
                for (int i = 0; i < inner; i++)
                    for (int t = 0; t < taps; t++)
                        if (index[k * taps + t] >= 0)
                            y[(o * outLen + k) * inner + i] += weight[k * taps + t] * x[(o * n + index[k * taps + t]) * inner + i];
        return y;
    }

    public static IEnumerable<object[]> Cases()
    {
        int[] nearest = [0, 0, 1, 1, 2, 2, 3];
        int[] linear = [0, 1, 0, 1, 1, 2, 2, 3, 3, 3];
        float[] linearW = [0.75f, 0.25f, 0.25f, 0.75f, 0.5f, 0.5f, 0.9f, 0.1f, 1f, 0f];
        int[] cubic = [0, 0, 1, 2, 0, 1, 2, 3, -1, 2, 3, 3];
        float[] cubicW = [-0.07f, 0.86f, 0.25f, -0.04f, -0.1f, 0.6f, 0.6f, -0.1f, 0.3f, -0.2f, 1.1f, -0.2f];
        var list = new List<OpCase>
        {
            new("nearest along the last axis [2, 3, 4]", [[2, 3, 4]], t => F.Resample(t[0], 2, nearest, [.. Enumerable.Repeat(1f, 7)], 1),
                r => Reference(r[0], [2, 3, 4], 2, nearest, [.. Enumerable.Repeat(1f, 7)], 1)),
            new("linear along a middle axis [2, 4, 3]", [[2, 4, 3]], t => F.Resample(t[0], 1, linear, linearW, 2),
                r => Reference(r[0], [2, 4, 3], 1, linear, linearW, 2)),
            new("cubic along the first axis, a tap outside [4, 5]", [[4, 5]], t => F.Resample(t[0], 0, cubic, cubicW, 4),
                r => Reference(r[0], [4, 5], 0, cubic, cubicW, 4)),
        };
        return list.Select(c => new object[] { c });
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesTheReferenceAndBackwardMatchesFiniteDifferences(OpCase c)
    {
        for (ulong seed = 1; seed <= 3; seed++) Check.Op(c, seed);
    }

    [Fact]
    public void BadTapsAreRefusedNamingWhatWasExpected()
    {
        var x = Tensor.Zeros(2, 3);
        Assert.Contains("taps dividing the 3 indices, got 2", Assert.Throws<ArgumentException>(() => F.Resample(x, 1, [0, 1, 2], [1, 1, 1], 2)).Message);
        Assert.Contains("one weight per index (2), got 1", Assert.Throws<ArgumentException>(() => F.Resample(x, 1, [0, 1], [1], 1)).Message);
        Assert.Contains("index 3 at position 1 is outside [-1, 3)", Assert.Throws<ArgumentException>(() => F.Resample(x, 1, [0, 3], [1, 1], 1)).Message);
    }
}
