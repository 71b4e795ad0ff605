using Striate.Data;
using Striate.Data.Transforms;
using Striate.Tests.Data.Transforms;

namespace Striate.Tests.Data;

public class DataLoaderWorkerTests
{
    private static ImageDataset Data(int n) => ImageDataset.FromFloats(
        TransformReference.Random(n * 3 * 12 * 10, 21), Enumerable.Range(0, n).Select(i => i % 4).ToArray(), 3, 12, 10, ["a", "b", "c", "d"]);

    private static readonly ImageTransform Heavy = new Compose(
        new RandomResizedCrop(12, 10, scale: (0.4, 1)), new RandomRotation(-15, 15, -1), new RandomHorizontalFlip(), new GaussianBlur(3), new RandomErasing(0.5f));

    /// <summary>Counts the images it has transformed; throws on one index if asked; can be slowed down.</summary>
    private sealed class Probe(int throwAt = -1, int sleepMs = 0) : ImageTransform
    {
        private int _count;
        public int Count => Volatile.Read(ref _count);

        public override void Apply(ReadOnlySpan<float> src, Span<float> dst, int channels, int height, int width, ulong sampleSeed)
        {
            Interlocked.Increment(ref _count);
            if (sleepMs > 0) Thread.Sleep(sleepMs);
            if ((int)src[0] == throwAt) throw new InvalidOperationException($"Probe: cannot transform image {throwAt}.");
            src.CopyTo(dst);
        }
    }

    // Each image carries its index in every pixel.
    private static ImageDataset Indexed(int n) => ImageDataset.FromFloats(
        Enumerable.Range(0, n * 4).Select(i => (float)(i / 4)).ToArray(), new int[n], 1, 2, 2, ["a"]);

    [Fact]
    public void BatchesAreTheSameBitsWhateverTheNumberOfWorkers()
    {
        var data = Data(53);
        List<(float[] Images, int[] Labels, int[] Indices)> Epoch(int workers, bool prefetch = true) =>
            new DataLoader(data, 8, shuffle: true, seed: 9, prefetch: prefetch, transform: Heavy, workers: workers)
                .Epoch(3).Select(b => (b.Images.ToArray(), b.Labels.ToArray(), b.Indices.ToArray())).ToList();
        var reference = Epoch(0);
        Assert.Equal(7, reference.Count);
        foreach (var (workers, prefetch) in new[] { (1, true), (2, true), (3, true), (8, true), (4, false) })
        {
            var other = Epoch(workers, prefetch);
            Assert.Equal(reference.Count, other.Count);
            for (int b = 0; b < reference.Count; b++)
            {
                Assert.Equal(reference[b].Indices, other[b].Indices);
                Assert.Equal(reference[b].Labels, other[b].Labels);
                Assert.True(reference[b].Images.AsSpan().SequenceEqual(other[b].Images), $"batch {b} differs with {workers} workers");
            }
        }
        Assert.Equal(DataLoader.DefaultWorkers, new DataLoader(data, 8).Workers);
        Assert.InRange(DataLoader.DefaultWorkers, 1, 4);
        Assert.Contains("workers must be >= 0", Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(data, 8, workers: -1)).Message);
    }

    [Fact]
    public void TheQueueIsBoundedAndAnEarlyStopEndsTheWorkers()
    {
        var probe = new Probe(sleepMs: 1);
        var loader = new DataLoader(Indexed(400), 4, transform: probe, workers: 3);
        int depth = loader.PrefetchDepth;
        int taken = 0;
        foreach (var batch in loader.Epoch())
        {
            Assert.Equal(taken * 4, (int)batch.Images.Data[0]);
            Thread.Sleep(150); // a slow consumer: the workers must wait for it, not fill memory
            // Batches 0..taken + depth may be made, and no more.
            Assert.InRange(probe.Count, (taken + 1) * 4, (taken + 1 + depth) * 4);
            if (++taken == 3) break;
        }
        // Leaving the loop disposes the epoch, which stops and joins the workers: nothing more is made.
        int after = probe.Count;
        Thread.Sleep(100);
        Assert.Equal(after, probe.Count);
        Assert.True(after < 100 * 4 / 2, $"{after} images made for 3 batches taken");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void AnExceptionInATransformReachesTheConsumerWithItsMessage(int workers)
    {
        var probe = new Probe(throwAt: 37);
        var loader = new DataLoader(Indexed(200), 5, transform: probe, workers: workers);
        int seen = 0;
        var run = Task.Run(() =>
        {
            foreach (var batch in loader.Epoch()) seen += batch.Count;
        });
        var e = Assert.Throws<AggregateException>(() => run.Wait(TimeSpan.FromSeconds(20)));
        var inner = Assert.IsType<InvalidOperationException>(e.InnerException);
        Assert.Equal("Probe: cannot transform image 37.", inner.Message);
        Assert.True(seen <= 35, $"batch 7 (images 35..39) failed, yet {seen} images were delivered");
        // The failed epoch left no worker running: a new epoch of a good loader still works.
        Assert.Equal(200, new DataLoader(Indexed(200), 5, transform: new Probe(), workers: workers).Epoch().Sum(b => b.Count));
    }
}
