using Striate.Optim;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using ST = Striate.Tensors.Tensor;

namespace Striate.Oracle.Tests.Optim;

/// <summary>
/// SGD, Adam and AdamW against torch.optim: the same initial weights and the same 20 gradients (fed as
/// d/dw sum(w * G) = G) give the same weights.
/// </summary>
public class OptimizerOracleTests
{
    public static IEnumerable<object[]> Cases() => new (string Name, Func<ST, Optimizer> Ours, Func<Parameter, torch.optim.Optimizer> Theirs)[]
    {
        ("sgd", p => new Sgd([p], 0.05f), p => torch.optim.SGD([p], 0.05)),
        ("sgd momentum dampening", p => new Sgd([p], 0.05f, momentum: 0.9f, dampening: 0.1f), p => torch.optim.SGD([p], 0.05, momentum: 0.9, dampening: 0.1)),
        ("sgd nesterov weight decay", p => new Sgd([p], 0.05f, momentum: 0.8f, weightDecay: 0.01f, nesterov: true), p => torch.optim.SGD([p], 0.05, momentum: 0.8, weight_decay: 0.01, nesterov: true)),
        ("adam", p => new global::Striate.Optim.Adam([p], 0.01f), p => torch.optim.Adam([p], 0.01)),
        ("adam weight decay", p => new global::Striate.Optim.Adam([p], 0.01f, weightDecay: 0.05f), p => torch.optim.Adam([p], 0.01, weight_decay: 0.05)),
        ("adam amsgrad", p => new global::Striate.Optim.Adam([p], 0.01f, amsgrad: true), p => torch.optim.Adam([p], 0.01, amsgrad: true)),
        ("adamw", p => new global::Striate.Optim.AdamW([p], 0.01f, weightDecay: 0.1f), p => torch.optim.AdamW([p], 0.01, weight_decay: 0.1)),
    }.Select(c => new object[] { c.Name, c.Ours, c.Theirs });

    [Theory]
    [MemberData(nameof(Cases))]
    public void TwentyStepsMatchTorch(string name, Func<ST, Optimizer> ours, Func<Parameter, torch.optim.Optimizer> theirs)
    {
        using var scope = torch.NewDisposeScope();
        var gen = new Striate.Tensors.Generator(13);
        int[] shape = [4, 7];
        var w0 = ST.Uniform(gen, -1, 1, shape).ToArray();
        var p = ST.FromArray(w0, shape);
        p.RequiresGrad = true;
        var tp = new Parameter(TorchInterop.ToTensor(w0, shape));
        var o = ours(p);
        var t = theirs(tp);
        for (int step = 0; step < 20; step++)
        {
            var g = ST.Normal(gen, 0, 1, shape);
            o.ZeroGrad();
            global::Striate.Ops.F.Sum(global::Striate.Ops.F.Mul(p, g)).Backward();
            o.Step();
            t.zero_grad();
            (tp * TorchInterop.ToTensor(g.ToArray(), shape)).sum().backward();
            t.step();
        }
        var expected = TorchInterop.ToArray(tp.detach());
        Assert.True(expected.Zip(w0).Max(z => Math.Abs(z.First - z.Second)) > 0.05, $"{name}: the weights barely moved");
        OracleAssert.Close(expected, p.ToArray(), 1e-5, $"{name} weights after 20 steps");
    }
}
