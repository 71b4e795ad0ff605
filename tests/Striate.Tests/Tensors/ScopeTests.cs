using Striate.Nn;
using Striate.Ops;
using Striate.Optim;
using Striate.Tensors;
using Striate.Tests.Support;
using Xunit.Abstractions;

namespace Striate.Tests.Tensors;

[Collection(nameof(SerialCollection))] // ASteadyStateTrainingStepAllocatesAlmostNothing counts the whole process's allocations
public class ScopeTests(ITestOutputHelper output)
{
    [Fact]
    public void ATensorUsedAfterItsScopeFailsLoudly()
    {
        Tensor y;
        using (TensorScope.Begin()) y = Tensor.Ones(4) * 2f;
        var e = Assert.Throws<ObjectDisposedException>(() => y.ToArray());
        Assert.Contains("Keep", e.Message);
    }

    [Fact]
    public void KeptTensorsSurviveTheirScope()
    {
        Tensor y;
        using (var scope = TensorScope.Begin()) y = scope.Keep(Tensor.Ones(4) * 2f);
        Assert.Equal([2f, 2f, 2f, 2f], y.ToArray());
    }

    [Fact]
    public void KeepInANestedScopeHandsTheTensorToTheOuterOne()
    {
        Tensor y;
        using (TensorScope.Begin())
        {
            using (var inner = TensorScope.Begin()) y = inner.Keep(Tensor.Ones(3) + 1f);
            Assert.Equal([2f, 2f, 2f], y.ToArray());
        }
        Assert.Throws<ObjectDisposedException>(() => y.ToArray());
    }

    [Fact]
    public void TensorsMadeOutsideAnyScopeAreOrdinaryObjects()
    {
        var y = Tensor.Ones(3) * 3f;
        GC.Collect();
        Assert.Equal([3f, 3f, 3f], y.ToArray());
    }

    [Fact]
    public void ScopesMustEndInReverseOrder()
    {
        var outer = TensorScope.Begin();
        var inner = TensorScope.Begin();
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        inner.Dispose();
        outer.Dispose();
    }

    [Fact]
    public void PoisonedBuffersNeverReachLiveTensors()
    {
        // With poisoning on, a buffer handed out while a live tensor still used it would show NaN here.
        BufferPool.PoisonOnReturn = true;
        try
        {
            var gen = new Generator(3);
            var model = SmallCnn(gen);
            var x = Tensor.Rand(gen, 8, 1, 28, 28);
            int[] t = [0, 1, 2, 3, 4, 5, 6, 7];
            var opt = new Adam(model.Parameters());
            for (int i = 0; i < 3; i++)
            {
                using var scope = TensorScope.Begin();
                var logits = model.Forward(x);
                var loss = F.CrossEntropy(logits, t);
                opt.ZeroGrad();
                loss.Backward();
                opt.Step();
                Assert.True(float.IsFinite(loss.Item()));
                Assert.All(logits.ToArray(), v => Assert.True(float.IsFinite(v)));
            }
            Assert.All(model.Parameters(), p => Assert.All(p.ToArray(), v => Assert.True(float.IsFinite(v))));
        }
        finally
        {
            BufferPool.PoisonOnReturn = false;
        }
    }

    [Fact]
    public void ASteadyStateTrainingStepAllocatesAlmostNothing()
    {
        var gen = new Generator(5);
        var model = SmallCnn(gen);
        var x = Tensor.Rand(gen, 32, 1, 28, 28);
        var t = Enumerable.Range(0, 32).Select(i => i % 10).ToArray();
        var opt = new Adam(model.Parameters());
        void Step()
        {
            using var scope = TensorScope.Begin();
            var loss = F.CrossEntropy(model.Forward(x), t);
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
        }
        for (int i = 0; i < 3; i++) Step();
        // The count covers the whole process (the kernels' worker threads included), so the test runner's own work
        // can land in a window: the quietest of three windows is the step's.
        const int steps = 5;
        long perStep = long.MaxValue;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < steps; i++) Step();
            perStep = Math.Min(perStep, (GC.GetTotalAllocatedBytes(precise: true) - before) / steps);
        }
        long activationBytes = 32L * 6 * 28 * 28 * sizeof(float); // the first conv's output alone
        output.WriteLine($"managed allocation per step: {perStep} bytes (first activation: {activationBytes} bytes)");
        // Small objects remain (tensor headers, graph nodes, closures); buffers come from the pool.
        Assert.True(perStep < 64 * 1024, $"a training step allocated {perStep} bytes on the managed heap");
    }

    internal static Sequential SmallCnn(Generator gen) => new(
        new Conv2d(1, 6, 5, padding: 2, generator: gen), new ReLU(), new MaxPool2d(2),
        new Conv2d(6, 16, 5, generator: gen), new BatchNorm2d(16), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(400, 120, generator: gen), new ReLU(), new Dropout(0.2f, new Generator(9)),
        new Linear(120, 84, generator: gen), new ReLU(), new Linear(84, 10, generator: gen));
}
