using Striate.Ops;
using Striate.Optim;
using Striate.Tensors;
using Striate.Threading;

namespace Striate.Tests.Tensors;

/// <summary>The same seed gives bit-identical weights whatever the thread count.</summary>
[Collection(nameof(ThreadCountCollection))]
public class DeterminismTests
{
    private static float[] Train(int threads)
    {
        int saved = Parallelism.Threads;
        Parallelism.Threads = threads;
        try
        {
            var gen = new Generator(21);
            var model = ScopeTests.SmallCnn(gen);
            var opt = new Sgd(model.Parameters(), lr: 0.05f, momentum: 0.9f);
            var x = Tensor.Rand(gen, 16, 1, 28, 28);
            var t = Enumerable.Range(0, 16).Select(i => (i * 7) % 10).ToArray();
            for (int i = 0; i < 4; i++)
            {
                using var scope = TensorScope.Begin();
                var loss = F.CrossEntropy(model.Forward(x), t);
                opt.ZeroGrad();
                loss.Backward();
                opt.Step();
            }
            return model.Parameters().SelectMany(p => p.ToArray()).ToArray();
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    [Fact]
    public void OneAndTwoThreadsGiveTheSameBits()
    {
        var one = Train(1);
        var two = Train(2);
        Assert.Equal(one.Length, two.Length);
        for (int i = 0; i < one.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(one[i]) == BitConverter.SingleToInt32Bits(two[i]), $"parameter element {i}: {one[i]:R} with 1 thread, {two[i]:R} with 2");
        Assert.Equal(one, Train(2));
    }

    [Fact]
    public void LargeDrawsFilledOnSeveralThreadsMatchTheSerialStream()
    {
        int saved = Parallelism.Threads;
        try
        {
            const int n = (1 << 21) + 3; // large enough to be split
            float[] Draw(int threads, bool normal)
            {
                Parallelism.Threads = threads;
                var gen = new Generator(7, offset: 11);
                var values = new float[n];
                if (normal) gen.FillNormal(values, 0.5f, 2f);
                else gen.FillUniform(values, -1f, 3f);
                Assert.Equal(11UL + n, gen.Offset);
                return values;
            }
            foreach (bool normal in new[] { false, true })
            {
                var serial = Draw(1, normal);
                Assert.Equal(serial, Draw(2, normal));
                Assert.Equal(serial, Draw(3, normal));
                float first = normal ? 0.5f + 2f * Generator.NormalAt(7, 11) : -1f + 4f * Generator.UniformAt(7, 11);
                Assert.Equal(first, serial[0]);
                float last = normal ? 0.5f + 2f * Generator.NormalAt(7, 11 + n - 1) : -1f + 4f * Generator.UniformAt(7, 11 + n - 1);
                Assert.Equal(last, serial[^1]);
            }
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }
}

/// <summary>Tests that change the global thread count run one at a time.</summary>
[CollectionDefinition(nameof(ThreadCountCollection), DisableParallelization = true)]
public sealed class ThreadCountCollection;
