using Striate.Data;
using Striate.Data.Transforms;

namespace Striate.Tests.Data.Transforms;

public class ComposeTests
{
    private static ImageDataset Data(int n, int c, int h, int w) => ImageDataset.FromFloats(
        TransformReference.Random(n * c * h * w, 12), Enumerable.Range(0, n).Select(i => i % 2).ToArray(), c, h, w, ["a", "b"]);

    private static readonly ImageTransform Everything = new Compose(
        new ColorJitter(0.3f, 0.3f), new RandomResizedCrop(14, 10, scale: (0.3, 1)), new RandomRotation(-20, 20, 0.5f),
        new RandomHorizontalFlip(), new RandomVerticalFlip(0.2f), new GaussianBlur(3), new Normalize([0.5f, 0.4f, 0.3f], [0.2f, 0.2f, 0.2f]),
        new RandomErasing(0.5f), new Resize(12, 9));

    private static float[] ByIndex(DataLoader loader, int epoch) => loader.Epoch(epoch)
        .SelectMany(b => Enumerable.Range(0, b.Count).Select(i => (b.Indices[i], b.Images.Data.Slice(i * b.Images.Shape[1] * b.Images.Shape[2] * b.Images.Shape[3], b.Images.Shape[1] * b.Images.Shape[2] * b.Images.Shape[3]).ToArray())))
        .OrderBy(p => p.Item1).SelectMany(p => p.Item2).ToArray();

    [Fact]
    public void ChainedTransformsChangeTheBatchShapeAndDependOnlyOnSeedEpochAndIndex()
    {
        var data = Data(23, 3, 17, 13);
        var loader = new DataLoader(data, 5, shuffle: true, seed: 4, transform: Everything);
        Assert.Equal((3, 12, 9), (loader.Channels, loader.Height, loader.Width));
        var first = loader.Epoch(1).First();
        Assert.Equal([5, 3, 12, 9], first.Images.Shape.ToArray());
        var a = ByIndex(loader, 1);
        Assert.Equal(a, ByIndex(new DataLoader(data, 7, shuffle: true, seed: 4, prefetch: false, transform: Everything), 1));
        Assert.Equal(a, ByIndex(new DataLoader(data, 23, shuffle: false, seed: 4, transform: Everything), 1));
        Assert.NotEqual(a, ByIndex(loader, 2));
        Assert.NotEqual(a, ByIndex(new DataLoader(data, 5, shuffle: true, seed: 5, transform: Everything), 1));
        Assert.All(a, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void StandardKeepsItsMeaningAndStrongAddsRotationAndErasing()
    {
        var standard = Assert.IsType<Compose>(Compose.Named("standard", -0.4f));
        Assert.Equal("Compose(RandomCrop(padding=2), RandomHorizontalFlip(p=0.5))", standard.ToString());
        var strong = Assert.IsType<Compose>(Compose.Named("strong", -0.4f));
        Assert.Equal([typeof(RandomCrop), typeof(RandomHorizontalFlip), typeof(RandomRotation), typeof(RandomErasing)], strong.Transforms.Select(t => t.GetType()));
        Assert.Null(Compose.Named("none", 0));
        Assert.Equal("Compose(RandomHorizontalFlip(p=0.5))", Compose.Named("flip", -0.4f)!.ToString());
        // The standard preset's first two draws are the same inside the strong one: a strong image is a standard
        // image, rotated and maybe erased, so with the rotation and erasing switched off they agree.
        var data = Data(6, 1, 10, 10);
        var plain = new Compose(new RandomCrop(2, -0.4f), new RandomHorizontalFlip(), new RandomRotation(0, 0, -0.4f), new RandomErasing(0));
        Assert.Equal(ByIndex(new DataLoader(data, 3, seed: 2, transform: standard), 0), ByIndex(new DataLoader(data, 3, seed: 2, transform: plain), 0));
    }
}
