using Striate.Data;

namespace Striate.Tests.Training;

public class DataLoaderTests
{
    private static ImageDataset Tiny(int n) => ImageDataset.FromFloats(
        Enumerable.Range(0, n * 4).Select(i => (float)(i / 4)).ToArray(), Enumerable.Range(0, n).Select(i => i % 3).ToArray(), 1, 2, 2, ["a", "b", "c"]);

    [Fact]
    public void AnEpochVisitsEveryImageOnceInBatches()
    {
        var loader = new DataLoader(Tiny(10), 4, shuffle: true, seed: 3);
        var seen = new List<int>();
        var sizes = new List<int>();
        foreach (var b in loader.Epoch(0))
        {
            sizes.Add(b.Count);
            for (int i = 0; i < b.Count; i++)
            {
                Assert.Equal(b.Indices[i], (int)b.Images.Data[i * 4]); // pixel values carry the index
                Assert.Equal(b.Indices[i] % 3, b.Labels[i]);
            }
            seen.AddRange(b.Indices);
        }
        Assert.Equal([4, 4, 2], sizes);
        Assert.Equal(Enumerable.Range(0, 10), seen.Order());
        Assert.NotEqual(Enumerable.Range(0, 10), seen);
    }

    [Fact]
    public void ShufflingIsSeededPerEpochAndDropLastDrops()
    {
        var a = new DataLoader(Tiny(50), 8, shuffle: true, seed: 1);
        var b = new DataLoader(Tiny(50), 8, shuffle: true, seed: 1, prefetch: false);
        Assert.Equal(a.Order(2), b.Order(2));
        Assert.NotEqual(a.Order(1), a.Order(2));
        Assert.Equal(a.Epoch(1).SelectMany(x => x.Indices.ToArray()).ToArray(), b.Epoch(1).SelectMany(x => x.Indices.ToArray()).ToArray());
        var d = new DataLoader(Tiny(50), 8, dropLast: true);
        Assert.Equal(6, d.BatchCount);
        Assert.All(d.Epoch(), x => Assert.Equal(8, x.Count));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Tiny(5), 0));
    }
}
