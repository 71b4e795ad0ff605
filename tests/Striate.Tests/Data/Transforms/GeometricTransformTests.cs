using Striate.Data.Transforms;
using Striate.Tests.Support;

namespace Striate.Tests.Data.Transforms;

public class GeometricTransformTests
{
    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    public void RotationBy90DegreesIsTransposeThenFlip(int n)
    {
        var img = TransformReference.Random(2 * n * n, 5);
        var dst = new float[img.Length];
        new RandomRotation(90, 90, fill: -7).Apply(img, dst, 2, n, n, 11);
        // Counter-clockwise: out[y, x] = in[x, n - 1 - y] (numpy's rot90), the transpose flipped top to bottom.
        var expected = new float[img.Length];
        for (int c = 0; c < 2; c++)
            for (int y = 0; y < n; y++)
                for (int x = 0; x < n; x++) expected[(c * n + y) * n + x] = img[(c * n + x) * n + n - 1 - y];
        Check.Close(expected, dst, 0, 1e-5, $"rotate {n}x{n} by 90");
        new RandomRotation(-90, -90).Apply(img, dst, 2, n, n, 11);
        for (int c = 0; c < 2; c++)
            for (int y = 0; y < n; y++)
                for (int x = 0; x < n; x++) expected[(c * n + y) * n + x] = img[(c * n + n - 1 - x) * n + y];
        Check.Close(expected, dst, 0, 1e-5, $"rotate {n}x{n} by -90");
    }

    [Fact]
    public void RotationOfANonSquareImageKeepsTheCentreAndFillsTheCorners()
    {
        // 9 x 13: the centre pixel (4, 6) is the pivot; at 45 degrees the corners come from outside.
        int h = 9, w = 13;
        var img = Enumerable.Repeat(2f, h * w).ToArray();
        img[4 * w + 6] = 5f;
        var dst = new float[img.Length];
        var rot = new RandomRotation(30, 60, fill: -1);
        for (ulong s = 0; s < 20; s++)
        {
            double angle = rot.Angle(s);
            Assert.InRange(angle, 30, 60);
            rot.Apply(img, dst, 1, h, w, s);
            Assert.Equal(5f, dst[4 * w + 6], 4);
            Assert.Equal(-1f, dst[0]);
            Assert.Equal(-1f, dst[h * w - 1]);
            Assert.All(dst, v => Assert.InRange(v, -1f, 5f));
            Assert.Equal(2f, dst[2 * w + 6], 4); // two rows above the centre: still inside, the constant
        }
        Assert.NotEqual(rot.Angle(1), rot.Angle(2));
    }

    [Fact]
    public void ResizeMatchesPyTorchBilinearWithoutAlignCorners()
    {
        // interpolate([[0, 1]], size=(1, 4), mode="bilinear", align_corners=False) = [[0, 0.25, 0.75, 1]].
        var dst = new float[4];
        new Resize(1, 4).Apply([0f, 1f], dst, 1, 1, 2, 0);
        Assert.Equal([0f, 0.25f, 0.75f, 1f], dst);
        // Up and down on odd, non-square shapes against the float64 reference.
        var img = TransformReference.Random(3 * 7 * 5, 2);
        foreach (var (oh, ow) in new[] { (11, 3), (4, 9), (7, 5), (1, 1) })
        {
            var resize = new Resize(oh, ow);
            Assert.Equal((3, oh, ow), resize.OutputShape(3, 7, 5));
            var o = new float[3 * oh * ow];
            resize.Apply(img, o, 3, 7, 5, 0);
            Check.Close(TransformReference.ResizeBox(img, 3, 7, 5, 0, 0, 7, 5, oh, ow), o, 0, 1e-5, $"resize 7x5 -> {oh}x{ow}");
        }
    }

    [Fact]
    public void ResizedCropTakesABoxInsideTheImageAndResizesIt()
    {
        // Channel 0 holds the row index, channel 1 the column: every output value tells where it came from.
        int h = 19, w = 23;
        var img = new float[2 * h * w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                img[y * w + x] = y;
                img[h * w + y * w + x] = x;
            }
        var crop = new RandomResizedCrop(8, 6, scale: (0.2, 0.6), ratio: (0.5, 2.0));
        Assert.Equal((2, 8, 6), crop.OutputShape(2, h, w));
        var dst = new float[2 * 8 * 6];
        var boxes = new HashSet<(int, int, int, int)>();
        for (ulong s = 0; s < 100; s++)
        {
            var (top, left, bh, bw) = crop.Box(h, w, s);
            boxes.Add((top, left, bh, bw));
            Assert.True(top >= 0 && left >= 0 && top + bh <= h && left + bw <= w, $"box ({top}, {left}, {bh}, {bw}) outside {h}x{w}");
            double fraction = (double)bh * bw / (h * w), slack = (bh + bw + 1) / 2.0 / (h * w);
            Assert.InRange(fraction, 0.2 - slack, 0.6 + slack);
            Assert.InRange((double)bw / bh, 0.5 * (1 - 1.0 / bh) - 0.1, 2.0 * (1 + 1.0 / bh) + 0.1);
            crop.Apply(img, dst, 2, h, w, s);
            for (int i = 0; i < 48; i++)
            {
                Assert.InRange(dst[i], top, top + bh - 1);
                Assert.InRange(dst[48 + i], left, left + bw - 1);
            }
            Check.Close(TransformReference.ResizeBox(img, 2, h, w, top, left, bh, bw, 8, 6), dst, 0, 1e-4, $"resized crop {s}");
        }
        Assert.True(boxes.Count > 50, $"only {boxes.Count} distinct boxes in 100 draws");
    }

    [Fact]
    public void ResizedCropFallsBackToTheCentreWhenNoDrawFits()
    {
        // Every draw wants the whole area with a width twice the height or more: it never fits a square image,
        // so the box is the centred full-width one with ratio 2 (torchvision's fallback).
        var crop = new RandomResizedCrop(4, 4, scale: (1, 1), ratio: (2, 3));
        Assert.Equal((5, 0, 10, 20), crop.Box(20, 20, 3));
        var tall = new RandomResizedCrop(4, 4, scale: (1, 1), ratio: (0.2, 0.25));
        Assert.Equal((0, 7, 20, 5), tall.Box(20, 20, 3));
    }

    [Fact]
    public void FlipsAndCropsMoveWholePixels()
    {
        var img = Enumerable.Range(0, 2 * 3 * 4).Select(i => (float)i).ToArray();
        var dst = new float[img.Length];
        new RandomVerticalFlip(1).Apply(img, dst, 2, 3, 4, 0);
        Assert.Equal([8f, 9f, 10f, 11f, 4f, 5f, 6f, 7f, 0f, 1f, 2f, 3f], dst[..12]);
        Assert.Equal(img[20..], dst[12..16]);
        new RandomVerticalFlip(0).Apply(img, dst, 2, 3, 4, 0);
        Assert.Equal(img, dst);
        // A 2x3 window out of a 3x4 image without padding: a block of the original.
        var crop = new RandomCrop(0, height: 2, width: 3);
        var small = new float[2 * 2 * 3];
        for (ulong s = 0; s < 30; s++)
        {
            crop.Apply(img, small, 2, 3, 4, s);
            int y0 = (int)small[0] / 4, x0 = (int)small[0] % 4;
            for (int c = 0; c < 2; c++)
                for (int y = 0; y < 2; y++)
                    for (int x = 0; x < 3; x++) Assert.Equal(img[(c * 3 + y0 + y) * 4 + x0 + x], small[(c * 2 + y) * 3 + x]);
        }
    }
}
