using Striate.Backends.Cpu;
using Striate.Backends;

namespace Striate.Tests.Backends.Cpu;

public class PoolKernelTests
{
    [Theory]
    [InlineData(10, 6)]  // 3 outputs per row: scalar only
    [InlineData(6, 8)]   // 4: one 128-bit group
    [InlineData(10, 10)] // 5 (LeNet's second pool): a 128-bit group and an overlapping one
    [InlineData(10, 12)] // 6
    [InlineData(4, 14)]  // 7
    [InlineData(6, 16)]  // 8: one 256-bit group (two 128-bit ones without AVX2)
    [InlineData(8, 28)]  // 14: a vector group and an overlapping one
    [InlineData(4, 40)]  // 20
    public void TheTwoByTwoPathPicksTheSameElementAsTheGeneralLoopOnTiesAndNaN(int h, int w)
    {
        // Values from {0, 1, 2} and a few NaN: many ties. Ceil mode on even sizes gives the same windows through
        // the general loop, which follows PyTorch's row-major order.
        var rnd = new Random(5 + w);
        var x = new float[3 * h * w];
        for (int i = 0; i < x.Length; i++) x[i] = rnd.Next(3);
        for (int i = 0; i < 4; i++) x[rnd.Next(x.Length)] = float.NaN;
        x[17] = float.NaN;
        var fast = new Pool2dGeometry(1, 3, h, w, 2, 2, 2, 2, 0, 0, 1, 1, false, true);
        var general = fast with { CeilMode = true };
        Assert.Equal(h / 2, fast.OutHeight);
        Assert.Equal(fast.OutHeight, general.OutHeight);
        Assert.Equal(fast.OutWidth, general.OutWidth);
        int n = 3 * fast.OutHeight * fast.OutWidth;
        float[] y1 = new float[n], y2 = new float[n];
        int[] a1 = new int[n], a2 = new int[n];
        PoolKernels.MaxForward(fast, x, y1, a1);
        PoolKernels.MaxForward(general, x, y2, a2);
        Assert.Equal(a2, a1);
        Assert.Equal(y2, y1);
        Assert.Contains(float.NaN, y1);
    }
}

public class MaxPoolWindowTests
{
    /// <summary>C, H, W, KH, KW, stride H, stride W, pad H, pad W, dilation H, dilation W, ceil.</summary>
    public static TheoryData<int[]> Windows => new()
    {
        new[] { 3, 13, 11, 3, 3, 2, 2, 1, 1, 1, 1, 0 },
        new[] { 2, 12, 12, 3, 3, 2, 2, 1, 1, 1, 1, 1 },
        new[] { 2, 9, 14, 3, 2, 1, 2, 1, 1, 2, 2, 0 },
        new[] { 1, 10, 7, 5, 3, 3, 2, 2, 1, 1, 2, 1 },
        new[] { 4, 7, 7, 2, 2, 1, 1, 0, 0, 1, 1, 0 },
        new[] { 2, 10, 40, 3, 3, 2, 2, 1, 1, 1, 1, 0 },   // the 3x3 / 2 stem pool's vector rows
        new[] { 1, 11, 57, 3, 3, 2, 2, 1, 1, 1, 1, 1 },   // ... odd sizes, ceil mode
        new[] { 1, 24, 112, 3, 3, 2, 2, 1, 1, 1, 1, 0 },  // ... several groups per row
    };

    [Theory]
    [MemberData(nameof(Windows))]
    public void EveryWindowPicksTheFirstMaximumLikeAPlainLoop(int[] s)
    {
        var g = new Pool2dGeometry(1, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11] == 1, true);
        var rnd = new Random(s.Sum());
        var x = new float[s[0] * s[1] * s[2]];
        for (int i = 0; i < x.Length; i++) x[i] = rnd.Next(4) - 3;
        for (int i = 0; i < 3; i++) x[rnd.Next(x.Length)] = float.NaN;
        for (int i = 0; i < 3; i++) x[rnd.Next(x.Length)] = float.NegativeInfinity;
        int n = s[0] * g.OutHeight * g.OutWidth;
        float[] y = new float[n];
        int[] arg = new int[n];
        PoolKernels.MaxForward(g, x, y, arg);
        for (int c = 0; c < s[0]; c++)
            for (int i = 0; i < g.OutHeight; i++)
                for (int j = 0; j < g.OutWidth; j++)
                {
                    // The plain loop: in-bounds taps in row-major order, the first in-bounds one to start with.
                    float m = float.NegativeInfinity;
                    int best = -1;
                    for (int ki = 0; ki < g.KernelHeight; ki++)
                        for (int kj = 0; kj < g.KernelWidth; kj++)
                        {
                            int r = i * g.StrideH - g.PadH + ki * g.DilationH, q = j * g.StrideW - g.PadW + kj * g.DilationW;
                            if (r < 0 || r >= g.InHeight || q < 0 || q >= g.InWidth) continue;
                            float v = x[(c * g.InHeight + r) * g.InWidth + q];
                            if (best < 0) best = r * g.InWidth + q;
                            if (v > m || float.IsNaN(v))
                            {
                                m = v;
                                best = r * g.InWidth + q;
                            }
                        }
                    int o = (c * g.OutHeight + i) * g.OutWidth + j;
                    Assert.Equal(best, arg[o]);
                    Assert.Equal(m, y[o]);
                }
    }
}
