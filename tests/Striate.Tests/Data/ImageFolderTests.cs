using Striate.Data;
using Striate.Tests.Support;
using Striate.Imaging;

namespace Striate.Tests.Data;

public class ImageFolderTests
{
    // A 5x7 RGB image whose values encode (tag, c, y, x), so a swapped axis or channel shows.
    private static float[] Pattern(int tag, int channels, int h, int w) =>
        Enumerable.Range(0, channels * h * w).Select(i => ((tag * 37 + i * 11) % 256) / 255f).ToArray();

    [Fact]
    public void ClassesAreSortedOrdinallyAndEveryImageKeepsItsPixelsAndLabel()
    {
        string root = Repo.TempDir();
        // Python's sorted(): upper case before lower case, "a10" before "a2".
        string[] folders = ["b", "a2", "B", "a10"];
        foreach (var (f, i) in folders.Select((f, i) => (f, i)))
        {
            Directory.CreateDirectory(Path.Combine(root, f, "nested"));
            Png.Write(Path.Combine(root, f, "1.png"), Pattern(i, 3, 5, 7), 3, 5, 7);
            Png.Write(Path.Combine(root, f, "nested", "2.PNG"), Pattern(i + 10, 3, 5, 7), 3, 5, 7);
            File.WriteAllText(Path.Combine(root, f, "notes.txt"), "not an image");
        }
        var set = ImageFolder.Load(root, channels: 3);
        Assert.Equal(["B", "a10", "a2", "b"], set.ClassNames);
        Assert.Equal([0, 0, 1, 1, 2, 2, 3, 3], set.Labels);
        Assert.Equal((3, 5, 7), (set.Channels, set.Height, set.Width));
        // Image 2 is a10/1.png, written with tag 3 (a10 is folders[3]); image 3 is a10/nested/2.PNG.
        Assert.Equal(Quantised(Pattern(3, 3, 5, 7)), set.Image(2).ToArray());
        Assert.Equal(Quantised(Pattern(13, 3, 5, 7)), set.Image(3).ToArray());
    }

    private static float[] Quantised(float[] v) => v.Select(x => MathF.Round(x * 255f) * (1f / 255f)).ToArray();

    [Fact]
    public void GrayAndRgbFilesAreConvertedAndResizedToOneSize()
    {
        string root = Repo.TempDir();
        Directory.CreateDirectory(Path.Combine(root, "gray"));
        Directory.CreateDirectory(Path.Combine(root, "rgb"));
        var gray = Pattern(1, 1, 6, 4);
        Bmp.WriteGray(Path.Combine(root, "gray", "g.bmp"), gray, 6, 4);
        var rgb = Pattern(2, 3, 9, 5);
        Png.Write(Path.Combine(root, "rgb", "c.png"), rgb, 3, 9, 5);

        var set = ImageFolder.Load(root, channels: 1, height: 3, width: 8);
        Assert.Equal((1, 3, 8), (set.Channels, set.Height, set.Width));
        var expected = ImageFile.Resize(Quantised(gray), 1, 6, 4, 3, 8);
        Assert.Equal(expected, set.Image(0).ToArray());
        // An RGB file read as gray: the decoder's luma, then the resize.
        var (luma, _, lh, lw) = ImageFile.Load(Path.Combine(root, "rgb", "c.png"), 1);
        Assert.Equal(ImageFile.Resize(luma, 1, lh, lw, 3, 8), set.Image(1).ToArray());

        var color = ImageFolder.Load(root, channels: 3, height: 9, width: 5);
        Assert.Equal(Quantised(rgb), color.Image(1).ToArray());
        var g = Quantised(gray);
        var grayAsRgb = ImageFile.Resize([.. g, .. g, .. g], 3, 6, 4, 9, 5);
        Assert.Equal(grayAsRgb, color.Image(0).ToArray());
    }

    [Fact]
    public void AnUndecodableImageFailsByPathOrIsSkippedAndReported()
    {
        string root = Repo.TempDir();
        foreach (var c in new[] { "cat", "dog" })
        {
            Directory.CreateDirectory(Path.Combine(root, c));
            Png.Write(Path.Combine(root, c, "ok.png"), Pattern(1, 1, 4, 4), 1, 4, 4);
        }
        string bad = Path.Combine(root, "dog", "broken.jpg");
        File.WriteAllText(bad, "this is not a JPEG file");

        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(root, 1));
        Assert.Contains(bad, e.Message);

        var skipped = new List<string>();
        var set = ImageFolder.Load(root, 1, onBadImage: BadImagePolicy.Skip, onSkipped: (p, _) => skipped.Add(p));
        Assert.Equal([bad], skipped);
        Assert.Equal([0, 1], set.Labels);

        // Skipping the only image of a class leaves the class empty: an error, not a silent class with no data.
        File.Delete(Path.Combine(root, "dog", "ok.png"));
        var empty = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(root, 1, onBadImage: BadImagePolicy.Skip));
        Assert.Contains("'dog'", empty.Message);
    }

    [Fact]
    public void EmptyFoldersAndClassesAreClearErrors()
    {
        string root = Repo.TempDir();
        var none = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(root, 1));
        Assert.Contains("no classes", none.Message);
        Directory.CreateDirectory(Path.Combine(root, "a"));
        Directory.CreateDirectory(Path.Combine(root, "b"));
        Png.Write(Path.Combine(root, "a", "x.png"), Pattern(1, 1, 4, 4), 1, 4, 4);
        File.WriteAllText(Path.Combine(root, "b", "readme.txt"), "");
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(root, 1));
        Assert.Contains("class 'b'", e.Message);
        Assert.Contains("no PNG, JPEG or BMP images", e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => ImageFolder.Load(Path.Combine(root, "missing"), 1));

        Png.Write(Path.Combine(root, "b", "y.png"), Pattern(2, 1, 4, 4), 1, 4, 4);
        var mismatch = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(root, 1, classNames: ["a", "c"]));
        Assert.Contains("expected [a, c]", mismatch.Message);
        Assert.Throws<ArgumentException>(() => ImageFolder.Load(root, 2));
    }
    [Fact]
    public void AHugeFirstImageDoesNotSetTheSizeOfEveryImage()
    {
        string root = Repo.TempDir();
        Directory.CreateDirectory(Path.Combine(root, "a"));
        Directory.CreateDirectory(Path.Combine(root, "b"));
        Png.Write(Path.Combine(root, "a", "0.png"), new float[1100 * 1000], 1, 1100, 1000);
        Png.Write(Path.Combine(root, "b", "1.png"), Pattern(1, 1, 4, 4), 1, 4, 4);
        var e = Assert.Throws<InvalidDataException>(() => ImageFolder.Load(root, channels: 1));
        Assert.Contains("1000x1100 pixels", e.Message);
        Assert.Contains("--image-size", e.Message);
        // With the size given, the large image is resized as it is read.
        var set = ImageFolder.Load(root, channels: 1, height: 8, width: 8);
        Assert.Equal((2, 8, 8), (set.Count, set.Height, set.Width));
        Assert.Equal(ImageFile.Resize(Quantised(Pattern(1, 1, 4, 4)), 1, 4, 4, 8, 8), set.Image(1).ToArray());
    }
}
