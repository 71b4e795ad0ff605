using Striate.Data;
using Striate.Imaging;
using Striate.Tests.Support;

namespace Striate.Tests.Data;

/// <summary>Segmentation data of one's own: images/, masks/ of class indices and classes.txt, read exactly or refused with the file named.</summary>
public class SegmentationFolderTests
{
    private static readonly string[] Classes = ["background", "cat", "dog"];

    // A split of n images of h x w: image i's pixel (y, x) is (i + y + x) mod 7 / 7 gray, its mask class (i + x) mod 3.
    internal static string Make(string root, string split, int n, int h, int w, IReadOnlyList<string>? classes = null)
    {
        Directory.CreateDirectory(root);
        File.WriteAllLines(Path.Combine(root, SegmentationFolder.ClassesFile), classes ?? Classes);
        string dir = split.Length == 0 ? root : Path.Combine(root, split);
        Directory.CreateDirectory(Path.Combine(dir, "images"));
        Directory.CreateDirectory(Path.Combine(dir, "masks"));
        for (int i = 0; i < n; i++)
        {
            var image = new float[h * w];
            var mask = new float[h * w];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    image[y * w + x] = (i + y + x) % 7 / 7f;
                    mask[y * w + x] = (i + x) % 3 / 255f;
                }
            ImageFile.SavePng(Path.Combine(dir, "images", $"img{i}.png"), image, 1, h, w);
            ImageFile.SavePng(Path.Combine(dir, "masks", $"img{i}.png"), mask, 1, h, w);
        }
        return root;
    }

    [Fact]
    public void ImagesAndMasksAreReadExactly()
    {
        string root = Make(Path.Combine(Repo.TempDir(), "seg"), "train", 3, 5, 6);
        var set = SegmentationFolder.Load(root, "train", 1);
        Assert.Equal((3, 1, 5, 6), (set.Count, set.Channels, set.Height, set.Width));
        Assert.Equal(Classes, set.ClassNames);
        for (int i = 0; i < 3; i++)
            for (int y = 0; y < 5; y++)
                for (int x = 0; x < 6; x++)
                {
                    Assert.Equal((i + x) % 3, set.Mask(i)[y * 6 + x]);
                    Assert.Equal(MathF.Round((i + y + x) % 7 / 7f * 255) / 255f, set.Image(i)[y * 6 + x], 6);
                }
        var rgb = SegmentationFolder.Load(root, "train", 3);
        Assert.Equal(3, rgb.Channels);
        Assert.Equal(rgb.Image(1).Slice(0, 30).ToArray(), rgb.Image(1).Slice(60, 30).ToArray());
        var (x3, y3) = rgb.Batch([2, 0]);
        Assert.Equal([2, 3, 5, 6], x3.Shape.Dims.ToArray());
        Assert.Equal(set.Mask(2).ToArray(), y3[..30]);
        // Without train/ and test/, the folder itself is the test split.
        string flat = Make(Path.Combine(Repo.TempDir(), "flat"), "", 2, 4, 4);
        Assert.Equal(2, SegmentationFolder.Load(flat, "test", 1).Count);
        Assert.True(SegmentationFolder.Is(flat) && SegmentationFolder.Is(root));
        Assert.False(SegmentationFolder.Is(Path.Combine(Repo.TempDir(), "nothing")));
        Assert.Throws<DirectoryNotFoundException>(() => SegmentationFolder.Load(flat, "train", 1));
    }

    private static string Fails(Action act) => Assert.ThrowsAny<Exception>(act).Message;

    [Fact]
    public void BadFoldersAreRefusedNamingTheFile()
    {
        string Root(string name) => Make(Path.Combine(Repo.TempDir(), name), "test", 2, 4, 6);

        string r = Root("nomask");
        File.Delete(Path.Combine(r, "test", "masks", "img1.png"));
        Assert.Contains("img1.png' has no mask: expected", Fails(() => SegmentationFolder.Load(r, "test", 1)));

        r = Root("orphan");
        File.Delete(Path.Combine(r, "test", "images", "img0.png"));
        Assert.Contains("the mask '" + Path.Combine(r, "test", "masks", "img0.png") + "' has no image", Fails(() => SegmentationFolder.Load(r, "test", 1)));

        r = Root("size");
        ImageFile.SavePng(Path.Combine(r, "test", "masks", "img1.png"), new float[4 * 5], 1, 4, 5);
        Assert.Contains("is 5x4 pixels; its image", Fails(() => SegmentationFolder.Load(r, "test", 1)));

        r = Root("sizes");
        ImageFile.SavePng(Path.Combine(r, "test", "images", "img1.png"), new float[8 * 6], 1, 8, 6);
        ImageFile.SavePng(Path.Combine(r, "test", "masks", "img1.png"), new float[8 * 6], 1, 8, 6);
        Assert.Contains("is 6x8 pixels; every image of a split has one size", Fails(() => SegmentationFolder.Load(r, "test", 1)));

        r = Root("class");
        var bad = new float[24];
        bad[2 * 6 + 5] = 3 / 255f;
        ImageFile.SavePng(Path.Combine(r, "test", "masks", "img0.png"), bad, 1, 4, 6);
        Assert.Contains("holds class 3 at pixel (5, 2); classes.txt names 3 classes (0 to 2)", Fails(() => SegmentationFolder.Load(r, "test", 1)));

        r = Root("colour");
        var colour = new float[3 * 24];
        colour[24] = 1 / 255f;
        ImageFile.SavePng(Path.Combine(r, "test", "masks", "img0.png"), colour, 3, 4, 6);
        Assert.Contains("has a colour at pixel (0, 0)", Fails(() => SegmentationFolder.Load(r, "test", 1)));

        // A palette or 16-bit PNG is refused from its header, before decoding.
        foreach (var (byteAt, value, expected) in new[] { (25, (byte)3, "is a palette PNG"), (24, (byte)16, "has 16-bit samples") })
        {
            r = Root($"header{byteAt}");
            string mask = Path.Combine(r, "test", "masks", "img1.png");
            var bytes = File.ReadAllBytes(mask);
            bytes[byteAt] = value;
            File.WriteAllBytes(mask, bytes);
            Assert.Contains(expected, Fails(() => SegmentationFolder.Load(r, "test", 1)));
        }

        r = Root("notpng");
        File.WriteAllText(Path.Combine(r, "test", "masks", "img0.png"), "not an image");
        Assert.Contains("is not a PNG file", Fails(() => SegmentationFolder.Load(r, "test", 1)));

        r = Root("twice");
        File.Copy(Path.Combine(r, "test", "images", "img0.png"), Path.Combine(r, "test", "images", "img0.bmp"));
        Assert.Contains("have one name", Fails(() => SegmentationFolder.Load(r, "test", 1)));

        r = Root("empty");
        foreach (var f in Directory.GetFiles(Path.Combine(r, "test", "images"))) File.Delete(f);
        foreach (var f in Directory.GetFiles(Path.Combine(r, "test", "masks"))) File.Delete(f);
        Assert.Contains("holds no images", Fails(() => SegmentationFolder.Load(r, "test", 1)));

        r = Root("classes");
        File.WriteAllLines(Path.Combine(r, "classes.txt"), ["background", "cat", "background"]);
        Assert.Contains("'background' names both class 0 (line 1) and class 2 (line 3)", Fails(() => SegmentationFolder.Load(r, "test", 1)));
        File.WriteAllLines(Path.Combine(r, "classes.txt"), ["background"]);
        Assert.Contains("names 1 classes; expected 2 to 256", Fails(() => SegmentationFolder.Load(r, "test", 1)));
        File.Delete(Path.Combine(r, "classes.txt"));
        Assert.IsType<FileNotFoundException>(Assert.ThrowsAny<Exception>(() => SegmentationFolder.Load(r, "test", 1)));
    }
}
