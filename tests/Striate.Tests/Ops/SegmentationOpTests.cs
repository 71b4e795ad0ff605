using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using Striate.Tests.Support;

namespace Striate.Tests.Ops;

/// <summary>
/// The ops of segmentation: F.Interpolate (PyTorch's nearest, nearest-exact and bilinear, by size or scale, with and
/// without aligned corners), F.CenterCrop, the per-pixel cross-entropy and the soft Dice loss, each against a float64
/// reference written from the definitions and central differences, with worked values and the bad calls.
/// </summary>
public class SegmentationOpTests
{
    // Bilinear in float64, straight from the definition (both axes at once): source point, floor, clamp, weights.
    private static double[] BilinearRef(double[] x, int nc, int h, int w, int oh, int ow, bool align, double? sh = null, double? sw = null)
    {
        double Scale(int i, int o, double? s) => align ? (o > 1 ? (i - 1) / (double)(o - 1) : 0) : s is double f ? 1 / f : i / (double)o;
        (int, int, double) Src(int d, int i, int o, double? s)
        {
            double sc = Scale(i, o, s), r = align ? sc * d : Math.Max(sc * (d + 0.5) - 0.5, 0);
            int i0 = Math.Min((int)Math.Floor(r), i - 1);
            return (i0, Math.Min(i0 + 1, i - 1), Math.Clamp(r - i0, 0, 1));
        }
        var y = new double[nc * oh * ow];
        for (int p = 0; p < nc; p++)
            for (int a = 0; a < oh; a++)
            {
                var (y0, y1, ly) = Src(a, h, oh, sh);
                for (int b = 0; b < ow; b++)
                {
                    var (x0, x1, lx) = Src(b, w, ow, sw);
                    double At(int r, int c) => x[(p * h + r) * w + c];
                    y[(p * oh + a) * ow + b] = (1 - ly) * ((1 - lx) * At(y0, x0) + lx * At(y0, x1)) + ly * ((1 - lx) * At(y1, x0) + lx * At(y1, x1));
                }
            }
        return y;
    }

    private static double[] NearestRef(double[] x, int nc, int h, int w, int oh, int ow, bool exact, double? sh = null, double? sw = null)
    {
        int Src(int d, int i, int o, double? s)
        {
            float scale = s is double f ? (float)(1 / f) : (float)i / o;
            return Math.Min((int)MathF.Floor(exact ? (float)((d + 0.5) * scale) : d * scale), i - 1);
        }
        var y = new double[nc * oh * ow];
        for (int p = 0; p < nc; p++)
            for (int a = 0; a < oh; a++)
                for (int b = 0; b < ow; b++)
                    y[(p * oh + a) * ow + b] = x[(p * h + Src(a, h, oh, sh)) * w + Src(b, w, ow, sw)];
        return y;
    }

    public static TheoryData<string> Cases() => [.. s_cases.Select(c => c.Name)];

    // Targets of a [2, 3, 2, 3] batch: 12 pixels, one of them ignored (9).
    private static readonly int[] s_pixels = [0, 2, 1, 1, 9, 2, 2, 0, 0, 1, 2, 1];

    private static readonly OpCase[] s_cases =
    [
        new("bilinear 5x7 to 11x4", [[2, 3, 5, 7]], t => F.Interpolate(t[0], 11, 4, InterpolationMode.Bilinear), r => BilinearRef(r[0], 6, 5, 7, 11, 4, false)),
        new("bilinear aligned 5x7 to 11x4", [[2, 3, 5, 7]], t => F.Interpolate(t[0], 11, 4, InterpolationMode.Bilinear, true), r => BilinearRef(r[0], 6, 5, 7, 11, 4, true)),
        new("bilinear by 1.7 and 0.55", [[1, 2, 9, 11]], t => F.Interpolate(t[0], 1.7, 0.55, InterpolationMode.Bilinear), r => BilinearRef(r[0], 2, 9, 11, 15, 6, false, 1.7, 0.55)),
        new("bilinear aligned to one row", [[1, 2, 5, 6]], t => F.Interpolate(t[0], 1, 3, InterpolationMode.Bilinear, true), r => BilinearRef(r[0], 2, 5, 6, 1, 3, true)),
        new("nearest 5x7 to 11x4", [[2, 3, 5, 7]], t => F.Interpolate(t[0], 11, 4), r => NearestRef(r[0], 6, 5, 7, 11, 4, false)),
        new("nearest by 1.5 and 0.6", [[1, 2, 7, 10]], t => F.Interpolate(t[0], 1.5, 0.6), r => NearestRef(r[0], 2, 7, 10, 10, 6, false, 1.5, 0.6)),
        new("nearest-exact 5x7 to 11x4", [[2, 3, 5, 7]], t => F.Interpolate(t[0], 11, 4, InterpolationMode.NearestExact), r => NearestRef(r[0], 6, 5, 7, 11, 4, true)),
        new("center crop 9x10 to 5x7", [[2, 3, 9, 10]], t => F.CenterCrop(t[0], 5, 7), r =>
        {
            var y = new double[6 * 5 * 7];
            for (int p = 0; p < 6; p++)
                for (int a = 0; a < 5; a++)
                    for (int b = 0; b < 7; b++)
                        y[(p * 5 + a) * 7 + b] = r[0][(p * 9 + a + 2) * 10 + b + 2];
            return y;
        }),
        new("per-pixel cross-entropy, weights and an ignored pixel", [[2, 3, 2, 3]], t => F.CrossEntropy(t[0], s_pixels, Tensor.FromArray([0.5f, 2f, 1f], 3), ignoreIndex: 9),
            r => [PixelCrossEntropyRef(r[0], 2, 3, 6, s_pixels, [0.5, 2, 1], 9)]) { Low = -2, High = 2 },
        new("dice loss, smoothing 1, an ignored pixel", [[2, 3, 2, 3]], t => F.DiceLoss(t[0], s_pixels, 1f, ignoreIndex: 9),
            r => [DiceRef(r[0], 2, 3, 6, s_pixels, 1, 9)]) { Low = -2, High = 2 },
        new("dice loss, smoothing 0.1", [[1, 4, 3, 2]], t => F.DiceLoss(t[0], [0, 1, 1, 3, 2, 2], 0.1f),
            r => [DiceRef(r[0], 1, 4, 6, [0, 1, 1, 3, 2, 2], 0.1, -100)]) { Low = -2, High = 2 },
    ];

    // Each counted pixel's class probabilities (softmax over the C scores of pixel p of image i) and its target.
    private static IEnumerable<(double[] Probs, int Target)> Pixels(double[] z, int n, int c, int hw, int[] t, int ignore)
    {
        for (int i = 0; i < n; i++)
            for (int p = 0; p < hw; p++)
            {
                if (t[i * hw + p] == ignore) continue;
                var scores = Enumerable.Range(0, c).Select(k => z[(i * c + k) * hw + p]).ToArray();
                double m = scores.Max(), s = scores.Sum(v => Math.Exp(v - m));
                yield return (scores.Select(v => Math.Exp(v - m) / s).ToArray(), t[i * hw + p]);
            }
    }

    private static double PixelCrossEntropyRef(double[] z, int n, int c, int hw, int[] t, double[] w, int ignore)
    {
        var pixels = Pixels(z, n, c, hw, t, ignore).ToList();
        return pixels.Sum(q => w[q.Target] * -Math.Log(q.Probs[q.Target])) / pixels.Sum(q => w[q.Target]);
    }

    private static double DiceRef(double[] z, int n, int c, int hw, int[] t, double smooth, int ignore)
    {
        var inter = new double[c];
        var card = new double[c];
        foreach (var (probs, y) in Pixels(z, n, c, hw, t, ignore))
            for (int k = 0; k < c; k++)
            {
                card[k] += probs[k] + (k == y ? 1 : 0);
                if (k == y) inter[k] += probs[k];
            }
        double mean = 0;
        for (int k = 0; k < c; k++) mean += (2 * inter[k] + smooth) / (card[k] + smooth) / c;
        return 1 - mean;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheFloat64ReferenceAndFiniteDifferences(string name)
    {
        var c = s_cases.Single(k => k.Name == name);
        for (ulong seed = 1; seed <= 2; seed++) Check.Op(c, seed);
    }

    [Fact]
    public void WorkedValuesOfPyTorchsModes()
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 4f], 1, 1, 2, 2);
        // torch.nn.functional.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)
        Assert.Equal([1f, 1.25f, 1.75f, 2f, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3f, 3.25f, 3.75f, 4f],
            F.Interpolate(x, 2.0, 2.0, InterpolationMode.Bilinear).ToArray());
        // align_corners=True: the corners stay, thirds between them.
        var aligned = F.Interpolate(x, 4, 4, InterpolationMode.Bilinear, alignCorners: true).ToArray();
        Assert.Equal([1f, 4f / 3f, 5f / 3f, 2f], aligned[..4], (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal(4f, aligned[^1]);
        // Nearest by 2 repeats each pixel; from 3 to 4 the legacy rule reads 0, 0, 1, 2 and nearest-exact 0, 1, 1, 2.
        Assert.Equal([1f, 1f, 2f, 2f], F.Interpolate(x, 4, 4).ToArray()[..4]);
        var row = Tensor.FromArray([10f, 20f, 30f], 1, 1, 1, 3);
        Assert.Equal([10f, 10f, 20f, 30f], F.Interpolate(row, 1, 4).ToArray());
        Assert.Equal([10f, 20f, 20f, 30f], F.Interpolate(row, 1, 4, InterpolationMode.NearestExact).ToArray());
        // By scale: 1.5 maps 3 columns to 4 with source = output / 1.5.
        Assert.Equal([10f, 10f, 20f, 30f], F.Interpolate(row, 1.0, 1.5).ToArray());
        // The module.
        var up = new Upsample(2.0, InterpolationMode.Bilinear);
        Assert.Equal(F.Interpolate(x, 2.0, 2.0, InterpolationMode.Bilinear).ToArray(), up.Forward(x).ToArray());
        Assert.Equal("scale_factor=2, mode='bilinear', align_corners=False", up.ToString().Split('(', 2)[1].TrimEnd(')'));
        Assert.Equal(new[] { 1, 1, 3, 5 }, new Upsample(3, 5).Forward(x).Shape.ToArray());
        // Per-pixel cross-entropy without reduction keeps [N, H, W].
        Assert.Equal(new[] { 2, 2, 3 }, F.CrossEntropy(Tensor.Zeros(2, 3, 2, 3), s_pixels, reduction: Reduction.None, ignoreIndex: 9).Shape.ToArray());
        // A confident, right prediction has a Dice loss near 0.
        var perfect = Tensor.FromArray([20f, -20f, -20f, 20f], 1, 2, 1, 2);
        Assert.True(F.DiceLoss(perfect, [0, 1], 0f).Item() < 1e-6);
    }

    [Fact]
    public void BadCallsNameTheOpAndWhatItExpected()
    {
        var x = Tensor.Zeros(1, 2, 4, 4);
        Assert.Contains("interpolate: expected images [N, C, H, W], got [2, 4, 4]", Assert.Throws<ArgumentException>(() => F.Interpolate(Tensor.Zeros(2, 4, 4), 3, 3)).Message);
        Assert.Contains("expected an output size of at least 1x1, got 0x3", Assert.Throws<ArgumentException>(() => F.Interpolate(x, 0, 3)).Message);
        Assert.Contains("expected positive finite scale factors, got -1 and 2", Assert.Throws<ArgumentException>(() => F.Interpolate(x, -1.0, 2.0)).Message);
        Assert.Contains("turn 4x4 into 0x2", Assert.Throws<ArgumentException>(() => F.Interpolate(x, 0.2, 0.5)).Message);
        Assert.Contains("alignCorners applies to bilinear interpolation only, not Nearest", Assert.Throws<ArgumentException>(() => F.Interpolate(x, 8, 8, alignCorners: true)).Message);
        Assert.Contains("Upsample: alignCorners applies to bilinear", Assert.Throws<ArgumentException>(() => new Upsample(2.0, InterpolationMode.NearestExact, true)).Message);
        Assert.Contains("center_crop: cannot cut 5x3 from 4x4 images", Assert.Throws<ArgumentException>(() => F.CenterCrop(x, 5, 3)).Message);
        Assert.Contains("cross_entropy: expected 16 targets (one per pixel of input [1, 2, 4, 4]", Assert.Throws<ArgumentException>(() => F.CrossEntropy(x, new int[15])).Message);
        Assert.Contains("cross_entropy: target 2 at position 3 is out of range for 2 classes", Assert.Throws<ArgumentException>(() => F.CrossEntropy(x, [0, 1, 0, 2, .. new int[12]])).Message);
        Assert.Contains("dice_loss: expected 16 targets", Assert.Throws<ArgumentException>(() => F.DiceLoss(x, new int[15])).Message);
        Assert.Contains("dice_loss: target 5 at pixel 1 is not a class of 2", Assert.Throws<ArgumentException>(() => F.DiceLoss(x, [0, 5, .. new int[14]])).Message);
        Assert.Contains("dice_loss: expected logits [N, C, H, W], got [2, 4]", Assert.Throws<ArgumentException>(() => F.DiceLoss(Tensor.Zeros(2, 4), [0, 1])).Message);
    }
}
