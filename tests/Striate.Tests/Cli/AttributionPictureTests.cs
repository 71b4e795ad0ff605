using Striate.Cli;
using Striate.Imaging;
using Striate.Visualization;

namespace Striate.Tests.Cli;

/// <summary>An attribution picture says in the picture what it explains, and a heat map carries its colour bar.</summary>
public class AttributionPictureTests
{
    private static (Image Input, InputMap Map) Example()
    {
        var input = new Image(Enumerable.Range(0, 28 * 28).Select(i => (i % 28) / 27f).ToArray(), 1, 28, 28);
        var map = new InputMap(Enumerable.Range(0, 28 * 28).Select(i => (float)(i / 28)).ToArray(), 1, 28, 28, 9, 0.995f);
        return (input, map);
    }

    // Dark pixels (text) in rows [from, to) of the picture.
    private static int Ink(Image image, int from, int to)
    {
        int n = 0, plane = image.Height * image.Width;
        for (int y = from; y < to; y++)
            for (int x = 0; x < image.Width; x++)
                if (image.Pixels[y * image.Width + x] < 0.3f && image.Pixels[plane + y * image.Width + x] < 0.3f && image.Pixels[2 * plane + y * image.Width + x] < 0.3f) n++;
        return n;
    }

    [Fact]
    public void TheCaptionAndTheColourBarAreInThePicture()
    {
        var (input, map) = Example();
        var picture = AttributionCommands.Render(input, map, pattern: false, "saliency: class 9 (Ankle boot), probability 99.5 %");
        // The two 280-pixel tiles, then the caption and the bar.
        Assert.True(picture.Width >= 2 * 280, $"width {picture.Width}");
        Assert.True(picture.Height >= 280 + 40, $"height {picture.Height}");
        Assert.True(Ink(picture, 285, picture.Height) > 100, "no caption text under the pictures");
        // The bar's ends are the heat map's lowest and highest colours.
        int plane = picture.Height * picture.Width, row = Enumerable.Range(290, picture.Height - 290)
            .First(y => Math.Abs(picture.Pixels[y * picture.Width + picture.Width - 5] - Colormap.Viridis(1).R) < 1e-6);
        var low = Colormap.Viridis(0);
        int left = picture.Width / 2 + 2;
        Assert.Equal(low.R, picture.Pixels[row * picture.Width + left], 6);
        Assert.Equal(low.G, picture.Pixels[plane + row * picture.Width + left], 6);

        var pattern = AttributionCommands.Render(input, map, pattern: true, "guided: layer conv2, channel 3");
        Assert.True(Ink(pattern, 285, pattern.Height) > 50, "no caption text under the pattern");
        Assert.True(pattern.Height < picture.Height, "a pattern has no colour bar");
    }
}
