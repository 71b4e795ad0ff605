using Striate.Imaging;

namespace Striate.Tests.Imaging;

/// <summary>Masks in colour: the background black, each class its own colour, the panel's masks where they belong.</summary>
public class SegmentationPictureTests
{
    [Fact]
    public void EachClassHasItsOwnColourAndTheBackgroundIsBlack()
    {
        Assert.Equal((0f, 0f, 0f), SegmentationPicture.ClassColour(0));
        var colours = Enumerable.Range(0, 40).Select(SegmentationPicture.ClassColour).ToList();
        Assert.Equal(40, colours.Distinct().Count());
        var painted = SegmentationPicture.Paint([0, 1, 2, 1], 2, 2);
        Assert.Equal((3, 2, 2), (painted.Channels, painted.Height, painted.Width));
        var one = SegmentationPicture.ClassColour(1);
        Assert.Equal((one.R, one.G, one.B), (painted[0, 0, 1], painted[1, 0, 1], painted[2, 0, 1]));
        Assert.Equal((0f, 0f, 0f), (painted[0, 0, 0], painted[1, 0, 0], painted[2, 0, 0]));
        Assert.Throws<ArgumentException>(() => SegmentationPicture.Paint([0, 1, 2], 2, 2));
        Assert.Throws<ArgumentException>(() => SegmentationPicture.Paint([0, -1], 1, 2));
    }

    [Fact]
    public void ThePanelShowsTheImageAndEachMaskScaledUp()
    {
        // A 16x16 image (scaled up 12 times to 192) with the left half class 2 and the right half background.
        var image = new Image(1, 16, 16);
        var mask = new int[256];
        for (int i = 0; i < 256; i++) mask[i] = i % 16 < 8 ? 2 : 0;
        var panel = SegmentationPicture.Panel(image, [("predicted", mask)], ["background", "cat", "dog"]);
        Assert.Equal(3, panel.Channels);
        Assert.True(panel.Width >= 2 * 192 && panel.Height > 192, $"panel {panel.Width}x{panel.Height}");
        // The mask panel starts at x = 8 + 192 + 8, y = 8 + 14: its left half is class 2's colour, its right half black.
        var dog = SegmentationPicture.ClassColour(2);
        int x0 = 8 + 192 + 8, y0 = 22;
        Assert.Equal((dog.R, dog.G, dog.B), (panel[0, y0 + 100, x0 + 10], panel[1, y0 + 100, x0 + 10], panel[2, y0 + 100, x0 + 10]));
        Assert.Equal((0f, 0f, 0f), (panel[0, y0 + 100, x0 + 150], panel[1, y0 + 100, x0 + 150], panel[2, y0 + 100, x0 + 150]));
        // The legend's swatch for class 2 (the only non-background class after background) is in the rows under the panels.
        bool swatch = false;
        for (int y = y0 + 192; y < panel.Height; y++)
            for (int x = 0; x < panel.Width; x++)
                swatch |= panel[0, y, x] == dog.R && panel[1, y, x] == dog.G && panel[2, y, x] == dog.B;
        Assert.True(swatch, "the legend shows class 2's colour");
        var e = Assert.Throws<ArgumentException>(() => SegmentationPicture.Panel(image, [("predicted", mask)], ["background", "cat"]));
        Assert.Contains("holds class 2; the model names 2 classes", e.Message);
        Assert.Throws<ArgumentException>(() => SegmentationPicture.Panel(image, [("predicted", new int[10])], ["background", "cat", "dog"]));
    }
}
