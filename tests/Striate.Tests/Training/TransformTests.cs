using Striate.Data;
using Striate.Data.Transforms;

namespace Striate.Tests.Training;

public class TransformTests
{
    private static readonly float[] Image = Enumerable.Range(0, 2 * 3 * 4).Select(i => (float)i).ToArray(); // [2, 3, 4]

    [Fact]
    public void FlipMirrorsEveryRowOrNothing()
    {
        var flip = new RandomHorizontalFlip(1f);
        var dst = new float[Image.Length];
        flip.Apply(Image, dst, 2, 3, 4, 7);
        Assert.Equal([3f, 2f, 1f, 0f], dst[..4]);
        Assert.Equal([23f, 22f, 21f, 20f], dst[20..]);
        new RandomHorizontalFlip(0f).Apply(Image, dst, 2, 3, 4, 7);
        Assert.Equal(Image, dst);
    }

    [Fact]
    public void CropShiftsWithinThePaddingAndFillsTheBorder()
    {
        var crop = new RandomCrop(1, fill: -9f);
        var seen = new HashSet<string>();
        for (ulong s = 0; s < 200; s++)
        {
            var dst = new float[Image.Length];
            crop.Apply(Image, dst, 2, 3, 4, s);
            // Every value is either the fill or a pixel of the same channel, shifted by at most one.
            int fills = dst.Count(v => v == -9f);
            Assert.InRange(fills, 0, 2 * (3 + 4 - 1));
            for (int i = 0; i < dst.Length; i++)
                if (dst[i] != -9f) Assert.Equal(i / 12, (int)dst[i] / 12);
            seen.Add(string.Join(",", dst));
        }
        Assert.Equal(9, seen.Count); // all shifts (-1..1) x (-1..1)
    }

    [Fact]
    public void AugmentedBatchesDependOnlyOnSeedEpochAndIndex()
    {
        var data = ImageDataset.FromFloats(Enumerable.Range(0, 20 * 16).Select(i => (float)(i % 7)).ToArray(), Enumerable.Range(0, 20).Select(i => i % 2).ToArray(), 1, 4, 4, ["a", "b"]);
        var t = Compose.Named("standard", 0f)!;
        float[] Run(bool prefetch, int batch) => new DataLoader(data, batch, shuffle: true, seed: 3, prefetch: prefetch, transform: t)
            .Epoch(2).SelectMany(b => Enumerable.Range(0, b.Count).Select(i => (b.Indices[i], b.Images.Data.Slice(i * 16, 16).ToArray())))
            .OrderBy(p => p.Item1).SelectMany(p => p.Item2).ToArray();
        var a = Run(true, 4);
        Assert.Equal(a, Run(false, 4));
        Assert.Equal(a, Run(true, 7)); // another batch size: each image still gets its own draws
        var other = new DataLoader(data, 4, shuffle: true, seed: 3, transform: t).Epoch(3).SelectMany(b => b.Images.ToArray()).ToArray();
        Assert.NotEqual(a, other);
        Assert.Throws<ArgumentException>(() => Compose.Named("heavy", 0f));
    }
}
