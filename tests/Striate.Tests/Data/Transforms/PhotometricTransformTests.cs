using Striate.Data.Transforms;
using Striate.Tests.Support;

namespace Striate.Tests.Data.Transforms;

public class PhotometricTransformTests
{
    [Fact]
    public void BlurKernelIsTorchvisions()
    {
        // torchvision _get_gaussian_kernel1d(3, 1.0) = [0.2741, 0.4519, 0.2741].
        Check.Close(new[] { 0.27406862f, 0.45186276f, 0.27406862f }, new GaussianBlur(3, 1, 1).Kernel(1.0), 0, 1e-6, "kernel(3, 1)");
        var k = new GaussianBlur(7).Kernel(0.7);
        Assert.Equal(1f, k.Sum(), 5);
        for (int i = 0; i < 3; i++) Assert.Equal(k[i], k[6 - i]);
    }

    [Fact]
    public void BlurMatchesTheReflectPaddedConvolutionAndSmooths()
    {
        int c = 2, h = 9, w = 6;
        var img = TransformReference.Random(c * h * w, 3);
        var blur = new GaussianBlur(5, 0.5, 1.5);
        var dst = new float[img.Length];
        for (ulong s = 0; s < 5; s++)
        {
            blur.Apply(img, dst, c, h, w, s);
            Check.Close(TransformReference.Blur(img, c, h, w, blur.Kernel(blur.Sigma(s))), dst, 0, 1e-5, $"blur seed {s}");
            Assert.True(TransformReference.Roughness(dst, c, h, w) < 0.6 * TransformReference.Roughness(img, c, h, w));
        }
        // A checkerboard is almost all high frequency; a strong blur removes most of it.
        var board = Enumerable.Range(0, h * w).Select(i => (float)((i / w + i % w) % 2)).ToArray();
        var smooth = new float[board.Length];
        new GaussianBlur(5, 2, 2).Apply(board, smooth, 1, h, w, 0);
        Assert.True(TransformReference.Roughness(smooth, 1, h, w) < 0.05 * TransformReference.Roughness(board, 1, h, w));
        // A constant image keeps its value (and so its mean) whatever the sigma.
        var flat = Enumerable.Repeat(0.37f, c * h * w).ToArray();
        blur.Apply(flat, dst, c, h, w, 9);
        Assert.All(dst, v => Assert.Equal(0.37f, v, 5));
    }

    [Fact]
    public void ErasingSetsExactlyOneRectangleOfTheExpectedArea()
    {
        int c = 3, h = 16, w = 21;
        var img = TransformReference.Random(c * h * w, 4); // values in [0, 1), never -5
        var erase = new RandomErasing(1, scale: (0.05, 0.3), ratio: (0.3, 3.3), value: -5);
        var dst = new float[img.Length];
        int erased = 0;
        for (ulong s = 0; s < 60; s++)
        {
            erase.Apply(img, dst, c, h, w, s);
            var box = erase.Box(h, w, s);
            if (box is not var (top, left, bh, bw))
            {
                Assert.Equal(img, dst);
                continue;
            }
            erased++;
            Assert.True(bh < h && bw < w && top + bh <= h && left + bw <= w);
            double fraction = (double)bh * bw / (h * w), slack = (bh + bw + 1) / 2.0 / (h * w);
            Assert.InRange(fraction, 0.05 - slack, 0.3 + slack);
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                    {
                        int i = (ch * h + y) * w + x;
                        bool inside = y >= top && y < top + bh && x >= left && x < left + bw;
                        Assert.Equal(inside ? -5f : img[i], dst[i]);
                    }
        }
        Assert.True(erased > 50, $"p = 1 erased only {erased} of 60 images");
        // p = 0.3: roughly that share of images is erased.
        var sometimes = new RandomErasing(0.3f);
        int hits = Enumerable.Range(0, 1000).Count(s => sometimes.Box(h, w, (ulong)s) is not null);
        Assert.InRange(hits, 230, 370);
    }

    [Fact]
    public void BrightnessScalesAndContrastPullsTowardsTheGrayMean()
    {
        int h = 5, w = 7;
        var img = TransformReference.Random(3 * h * w, 6).Select(v => 0.2f + 0.5f * v).ToArray(); // [0.2, 0.7): no clamping for factors < 1.4
        var dst = new float[img.Length];
        var bright = new ColorJitter(brightness: 0.4f);
        var factors = new HashSet<float>();
        for (ulong s = 0; s < 20; s++)
        {
            bright.Apply(img, dst, 3, h, w, s);
            float f = dst[0] / img[0];
            Assert.InRange(f, 0.6f, 1.4f);
            for (int i = 0; i < img.Length; i++) Assert.Equal(Math.Clamp(img[i] * f, 0, 1), dst[i], 4);
            factors.Add(MathF.Round(f, 3));
        }
        Assert.True(factors.Count > 10);
        var contrast = new ColorJitter(contrast: 0.5f);
        double gray = 0;
        for (int i = 0; i < h * w; i++) gray += 0.2989 * img[i] + 0.587 * img[h * w + i] + 0.114 * img[2 * h * w + i];
        gray /= h * w;
        contrast.Apply(img, dst, 3, h, w, 1);
        double factor = (dst[0] - gray) / (img[0] - gray);
        Assert.InRange(factor, 0.5, 1.5);
        for (int i = 0; i < img.Length; i++) Assert.Equal(gray + factor * (img[i] - gray), dst[i], 3);
        // Clamped to [0, 1] as torchvision does for float images: 0.9 brightened by more than 1.2 is white.
        var two = new float[2];
        int clamped = 0;
        for (ulong s = 0; s < 50; s++)
        {
            new ColorJitter(brightness: 0.9f).Apply([0.9f, 0.5f], two, 1, 1, 2, s);
            if (two[1] / 0.5f <= 1.2f) continue;
            Assert.Equal(1f, two[0]);
            clamped++;
        }
        Assert.True(clamped > 5);
    }

    [Fact]
    public void RescaleAndNormalizeAreAffinePerChannel()
    {
        var dst = new float[4];
        new Rescale().Apply([0f, 51f, 255f, 127.5f], dst, 1, 2, 2, 0);
        Check.Close(new[] { 0f, 0.2f, 1f, 0.5f }, dst, 0, 1e-7, "rescale");
        var data = Striate.Data.ImageDataset.FromFloats(TransformReference.Random(6 * 2 * 3 * 4, 8), [0, 1, 0, 1, 0, 1], 2, 3, 4, ["a", "b"]);
        var norm = new Normalize(data.ChannelStatistics());
        var all = new float[6 * 24];
        for (int i = 0; i < 6; i++) norm.Apply(data.Image(i), all.AsSpan(i * 24, 24), 2, 3, 4, 0);
        var after = Striate.Data.ImageDataset.FromFloats(all, [0, 1, 0, 1, 0, 1], 2, 3, 4, ["a", "b"]).ChannelStatistics();
        Check.Close(new[] { 0f, 0f }, after.Mean, 0, 1e-5, "normalised mean");
        Check.Close(new[] { 1f, 1f }, after.Std, 0, 1e-4, "normalised std");
        Check.Close(data.Normalize(data.ChannelStatistics().Mean, data.ChannelStatistics().Std).Image(3), all.AsSpan(72, 24), 0, 1e-6, "same as ImageDataset.Normalize");
    }
}
