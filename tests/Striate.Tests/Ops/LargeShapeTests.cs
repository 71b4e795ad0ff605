using Striate.Ops;
using Striate.Tensors;
using Striate.Tests.Support;
using Striate.Tests.Tensors;
using Striate.Threading;

namespace Striate.Tests.Ops;

/// <summary>Shapes large enough for the threaded paths, forward against the references and 1 vs 2 threads.</summary>
[Collection(nameof(ThreadCountCollection))]
public class LargeShapeTests
{
    private static float[] WithThreads(int threads, Func<Tensor> f)
    {
        int saved = Parallelism.Threads;
        Parallelism.Threads = threads;
        try
        {
            using (Autograd.NoGrad()) return f().ToArray();
        }
        finally
        {
            Parallelism.Threads = saved;
        }
    }

    [Fact]
    public void PoolingOnManyPlanes()
    {
        var x = Tensor.Uniform(new Generator(1), -1, 1, 4, 16, 31, 29);
        var xd = x.ToArray().D();
        var max = WithThreads(2, () => F.MaxPool2d(x, (3, 3), (2, 2), (1, 1)));
        Check.Close(Ref.MaxPool(xd, 64, 31, 29, 3, 3, 2, 2, 1, 1, 1, 1, false, out _, out _), max, 0, 0, "max pool");
        Assert.Equal(max, WithThreads(1, () => F.MaxPool2d(x, (3, 3), (2, 2), (1, 1))));
        var avg = WithThreads(2, () => F.AvgPool2d(x, (3, 3), (2, 2), (1, 1), ceilMode: true, countIncludePad: false));
        Check.Close(Ref.AvgPool(xd, 64, 31, 29, 3, 3, 2, 2, 1, 1, true, false, out _, out _), avg, 1e-5, 1e-6, "avg pool");
        Assert.Equal(avg, WithThreads(1, () => F.AvgPool2d(x, (3, 3), (2, 2), (1, 1), ceilMode: true, countIncludePad: false)));
    }

    [Fact]
    public void ConvolutionWithLargeImagesAndBatches()
    {
        var gen = new Generator(2);
        var x = Tensor.Uniform(gen, -1, 1, 3, 24, 33, 35);
        var w = Tensor.Uniform(gen, -0.2f, 0.2f, 40, 24, 3, 3);
        var b = Tensor.Uniform(gen, -1, 1, 40);
        var y = WithThreads(2, () => F.Conv2d(x, w, b, padding: 1));
        var expected = Ref.Conv2d(x.ToArray().D(), [3, 24, 33, 35], w.ToArray().D(), [40, 24, 3, 3], b.ToArray().D(), 1, 1, 1, 1, 1, 1, 1, 1, 1, out _);
        Check.Close(expected, y, 1e-4, 1e-4, "conv2d");
        Assert.Equal(y, WithThreads(1, () => F.Conv2d(x, w, b, padding: 1)));
    }

    [Fact]
    public void BatchNormOnManyChannels()
    {
        var x = Tensor.Uniform(new Generator(3), 0, 4, 8, 64, 12, 13);
        var y = WithThreads(2, () => F.BatchNorm(x, null, null, null, null, true));
        Check.Close(Ref.BatchNorm(x.ToArray().D(), 8, 64, 156, null, null, 1e-5), y, 1e-4, 1e-4, "batch norm");
        Assert.Equal(y, WithThreads(1, () => F.BatchNorm(x, null, null, null, null, true)));
    }
}
