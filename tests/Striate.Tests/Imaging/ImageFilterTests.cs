using Striate.Cli;
using Striate.Tests.Support;
using Striate.Imaging;

namespace Striate.Tests.Imaging;

public class ImageFilterTests
{
    private static Image Photo => Image.Load(Path.Combine(Repo.Root, "data", "images", "chelsea.png"), 3).ToGray();

    [Fact]
    public void VerticalEdgeDetectorOnTheStepImageOfTheNotesGivesThirtiesAtTheStepAndZerosElsewhere()
    {
        // Seed 003: a 6x6 image, 10 on the left half and 0 on the right; [1 0 -1]x3, valid -> 4x4 [0 30 30 0].
        var step = new Image(1, 6, 6);
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 3; x++) step[0, y, x] = 10;
        var (v, c, h, w) = ImageFilter.Apply(step, ConvolutionKernel.Parse("edge-vertical"), same: false);
        Assert.Equal((1, 4, 4), (c, h, w));
        for (int y = 0; y < 4; y++)
            Assert.Equal([0f, 30f, 30f, 0f], v.AsSpan(y * 4, 4).ToArray());
    }

    [Fact]
    public void VerticalEdgeOnANonSquareStepIsABrightColumnPairOnlyAtTheStep()
    {
        // 9 x 13, bright left of column 7: in the interior only columns 6 and 7 respond, with |3|, and the
        // displayed magnitude is white there and black elsewhere.
        var step = new Image(1, 9, 13);
        for (int y = 0; y < 9; y++)
            for (int x = 0; x < 7; x++) step[0, y, x] = 1;
        var k = ConvolutionKernel.Parse("edge-vertical");
        var resp = ImageFilter.Apply(step, k, same: false);
        var img = ImageFilter.ToImage(resp, FilterDisplay.Auto, k.Sum);
        Assert.Equal((7, 11), (img.Height, img.Width));
        for (int y = 0; y < 7; y++)
            for (int x = 0; x < 11; x++)
            {
                // valid output column x covers input columns x..x+2: it straddles the step when x = 5 or 6.
                float expected = x is 5 or 6 ? 1 : 0;
                Assert.Equal(expected, img[0, y, x]);
                Assert.Equal(x is 5 or 6 ? 3 : 0, resp.Values[y * 11 + x]);
            }
    }

    [Fact]
    public void FilterMatchesANaiveFloat64CorrelationWithZeroPaddingOnANonSquareKernel()
    {
        var img = Photo.Resize(37, 23);
        var k = ConvolutionKernel.Parse("1,2,0,-1,3;0.5,-2,1,1,0;-1,0,0,2,1");
        var (v, _, h, w) = ImageFilter.Apply(img, k);
        Assert.Equal((37, 23), (h, w));
        double maxErr = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double s = 0;
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 5; j++)
                    {
                        int yy = y + i - 1, xx = x + j - 2;
                        if (yy >= 0 && yy < 37 && xx >= 0 && xx < 23) s += (double)k.Values[i * 5 + j] * img[0, yy, xx];
                    }
                maxErr = Math.Max(maxErr, Math.Abs(s - v[y * w + x]));
            }
        Assert.True(maxErr < 1e-5, $"largest difference {maxErr}");
    }

    private static double HighFrequencyEnergy(float[] p, int h, int w)
    {
        double e = 0;
        for (int y = 1; y < h - 1; y++)
            for (int x = 1; x < w - 1; x++)
            {
                double lap = 4 * p[y * w + x] - p[y * w + x - 1] - p[y * w + x + 1] - p[(y - 1) * w + x] - p[(y + 1) * w + x];
                e += lap * lap;
            }
        return e;
    }

    [Theory]
    [InlineData("box-blur")]
    [InlineData("gaussian-blur")]
    public void BlurLowersHighFrequencyEnergyAndKeepsTheMean(string name)
    {
        var img = Photo;
        var k = ConvolutionKernel.Parse(name);
        Assert.Equal(1f, k.Sum, 1e-5f);
        var (v, _, h, w) = ImageFilter.Apply(img, k);
        double before = HighFrequencyEnergy(img.Pixels, h, w), after = HighFrequencyEnergy(v, h, w);
        Assert.True(after < 0.35 * before, $"{name}: high-frequency energy {after:G4} vs {before:G4} before");
        var sharp = ImageFilter.Apply(img, ConvolutionKernel.Parse("sharpen"));
        Assert.True(HighFrequencyEnergy(sharp.Values, h, w) > 2 * before, "sharpen should raise it");
        // Interior mean unchanged (zero padding only darkens the border).
        double m0 = 0, m1 = 0;
        for (int y = 3; y < h - 3; y++)
            for (int x = 3; x < w - 3; x++) { m0 += img.Pixels[y * w + x]; m1 += v[y * w + x]; }
        Assert.Equal(m0, m1, m0 * 0.01);
    }

    [Fact]
    public void IdentityReturnsTheImage()
    {
        var img = Image.Load(Path.Combine(Repo.Root, "data", "images", "coffee.png"), 3).Resize(20, 30);
        var (v, c, _, _) = ImageFilter.Apply(img, ConvolutionKernel.Parse("identity"));
        Assert.Equal(3, c);
        Assert.Equal(img.Pixels, v);
    }

    [Theory]
    [InlineData("1,2;3", "row 2 has 1 values, expected 2")]
    [InlineData("1,x,3", "'x' in row 1 is not a number")]
    [InlineData("sobel-z", "unknown kernel 'sobel-z'. Named kernels: identity, edge-1")]
    [InlineData("1,2,1/0", "divisor after '/' must be a non-zero number")]
    [InlineData("1,2;;3,4", "row 2 is empty")]
    public void BadKernelTextIsAClearError(string text, string fragment)
    {
        var e = Assert.Throws<FormatException>(() => ConvolutionKernel.Parse(text));
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void NamedKernelsAreTheNotesValues()
    {
        Assert.Equal([1f, 0, -1, 0, 0, 0, -1, 0, 1], ConvolutionKernel.Parse("edge-1").Values);
        Assert.Equal([0f, 1, 0, 1, -4, 1, 0, 1, 0], ConvolutionKernel.Parse("edge-2").Values);
        Assert.Equal([-1f, -1, -1, -1, 8, -1, -1, -1, -1], ConvolutionKernel.Parse("EDGE-3").Values);
        Assert.Equal([1f, 1, 1, 0, 0, 0, -1, -1, -1], ConvolutionKernel.Parse("edge-horizontal").Values);
        Assert.Equal(ConvolutionKernel.Parse("sharpen").Values, ConvolutionKernel.Parse("0,-1,0;-1,5,-1;0,-1,0").Values);
        Assert.Equal(1 / 16f, ConvolutionKernel.Parse("1 2 1;2 4 2;1 2 1/16").Values[0]);
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    [Fact]
    public void FilterCommandWritesTheEdgeMapOfAPhotoAndReportsBadInput()
    {
        string dir = Repo.TempDir(), outPath = Path.Combine(dir, "sub", "edges.png");
        string photo = Path.Combine(Repo.Root, "data", "images", "chelsea.png");
        var (code, _, err) = Run("filter", "--kernel", "sobel-x", "--gray", photo, "-o", outPath);
        Assert.True(code == 0, err);
        var edges = Image.Load(outPath, 1);
        Assert.Equal((150, 225), (edges.Height, edges.Width));
        // An edge map of a photograph is mostly dark with some bright pixels.
        var sorted = edges.Pixels.OrderBy(v => v).ToArray();
        Assert.True(sorted[sorted.Length / 2] < 0.2f && sorted[^1] > 0.9f, $"median {sorted[sorted.Length / 2]}, max {sorted[^1]}");

        var bad = Run("filter", "--kernel", "1,2;3", photo, "-o", outPath);
        Assert.Equal(2, bad.Code);
        Assert.StartsWith("error: --kernel: kernel '1,2;3': row 2 has 1 values", bad.Err);
        var missing = Run("filter", "--kernel", "identity", Path.Combine(dir, "nope.png"), "-o", outPath);
        Assert.Equal(2, missing.Code);
        Assert.Contains("nope.png' does not exist", missing.Err);
        File.WriteAllText(Path.Combine(dir, "junk.png"), "not an image");
        var junk = Run("filter", "--kernel", "identity", Path.Combine(dir, "junk.png"), "-o", outPath);
        Assert.Equal(2, junk.Code);
        Assert.Contains("junk.png' is not a PNG, JPEG or BMP", junk.Err);
        File.WriteAllText(Path.Combine(dir, "blocker"), "x");
        var blocked = Run("filter", "--kernel", "identity", photo, "-o", Path.Combine(dir, "blocker", "o.png"));
        Assert.Equal(2, blocked.Code);
        Assert.Contains("--out '" + Path.Combine(dir, "blocker", "o.png") + "' cannot be written", blocked.Err);
    }

    [Fact]
    public void AllDrawsTheNotesTableWithTheIdentityTileEqualToThePhoto()
    {
        string dir = Repo.TempDir(), outPath = Path.Combine(dir, "table.png");
        string photo = Path.Combine(Repo.Root, "data", "images", "coffee.png");
        var (code, _, err) = Run("filter", "--kernel", "all", photo, "-o", outPath);
        Assert.True(code == 0, err);
        var table = Image.Load(outPath, 3);
        var src = Image.Load(photo, 3);
        int kernels = ConvolutionKernel.Named.Count(), rows = (kernels + 3) / 4;
        Assert.Equal(11, kernels);
        Assert.Equal((rows * (200 + 8 + 14 + 6) + 8, 4 * (300 + 8) + 8), (table.Height, table.Width));
        // The first tile is the identity: the photograph itself, pixel for pixel.
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 200; y += 7)
                for (int x = 0; x < 300; x += 7)
                    Assert.Equal(src[c, y, x], table[c, 8 + y, 8 + x], 1e-6f);
        // Its caption is drawn under it in dark ink.
        Assert.Contains(Enumerable.Range(8, 60), x => table[0, 8 + 200 + 4 + 2, x] < 0.2f);
    }
}
