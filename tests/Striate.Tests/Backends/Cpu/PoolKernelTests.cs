using Striate.Backends.Cpu;

namespace Striate.Tests.Backends.Cpu;

public class PoolKernelTests
{
    [Theory]
    [InlineData(10, 12)] // 6 outputs per row: scalar only
    [InlineData(6, 16)]  // 8: one vector group
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
