using Striate.Models;
using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using Striate.Tests.Support;

namespace Striate.Tests.Tensors;

// Backward frees an intermediate gradient as soon as no pending gradient shares its memory. These tests check both
// halves: that nothing still in use is freed (with poisoning, a freed buffer handed out again shows as NaN or an
// ObjectDisposedException), and that the memory is in fact freed (the step's pool footprint stays small).
[Collection(nameof(SerialCollection))] // poisoning and the pool's byte count are process-wide
public class GradientReleaseTests
{
    public static TheoryData<string> Graphs => new() { "x + x, then squared", "diamond", "one gradient for two inputs", "views", "concat, split and permute", "residual block", "small CNN" };

    [Theory]
    [MemberData(nameof(Graphs))]
    public void GradientsInAScopeEqualThoseOutsideAnyScope(string graph)
    {
        var gen = new Generator(11);
        var (leaves, forward, shape) = Build(graph, gen);
        var seedValues = Tensor.Randn(new Generator(12), shape).ToArray();

        // Outside any scope nothing is pooled, so nothing is freed early: the reference.
        var outside = forward();
        outside.Backward(Tensor.FromArray((float[])seedValues.Clone(), shape));
        var expected = leaves.Select(l => l.Grad!.ToArray()).ToArray();
        var expectedOut = outside.ToArray();
        foreach (var l in leaves) l.ZeroGrad(setToNull: true);

        BufferPool.PoisonOnReturn = true;
        try
        {
            for (int step = 0; step < 2; step++) // the second step runs on recycled buffers
            {
                using var scope = TensorScope.Begin();
                var y = forward();
                var seed = Tensor.FromArray((float[])seedValues.Clone(), shape) * 1f; // pooled, made in the scope
                y.Backward(seed);
                Check.Equal(seedValues, seed.ToArray(), $"{graph}: the seed gradient after Backward");
                Check.Equal(expectedOut, y.ToArray(), $"{graph}: the forward output after Backward");
                for (int i = 0; i < leaves.Length; i++)
                {
                    Check.Equal(expected[i], leaves[i].Grad!.ToArray(), $"{graph}: gradient of leaf {i} (step {step})");
                    leaves[i].ZeroGrad(setToNull: true);
                }
            }
        }
        finally
        {
            BufferPool.PoisonOnReturn = false;
        }
    }

    [Fact]
    public void AChainsGradientsReuseOneAnothersMemory()
    {
        // 16 elementwise ops on [64, 1024]: the forward outputs stay until the scope ends (16 buffers); without the
        // early release every gradient would too (16 more); with it, two or three are alive at a time.
        const int Ops = 16, Rows = 64, Cols = 1024;
        var x = Tensor.Randn(new Generator(3), Rows, Cols);
        x.RequiresGrad = true;
        void Step()
        {
            using var scope = TensorScope.Begin();
            var y = x;
            for (int i = 0; i < Ops; i++) y = F.Tanh(y * 1.01f);
            y.Backward(Tensor.Ones(Rows, Cols));
        }
        BufferPool.Clear();
        Step();
        long buffer = (long)Rows * Cols * sizeof(float), pooled = BufferPool.PooledBytes;
        // Every buffer the step used is back in the pool now; forward alone needs 2 * Ops (the scalar product and the tanh).
        Assert.True(pooled >= 2 * Ops * buffer, $"the pool holds {pooled >> 10} KiB, less than the forward pass's {2 * Ops * buffer >> 10} KiB");
        Assert.True(pooled <= (2 * Ops + 4) * (buffer + 64), $"the pool holds {pooled >> 10} KiB after one step: more than the forward pass's {2 * Ops * buffer >> 10} KiB and four gradients");
        var grad = x.Grad!.ToArray();
        Assert.All(grad, v => Assert.True(float.IsFinite(v) && v != 0));
    }

    private static (Tensor[] Leaves, Func<Tensor> Forward, int[] Shape) Build(string graph, Generator gen)
    {
        Tensor Leaf(params int[] shape)
        {
            var t = Tensor.Randn(gen, shape);
            t.RequiresGrad = true;
            return t;
        }
        switch (graph)
        {
            case "x + x, then squared":
            {
                var x = Leaf(5, 7);
                return ([x], () => { var y = F.Add(x, x); return F.Mul(y, y); }, [5, 7]);
            }
            case "diamond": // one intermediate feeds two ops whose gradients are summed
            {
                var x = Leaf(6, 9);
                var w = Leaf(6, 9);
                return ([x, w], () => { var a = F.Tanh(x); return F.Add(a * 2f, F.Mul(a, w)); }, [6, 9]);
            }
            case "one gradient for two inputs": // add hands the same gradient to both of its inputs
            {
                var x = Leaf(7, 5);
                return ([x], () => F.Tanh(F.Add(F.Tanh(x), x * 2f)), [7, 5]);
            }
            case "views": // reshape's gradient shares the memory of the gradient it came from
            {
                var x = Leaf(4, 3, 5);
                var w = Leaf(4, 3, 5);
                return ([x, w], () => F.Relu(F.Mul(x, w)).Reshape(12, 5) * 3f + F.Tanh(x.Reshape(12, 5)), [12, 5]);
            }
            case "concat, split and permute": // DenseNet's and Inception's joins, and pieces of one tensor used apart
            {
                var x = Leaf(2, 3, 4, 5);
                return ([x], () =>
                {
                    var joined = F.Concat([F.Tanh(x), x * 2f, x], dim: 1);
                    var parts = F.Split(joined, [4, 5], dim: 1);
                    return F.Mul(F.Permute(parts[0], 0, 1, 3, 2).Reshape(2, 4, 20), F.Tanh(parts[1].Sum(1).Reshape(2, 1, 20)));
                }, [2, 4, 20]);
            }
            case "residual block":
            {
                var block = new BasicBlock(8, 8, generator: gen);
                var x = Leaf(2, 8, 9, 7);
                return ([x, .. block.Parameters()], () => block.Call(x), [2, 8, 9, 7]);
            }
            default:
            {
                var model = ScopeTests.SmallCnn(gen);
                model.Eval(); // dropout off, so both runs see the same function
                var x = Leaf(3, 1, 28, 28);
                return ([x, .. model.Parameters()], () => model.Call(x), [3, 10]);
            }
        }
    }
}
