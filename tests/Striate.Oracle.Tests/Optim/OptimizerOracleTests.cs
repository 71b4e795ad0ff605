using Striate.Optim;
using Striate.Oracle.Tests.Ops;
using Striate.Tensors;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using TorchOptimizer = TorchSharp.torch.optim.Optimizer;

namespace Striate.Oracle.Tests.Optim;

/// <summary>
/// SGD, Adam and AdamW against torch.optim: two parameters start from the same weights, both optimizers are fed
/// the same 20 gradients (set directly, no forward pass), and the weights are compared after every step. The
/// gradients shrink from step to step, so the second-moment estimate falls and AMSGrad's maximum matters.
/// </summary>
public class OptimizerOracleTests
{
    public sealed record Case(string Name, Func<Tensor[], Optimizer> Striate, Func<Parameter[], TorchOptimizer> Torch)
    {
        public override string ToString() => Name;
    }

    private const int Steps = 20;
    private static readonly int[][] Shapes = [[7, 9], [13]];

    private static readonly Case[] Table =
    [
        new("sgd lr 0.1", p => new Sgd(p, 0.1f), p => torch.optim.SGD(p, 0.1)),
        new("sgd momentum 0.9 dampening 0.1", p => new Sgd(p, 0.05f, momentum: 0.9f, dampening: 0.1f), p => torch.optim.SGD(p, 0.05, momentum: 0.9, dampening: 0.1)),
        new("sgd nesterov momentum 0.9", p => new Sgd(p, 0.05f, momentum: 0.9f, nesterov: true), p => torch.optim.SGD(p, 0.05, momentum: 0.9, nesterov: true)),
        new("sgd weight decay 0.1", p => new Sgd(p, 0.1f, weightDecay: 0.1f), p => torch.optim.SGD(p, 0.1, weight_decay: 0.1)),
        new("sgd momentum 0.9 weight decay 0.05", p => new Sgd(p, 0.05f, momentum: 0.9f, weightDecay: 0.05f), p => torch.optim.SGD(p, 0.05, momentum: 0.9, weight_decay: 0.05)),
        new("sgd nesterov weight decay 0.1", p => new Sgd(p, 0.05f, momentum: 0.8f, weightDecay: 0.1f, nesterov: true), p => torch.optim.SGD(p, 0.05, momentum: 0.8, weight_decay: 0.1, nesterov: true)),
        new("sgd momentum 0.5 dampening 0.5 weight decay 0.2", p => new Sgd(p, 0.1f, momentum: 0.5f, dampening: 0.5f, weightDecay: 0.2f), p => torch.optim.SGD(p, 0.1, momentum: 0.5, dampening: 0.5, weight_decay: 0.2)),
        new("adam lr 0.01", p => new Adam(p, 0.01f), p => torch.optim.Adam(p, 0.01)),
        new("adam weight decay 0.1", p => new Adam(p, 0.01f, weightDecay: 0.1f), p => torch.optim.Adam(p, 0.01, weight_decay: 0.1)),
        new("adam amsgrad", p => new Adam(p, 0.01f, amsgrad: true), p => torch.optim.Adam(p, 0.01, amsgrad: true)),
        new("adam amsgrad weight decay 0.1", p => new Adam(p, 0.01f, weightDecay: 0.1f, amsgrad: true), p => torch.optim.Adam(p, 0.01, weight_decay: 0.1, amsgrad: true)),
        new("adam betas 0.8 0.99 eps 1e-6", p => new Adam(p, 0.02f, 0.8f, 0.99f, 1e-6f), p => torch.optim.Adam(p, 0.02, 0.8, 0.99, 1e-6)),
        new("adamw weight decay 0.01", p => new AdamW(p, 0.01f), p => torch.optim.AdamW(p, 0.01, weight_decay: 0.01)),
        new("adamw weight decay 0.5", p => new AdamW(p, 0.01f, weightDecay: 0.5f), p => torch.optim.AdamW(p, 0.01, weight_decay: 0.5)),
        new("adamw amsgrad weight decay 0.1", p => new AdamW(p, 0.01f, weightDecay: 0.1f, amsgrad: true), p => torch.optim.AdamW(p, 0.01, weight_decay: 0.1, amsgrad: true)),
    ];

    public static TheoryData<string> Cases => new(Table.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Cases))]
    public void WeightsMatchLibTorchAfterEveryStep(string name)
    {
        var c = Table.Single(x => x.Name == name);
        var gen = new Generator(OpOracle.Seed(name));
        var ps = Shapes.Select(s => Tensor.Uniform(gen, -1f, 1f, s)).ToArray();
        foreach (var p in ps) p.RequiresGrad = true;
        float[][] start = ps.Select(p => p.ToArray()).ToArray();

        // The same gradients for Striate and both precisions of libtorch; weights[step][parameter] after each step.
        var grads = new float[Steps][][];
        var ours = new float[Steps][][];
        var opt = c.Striate(ps);
        for (int step = 1; step <= Steps; step++)
        {
            float scale = 2f * MathF.Pow(0.85f, step);
            grads[step - 1] = new float[ps.Length][];
            for (int i = 0; i < ps.Length; i++)
            {
                var g = Tensor.Uniform(gen, -scale, scale, Shapes[i]);
                ps[i].Grad = g;
                grads[step - 1][i] = g.ToArray();
            }
            opt.Step();
            ours[step - 1] = ps.Select(p => p.ToArray()).ToArray();
        }
        var reference = RunTorch(c, start, grads, torch.ScalarType.Float64);
        var single = RunTorch(c, start, grads, torch.ScalarType.Float32);
        Float32Report.Run.Record(name, 1e-4, Enumerable.Range(0, ps.Length)
            .Select(i => ($"parameter {i} over {Steps} steps", reference.SelectMany(w => w[i]).ToArray(), single.SelectMany(w => w[i]).ToArray()))
            .ToArray());

        for (int step = 1; step <= Steps; step++)
            for (int i = 0; i < ps.Length; i++)
                OracleAssert.Close(reference[step - 1][i], ours[step - 1][i], 1e-4, $"{name}: parameter {i} after step {step}");
        // The comparison means something only if the weights moved well beyond the tolerance.
        for (int i = 0; i < ps.Length; i++)
        {
            double moved = ps[i].ToArray().Zip(start[i], (a, b) => Math.Abs(a - b)).Average();
            Assert.True(moved > 0.01, $"{name}: parameter {i} moved by {moved:G3} on average only.");
        }
    }

    // The torch optimizer's weights after each step, from the given start and gradients, in one precision.
    private static float[][][] RunTorch(Case c, float[][] start, float[][][] grads, torch.ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var tps = start.Select((p, i) => new Parameter(TorchInterop.ToTensor(p, Shapes[i], dtype: dtype), requires_grad: true)).ToArray();
        var topt = c.Torch(tps);
        var weights = new float[grads.Length][][];
        for (int step = 0; step < grads.Length; step++)
        {
            for (int i = 0; i < tps.Length; i++)
                tps[i].grad = TorchInterop.ToTensor(grads[step][i], Shapes[i], dtype: dtype);
            topt.step();
            weights[step] = tps.Select(p =>
            {
                TorchInterop.RequireDType(p, dtype, "a parameter");
                return TorchInterop.ToArray(p);
            }).ToArray();
        }
        return weights;
    }
}
