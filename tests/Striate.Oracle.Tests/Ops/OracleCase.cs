using TorchSharp;
using ST = Striate.Tensors.Tensor;
using TT = TorchSharp.torch.Tensor;

namespace Striate.Oracle.Tests.Ops;

/// <summary>
/// One row of the oracle table: input shapes, the Striate call and the libtorch call on the same values.
/// Inputs are uniform in [Low, High); <see cref="NoGrad"/> lists inputs whose gradient is not compared.
/// </summary>
public sealed record OracleCase(string Name, int[][] Shapes, Func<ST[], ST> Striate, Func<TT[], TT> Torch)
{
    public float Low { get; init; } = -1;
    public float High { get; init; } = 1;
    public int[] NoGrad { get; init; } = [];
    public double Tolerance { get; init; } = 1e-4;

    public override string ToString() => Name;

    /// <summary>Forward outputs and every input's gradient (of sum(G * y) for a random G) must match.</summary>
    public void Verify(ulong seed = 1)
    {
        using var scope = torch.NewDisposeScope();
        var gen = new Striate.Tensors.Generator(seed);
        var data = Shapes.Select(s => ST.Uniform(gen, Low, High, s).ToArray()).ToArray();
        var st = data.Select((d, i) =>
        {
            var t = ST.FromArray(d, Shapes[i]);
            t.RequiresGrad = !NoGrad.Contains(i);
            return t;
        }).ToArray();
        var tt = data.Select((d, i) => TorchInterop.ToTensor(d, Shapes[i], requiresGrad: !NoGrad.Contains(i))).ToArray();

        var ys = Striate(st);
        var yt = Torch(tt);
        var (tData, tShape) = TorchInterop.FromTensor(yt);
        Assert.Equal(tShape, ys.Shape.ToArray());
        OracleAssert.Close(tData, ys.ToArray(), Tolerance, $"{Name} forward");

        var g = ST.Uniform(gen, -1, 1, ys.Shape.ToArray());
        global::Striate.Ops.F.Sum(global::Striate.Ops.F.Mul(ys, g)).Backward();
        torch.autograd.backward([yt], [TorchInterop.ToTensor(g.ToArray(), ys.Shape.ToArray())]);
        for (int i = 0; i < st.Length; i++)
        {
            if (NoGrad.Contains(i)) continue;
            var tg = tt[i].grad ?? throw new InvalidOperationException($"{Name}: libtorch gave input {i} no gradient.");
            var sg = st[i].Grad ?? throw new InvalidOperationException($"{Name}: Striate gave input {i} no gradient.");
            OracleAssert.Close(TorchInterop.ToArray(tg), sg.ToArray(), Tolerance, $"{Name} gradient of input {i}");
        }
    }
}
