using System.Diagnostics;
using Striate.Ops;
using Striate.Tensors;
namespace Striate.Tests;
public class TmpProfile(Xunit.Abstractions.ITestOutputHelper o)
{
    private void Time(string name, Action a, int reps = 50)
    {
        for (int i = 0; i < 5; i++) a();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++) a();
        o.WriteLine($"{name,-40} {sw.Elapsed.TotalMilliseconds / reps * 1000,10:F1} us");
    }

    [Fact]
    public void Profile()
    {
        var g = new Generator(1);
        var x = Tensor.Rand(g, 64, 1, 28, 28);
        var w1 = Tensor.Rand(g, 6, 1, 5, 5); var b1 = Tensor.Rand(g, 6);
        var h1 = Tensor.Rand(g, 64, 6, 14, 14);
        var w2 = Tensor.Rand(g, 16, 6, 5, 5); var b2 = Tensor.Rand(g, 16);
        var y1 = Tensor.Rand(g, 64, 6, 28, 28);
        var fcw = Tensor.Rand(g, 120, 400); var fcx = Tensor.Rand(g, 64, 400);
        Time("conv1 fwd", () => { using var s = TensorScope.Begin(); F.Conv2d(x, w1, b1, padding: 2); });
        Time("conv2 fwd", () => { using var s = TensorScope.Begin(); F.Conv2d(h1, w2, b2); });
        w1.RequiresGrad = true; w2.RequiresGrad = true; h1.RequiresGrad = true; b1.RequiresGrad = true; b2.RequiresGrad = true;
        Time("conv1 fwd+bwd", () => { using var s = TensorScope.Begin(); F.Sum(F.Conv2d(x, w1, b1, padding: 2)).Backward(); });
        Time("conv2 fwd+bwd", () => { using var s = TensorScope.Begin(); F.Sum(F.Conv2d(h1, w2, b2)).Backward(); });
        Time("relu 64x6x28x28", () => { using var s = TensorScope.Begin(); F.Relu(y1); });
        Time("maxpool 64x6x28x28", () => { using var s = TensorScope.Begin(); F.MaxPool2d(y1, (2, 2)); });
        y1.RequiresGrad = true;
        Time("maxpool fwd+bwd", () => { using var s = TensorScope.Begin(); F.Sum(F.MaxPool2d(y1, (2, 2))).Backward(); });
        Time("relu fwd+bwd", () => { using var s = TensorScope.Begin(); F.Sum(F.Relu(y1)).Backward(); });
        fcw.RequiresGrad = true;
        Time("linear 64x400x120 fwd+bwd", () => { using var s = TensorScope.Begin(); F.Sum(F.Linear(fcx, fcw)).Backward(); });
        var m = new Striate.Models.LeNet5(generator: g);
        var opt = new Striate.Optim.Adam(m.Parameters());
        int[] t = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
        Time("lenet step", () => { using var s = TensorScope.Begin(); var l = F.CrossEntropy(m.Call(x), t); opt.ZeroGrad(); l.Backward(); opt.Step(); });
        Time("lenet fwd", () => { using var s = TensorScope.Begin(); F.CrossEntropy(m.Call(x), t); });
        Time("adam step", () => opt.Step());
    }
}
