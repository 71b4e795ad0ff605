using Striate.Cli;
using Striate.Models;
using Striate.Nn;
using Striate.Tensors;
using Striate.Tests.Support;
using Striate.Training;
using Striate.Imaging;
using Striate.Visualization;

namespace Striate.Tests.Visualization;

[Collection(nameof(SerialCollection))]
public class FilterBankTests
{
    /// <summary>
    /// How much a k x k filter looks like an oriented step: the largest |cosine| between the mean-removed filter and
    /// a +1 / -1 half-plane template, over eight orientations 22.5 degrees apart. 1 is a perfect edge detector.
    /// </summary>
    internal static (double Score, double PositiveHalf, double NegativeHalf) EdgeScore(ReadOnlySpan<float> w, int k)
    {
        double mean = 0;
        foreach (float v in w) mean += v;
        mean /= w.Length;
        (double Score, double Pos, double Neg) best = (0, 0, 0);
        int r = k / 2;
        for (int a = 0; a < 8; a++)
        {
            double th = a * Math.PI / 8, dot = 0, nw = 0, nt = 0, sp = 0, sn = 0;
            int np = 0, nn = 0;
            for (int y = 0; y < k; y++)
                for (int x = 0; x < k; x++)
                {
                    double d = Math.Cos(th) * (x - r) + Math.Sin(th) * (y - r);
                    int t = Math.Abs(d) < 1e-9 ? 0 : Math.Sign(d);
                    double v = w[y * k + x] - mean;
                    dot += v * t;
                    nw += v * v;
                    nt += t * t;
                    if (t > 0) { sp += v; np++; }
                    if (t < 0) { sn += v; nn++; }
                }
            double cos = dot / Math.Sqrt(nw * nt);
            if (Math.Abs(cos) > best.Score)
                best = cos > 0 ? (Math.Abs(cos), sp / np, sn / nn) : (Math.Abs(cos), sn / nn, sp / np);
        }
        return best;
    }

    [Fact]
    public void TrainedLeNetFirstLayerFiltersMovedFromTheirInitialisationTowardOrientedEdgeDetectors()
    {
        var ck = Checkpoint.Load(TrainedLeNet.Model);
        var initial = (LeNet5)ModelZoo.Create(ck.Spec, new Generator(TrainedLeNet.Seed));
        var w0 = initial.Conv1.Weight.ToArray();
        var w1 = ((LeNet5)ck.Model).Conv1.Weight.ToArray();
        Assert.Equal(150, w1.Length);

        double change = Math.Sqrt(w0.Zip(w1).Sum(p => (double)(p.First - p.Second) * (p.First - p.Second)) / w0.Sum(v => (double)v * v));
        Assert.True(change > 0.3, $"the trained filters should differ from the initial ones: relative change {change:F3}");

        // The chance level of the score: its 99th percentile over 4,000 random 5x5 filters.
        var g = new Generator(2024);
        var random = Enumerable.Range(0, 4000).Select(_ =>
        {
            var f = new float[25];
            for (int i = 0; i < 25; i++) f[i] = g.NextNormal();
            return EdgeScore(f, 5).Score;
        }).Order().ToArray();
        double chance99 = random[(int)(0.99 * random.Length)];

        // What training added to each filter (the initial weights are noise of the same scale, so the change is the
        // learned part): several of these are oriented edges, a positive half against a negative half.
        var learned = Enumerable.Range(0, 6).Select(o =>
        {
            var d = new float[25];
            for (int i = 0; i < 25; i++) d[i] = w1[o * 25 + i] - w0[o * 25 + i];
            return EdgeScore(d, 5);
        }).ToArray();
        var before = Enumerable.Range(0, 6).Select(o => EdgeScore(w0.AsSpan(o * 25, 25), 5).Score).ToArray();
        var after = Enumerable.Range(0, 6).Select(o => EdgeScore(w1.AsSpan(o * 25, 25), 5).Score).ToArray();
        string report = $"chance (p99) {chance99:F2}; learned {string.Join(" ", learned.Select(l => l.Score.ToString("F2")))}; " +
            $"initial {string.Join(" ", before.Select(v => v.ToString("F2")))}; trained {string.Join(" ", after.Select(v => v.ToString("F2")))}";
        var edges = learned.Where(l => l.Score > chance99 && l.PositiveHalf > 0 && l.NegativeHalf < 0).ToArray();
        Assert.True(edges.Length >= 3, $"at least 3 of 6 learned filters should be oriented edge detectors beyond chance: {report}");
        // And the trained filters themselves became more edge-like than their initialisation.
        Assert.True(after.Average() > before.Average() + 0.1, report);
    }

    [Fact]
    public void FilterGridDrawsEachFilterNormalisedWithZeroAsMidGray()
    {
        var conv = new Conv2d(3, 4, 3, generator: new Generator(1));
        var img = FilterBank.Draw(conv);
        Assert.Equal(3, img.Channels);
        // 4 RGB filters in a 2x2 grid, each 3x3 enlarged 10 times, with 2-pixel gaps.
        Assert.Equal((2 * 30 + 3 * 2, 2 * 30 + 3 * 2), (img.Height, img.Width));
        var w = conv.Weight.ToArray();
        float max = w.Take(27).Max(Math.Abs);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 3; x++)
                    Assert.Equal(0.5f + 0.5f * w[c * 9 + y * 3 + x] / max, img[c, 2 + y * 10 + 5, 2 + x * 10 + 5], 1e-6f);

        // A deeper layer: one row per filter, one gray tile per input channel.
        var deep = FilterBank.Draw(new Conv2d(6, 16, 5, generator: new Generator(2)));
        Assert.Equal(1, deep.Channels);
        Assert.Equal((16 * 30 + 17 * 2, 6 * 30 + 7 * 2), (deep.Height, deep.Width));
    }

    private static int CountColour(Image img, (float R, float G, float B) c, float tol = 0.004f)
    {
        int n = 0, hw = img.Height * img.Width;
        for (int i = 0; i < hw; i++)
            if (Math.Abs(img.Pixels[i] - c.R) < tol && Math.Abs(img.Pixels[hw + i] - c.G) < tol && Math.Abs(img.Pixels[2 * hw + i] - c.B) < tol) n++;
        return n;
    }

    private static int DarkPixels(Image img, int rows)
    {
        int n = 0, hw = img.Height * img.Width;
        for (int i = 0; i < rows * img.Width; i++)
            if (img.Pixels[i] < 0.3f && img.Pixels[hw + i] < 0.3f && img.Pixels[2 * hw + i] < 0.3f) n++;
        return n;
    }

    [Fact]
    public void FeatureMapPictureShowsEveryMapLargeAndTheInputBesideIt()
    {
        // Four 2x2 maps, each with one maximum (viridis yellow once scaled to its own range), and a 4x4 input of one gray.
        var act = Tensor.FromArray([0, 1, 2, 3, 3, 2, 1, 0, 5, 6, 7, 8, 8, 7, 6, 5], 1, 4, 2, 2);
        var input = new Image(Enumerable.Repeat(0.37f, 16).ToArray(), 1, 4, 4);
        var picture = FeatureMaps.Picture(act, input, "conv9");
        int scale = LabelledGrid.Scale(2, 2);
        Assert.True(scale * 2 >= LabelledGrid.MinTilePixels);
        // Each map's maximum cell is drawn as a scale x scale block: four of them.
        Assert.Equal(4 * scale * scale, CountColour(picture, Colormap.Viridis(1f)));
        // The input, enlarged to a few tile rows, stands beside the grid.
        int inputPixels = CountColour(picture, (0.37f, 0.37f, 0.37f));
        Assert.True(inputPixels >= 100 * 100 && Math.Sqrt(inputPixels) % 4 == 0, $"input pixels {inputPixels}");
        // A title line (dark text) above the grid.
        Assert.True(DarkPixels(picture, 20) > 50);
        // The raw grid, without labels or input, is much smaller.
        Assert.True(picture.Width > FeatureMaps.Draw(act).Width + 100);
    }

    [Fact]
    public void FilterPictureNumbersFiltersOrHeadsRowsAndColumns()
    {
        // An RGB first layer: numbered colour tiles, each at least the minimum size, zero mid-gray.
        var conv = new Conv2d(3, 4, 3, generator: new Generator(1));
        var rgb = FilterBank.Picture(conv, "conv1");
        int scale = LabelledGrid.Scale(3, 3);
        Assert.Equal(16, scale);
        Assert.Equal(3, rgb.Channels);
        var w = conv.Weight.ToArray();
        float max = w.Take(27).Max(Math.Abs);
        // Filter 0's centre weight in each channel gives one scale x scale block of its colour.
        var centre = (0.5f + 0.5f * w[4] / max, 0.5f + 0.5f * w[9 + 4] / max, 0.5f + 0.5f * w[18 + 4] / max);
        Assert.True(CountColour(rgb, centre, 1e-5f) >= scale * scale);
        Assert.True(DarkPixels(rgb, 20) > 50);

        // A deeper layer: a table, one row per filter and one column per channel, with headers.
        var deep = FilterBank.Picture(new Conv2d(6, 16, 5, generator: new Generator(2)), "conv2");
        int s5 = LabelledGrid.Scale(5, 5);
        Assert.True(deep.Height > 16 * 5 * s5 && deep.Width > 6 * 5 * s5 + 3 * BitmapFont.Advance);
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    [Fact]
    public void VisualizeCommandsDrawTheTrainedModel()
    {
        string dir = Repo.TempDir(), model = TrainedLeNet.Model;
        string shoe = Path.Combine(dir, "shoe.png");
        Repo.Test.Image(0).ToArray().AsSpan(); // test image 0 is an ankle boot
        ImageFile.SavePng(shoe, Repo.Test.Image(0), 1, 28, 28);

        var f = Run("visualize", "filters", "--model", model, "--layer", "conv1", "-o", Path.Combine(dir, "f", "filters.png"));
        Assert.True(f.Code == 0, f.Err);
        Assert.Equal(1, Image.Load(Path.Combine(dir, "f", "filters.png"), 3).ToGray().Channels);

        var a = Run("visualize", "activations", "--model", model, "--layer", "act1", shoe, "-o", Path.Combine(dir, "a.png"));
        Assert.True(a.Code == 0, a.Err);
        Assert.Contains("activation [1, 6, 28, 28]", a.Out);

        foreach (var method in new[] { "saliency", "guided", "deconvnet", "gradcam", "occlusion" })
        {
            var s = Run("visualize", method, "--model", model, shoe, "-o", Path.Combine(dir, method + ".png"));
            Assert.True(s.Code == 0, method + ": " + s.Err);
            Assert.Contains("(Ankle boot)", s.Out);
            var png = Image.Load(Path.Combine(dir, method + ".png"), 3);
            // Input and map side by side (28 pixels enlarged to 280 each), the caption and (for heat maps) a colour bar under them.
            Assert.True(png.Width >= 2 * 280 && png.Height is > 280 and < 280 + 80, $"{method}: input and map side by side with a caption, got {png.Width}x{png.Height}");
        }

        var proj = Run("visualize", "deconvnet", "--model", model, "--layer", "act2", "--channel", "3", shoe, "-o", Path.Combine(dir, "proj.png"));
        Assert.True(proj.Code == 0, proj.Err);
        Assert.Contains("deconvnet: layer act2, channel 3, strongest activation", proj.Out);
        var both = Run("visualize", "guided", "--model", model, "--layer", "act2", "--class", "1", shoe, "-o", Path.Combine(dir, "x.png"));
        Assert.Equal(2, both.Code);
        Assert.Contains("--class and --layer do not go together", both.Err);

        var unknown = Run("visualize", "filters", "--model", model, "--layer", "conv7", "-o", Path.Combine(dir, "x.png"));
        Assert.Equal(2, unknown.Code);
        Assert.Contains("no layer 'conv7'. Layers with filters: conv1, conv2", unknown.Err);
        var pool = Run("visualize", "filters", "--model", model, "--layer", "pool1", "-o", Path.Combine(dir, "x.png"));
        Assert.Equal(2, pool.Code);
        Assert.Contains("layer 'pool1' is a MaxPool2d, which has no filters to draw", pool.Err);
        var act = Run("visualize", "activations", "--model", model, "--layer", "nope", shoe, "-o", Path.Combine(dir, "x.png"));
        Assert.Equal(2, act.Code);
        Assert.Contains("Layers: conv1, act1, pool1, conv2", act.Err);
        var cls = Run("visualize", "saliency", "--model", model, "--class", "Giraffe", shoe, "-o", Path.Combine(dir, "x.png"));
        Assert.Equal(2, cls.Code);
        Assert.Contains("unknown class 'Giraffe'. Classes: 0 T-shirt/top", cls.Err);
        var named = Run("visualize", "gradcam", "--model", model, "--class", "sneaker", shoe, "-o", Path.Combine(dir, "x.png"));
        Assert.True(named.Code == 0, named.Err);
        Assert.Contains("class 7 (Sneaker)", named.Out);
    }
}
