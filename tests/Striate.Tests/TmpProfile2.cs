using System.Diagnostics;
using Striate.Backends.Cpu;
namespace Striate.Tests;
public class TmpProfile2(Xunit.Abstractions.ITestOutputHelper o)
{
    private void Time(string name, Action a, int reps = 2000)
    {
        for (int i = 0; i < 50; i++) a();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++) a();
        o.WriteLine($"{name,-40} {sw.Elapsed.TotalMilliseconds / reps * 1000,10:F2} us");
    }

    [Fact]
    public void Profile()
    {
        var g1 = new Conv2dGeometry(1, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1);
        var img = new float[784]; var cols = new float[25 * 784]; var w = new float[150]; var y = new float[6 * 784];
        new Random(1).NextBytes(new byte[1]);
        Time("im2col conv1 (1 image)", () => Im2Col.Pack(g1, img, 0, cols));
        Time("gemm 6x784x25 1 thread", () => Gemm.Sgemm(Gemm.DefaultKernel, 1, false, false, 6, 784, 25, 1f, w, 25, cols, 784, 0f, y, 784));
        var g2 = new Conv2dGeometry(1, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1);
        var img2 = new float[6 * 196]; var cols2 = new float[150 * 100]; var w2 = new float[16 * 150]; var y2 = new float[1600];
        Time("im2col conv2 (1 image)", () => Im2Col.Pack(g2, img2, 0, cols2));
        Time("gemm 16x100x150 1 thread", () => Gemm.Sgemm(Gemm.DefaultKernel, 1, false, false, 16, 100, 150, 1f, w2, 150, cols2, 100, 0f, y2, 100));
        Time("gemm NT 16x150x100 (dW)", () => Gemm.Sgemm(Gemm.DefaultKernel, 1, false, true, 16, 150, 100, 1f, y2, 100, cols2, 100, 1f, w2, 150));
        Time("gemm TN 150x100x16 (dX)", () => Gemm.Sgemm(Gemm.DefaultKernel, 1, true, false, 150, 100, 16, 1f, w2, 150, y2, 100, 0f, cols2, 100));
        Time("gemm NT 6x25x784 (dW1)", () => Gemm.Sgemm(Gemm.DefaultKernel, 1, false, true, 6, 25, 784, 1f, y, 784, cols, 784, 1f, w, 25));
        var pg = new Pool2dGeometry(1, 6, 28, 28, 2, 2, 2, 2, 0, 0, 1, 1, false, true);
        var py = new float[6 * 196]; var pa = new int[6 * 196];
        Time("maxpool 6x28x28 (1 image)", () => PoolKernels.MaxForward(pg, y, py, pa));
    }
}
