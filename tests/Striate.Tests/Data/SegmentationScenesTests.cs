using Striate.Data;
using Striate.Tests.Support;

namespace Striate.Tests.Data;

/// <summary>The seeded segmentation scenes: exact masks, the same scenes for the same seed, items inside the canvas.</summary>
public class SegmentationScenesTests
{
    [Fact]
    public void MasksAreExactAndScenesDependOnlyOnTheSeed()
    {
        var test = Repo.Test;
        var scenes = SegmentationScenes.Generate(test, 200, seed: 7);
        Assert.Equal(11, scenes.ClassCount);
        Assert.Equal("background", scenes.ClassNames[0]);
        Assert.Equal(test.ClassNames[3], scenes.ClassNames[4]);
        var seen = new HashSet<int>();
        for (int i = 0; i < scenes.Count; i++)
        {
            var image = scenes.Image(i);
            var mask = scenes.Mask(i);
            for (int p = 0; p < image.Length; p++)
            {
                // A pixel is an item's exactly when it is brighter than the threshold; the rest is black background.
                if (mask[p] == 0) Assert.Equal(0f, image[p]);
                else Assert.True(image[p] > 0.2f, $"scene {i} pixel {p}: class {mask[p]} at value {image[p]}");
                seen.Add(mask[p]);
            }
            Assert.Contains(mask.ToArray(), c => c > 0);
        }
        Assert.Equal(Enumerable.Range(0, 11), seen.Order());
        var again = SegmentationScenes.Generate(test, 5, seed: 7);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(scenes.Image(i).ToArray(), again.Image(i).ToArray());
            Assert.Equal(scenes.Mask(i).ToArray(), again.Mask(i).ToArray());
        }
        Assert.NotEqual(scenes.Mask(0).ToArray(), SegmentationScenes.Generate(test, 1, seed: 8).Mask(0).ToArray());
    }

    [Fact]
    public void AnItemIsItsSourceImageWhereItIsNotCovered()
    {
        // One item at scale 1 on a 28-pixel canvas: the scene is the source image with its dim pixels cut to black.
        var source = Repo.Test.Subset([0]);
        var scenes = SegmentationScenes.Generate(source, 1, 3, new SceneOptions { Size = 28, MinItems = 1, MaxItems = 1, MinScale = 1, MaxScale = 1 });
        var src = source.Image(0);
        for (int p = 0; p < 784; p++)
        {
            Assert.Equal(src[p] > 0.2f ? src[p] : 0f, scenes.Image(0)[p]);
            Assert.Equal(src[p] > 0.2f ? source.Labels[0] + 1 : 0, scenes.Mask(0)[p]);
        }
        var (x, y) = scenes.Batch([0, 0]);
        Assert.Equal(new[] { 2, 1, 28, 28 }, x.Shape.ToArray());
        Assert.Equal(2 * 784, y.Length);
    }

    [Fact]
    public void BadSettingsAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => SegmentationScenes.Generate(Repo.Test, 10, 1, new SceneOptions { Size = 32, MaxScale = 1.5 }));
        Assert.Contains("28x28 at scale 1.5 is 42 pixels, the canvas 32", e.Message);
        Assert.Throws<ArgumentException>(() => SegmentationScenes.Generate(Repo.Test, 0, 1));
        Assert.Throws<ArgumentException>(() => SegmentationScenes.Generate(Repo.Test, 1, 1, new SceneOptions { MinItems = 3, MaxItems = 2 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => SegmentationScenes.Generate(Repo.Test, 2, 1).Batch([2]));
    }
}
