using Striate.Tests.Support;
using Striate.Imaging;

namespace Striate.Tests.Imaging;

public class ImageFileSaveTests
{
    [Fact]
    public void RgbPngRoundTripsThroughTheDecoderOnANonSquareImage()
    {
        string path = Path.Combine(Repo.TempDir(), "new", "folder", "rgb.png");
        var img = new Image(3, 5, 7);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 5; y++)
                for (int x = 0; x < 7; x++)
                    img[c, y, x] = ((c * 37 + y * 11 + x * 5) % 256) / 255f;
        img.SavePng(path);
        var back = Image.Load(path, 3);
        Assert.Equal((5, 7), (back.Height, back.Width));
        for (int i = 0; i < img.Pixels.Length; i++) Assert.Equal(img.Pixels[i], back.Pixels[i], 1e-6f);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    [Fact]
    public void GrayPngClampsOutOfRangeValues()
    {
        string path = Path.Combine(Repo.TempDir(), "g.png");
        ImageFile.SavePng(path, [-1f, 0.5f, 2f, float.NaN, 0.25f, 1f], 1, 2, 3);
        var back = Image.Load(path, 1);
        Assert.Equal([0f, 128 / 255f, 1f, 0f, 64 / 255f, 1f], back.Pixels.Select(v => MathF.Round(v * 255) / 255f).ToArray());
    }

    [Fact]
    public void WrongSizesAreRefusedWithTheCounts()
    {
        var e = Assert.Throws<ArgumentException>(() => ImageFile.SavePng(Path.Combine(Repo.TempDir(), "x.png"), new float[5], 3, 2, 3));
        Assert.Contains("expected 3x2x3 = 18 values, got 5", e.Message);
        Assert.Throws<ArgumentException>(() => new Image(new float[8], 2, 2, 2));
    }

    [Fact]
    public void AFileInTheWayOfTheFolderIsAnIOExceptionNamingIt()
    {
        string dir = Repo.TempDir(), blocker = Path.Combine(dir, "file");
        File.WriteAllText(blocker, "x");
        var e = Assert.Throws<IOException>(() => ImageFile.SavePng(Path.Combine(blocker, "out.png"), new float[1], 1, 1, 1));
        Assert.Contains("Cannot create the folder", e.Message);
    }

    [Theory]
    [InlineData("chelsea.png", 150, 225)]
    [InlineData("coffee.png", 200, 300)]
    [InlineData("astronaut.png", 256, 256)]
    public void SamplePhotographsLoadWithTheirRecordedSizes(string name, int h, int w)
    {
        var img = Image.Load(Path.Combine(Repo.Root, "data", "images", name), 3);
        Assert.Equal((h, w), (img.Height, img.Width));
        Assert.Contains(name, File.ReadAllText(Path.Combine(Repo.Root, "data", "images", "LICENSE.md")));
        // A photograph, not a blank: the pixel values spread over most of the range.
        Assert.True(img.Pixels.Max() - img.Pixels.Min() > 0.6f);
    }
}
