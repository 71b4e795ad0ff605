using System.Globalization;
using Striate.Tensors;

namespace Striate.Data;

/// <summary>How <see cref="SegmentationScenes.Generate"/> composes its scenes.</summary>
public sealed record SceneOptions
{
    /// <summary>The side of the square canvas in pixels.</summary>
    public int Size { get; init; } = 64;

    public int MinItems { get; init; } = 1;
    public int MaxItems { get; init; } = 4;

    /// <summary>The range of an item's scale (its side is the source side times the scale, rounded).</summary>
    public double MinScale { get; init; } = 0.75;

    public double MaxScale { get; init; } = 1.5;

    /// <summary>An item's pixels above this value are the item (they carry its class and cover what is under them).</summary>
    public float Threshold { get; init; } = 0.2f;
}

/// <summary>
/// Segmentation scenes with exact masks (a <see cref="SegmentationSet"/>), drawn from a single-channel image dataset (such as Fashion-MNIST): each
/// scene is a black canvas holding 1 to 4 items, each a source image resized bilinearly by a random scale and placed
/// at a random position inside the canvas, later items over earlier ones. An item's pixels above the threshold
/// replace the canvas there and carry its class (the source label + 1); everything else is background (class 0).
/// So the mask is exact: a pixel is of class c exactly when the item drawn last over it is of class c - 1 and is
/// brighter than the threshold there. Scene i depends only on the seed and i; scenes drawn from a test set use test
/// images only.
/// </summary>
public static class SegmentationScenes
{
    /// <summary>
    /// The seed of the test scenes that go with training scenes drawn with <paramref name="seed"/> (a different stream,
    /// so a test scene is never a training scene's twin even when both sets draw from one source).
    /// </summary>
    public static ulong TestSeed(ulong seed) => seed + 1_000_003;

    /// <summary>Draws <paramref name="count"/> scenes from <paramref name="source"/>'s images.</summary>
    /// <exception cref="ArgumentException">The source is not single-channel or is empty, or the options are out of range (an item larger than the canvas, no items, a threshold outside [0, 1)).</exception>
    public static SegmentationSet Generate(ImageDataset source, int count, ulong seed, SceneOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= new SceneOptions();
        if (source.Channels != 1 || source.Count == 0)
            throw new ArgumentException($"segmentation scenes: expected a non-empty single-channel image set, got {source.Count} images of {source.Channels} channels.");
        int maxSide = (int)Math.Round(Math.Max(source.Height, source.Width) * options.MaxScale);
        if (count < 1 || options.Size < 8 || options.MinItems < 1 || options.MaxItems < options.MinItems || !(options.MinScale > 0) || options.MaxScale < options.MinScale
            || maxSide > options.Size || !(options.Threshold >= 0 && options.Threshold < 1))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"segmentation scenes: expected count >= 1, a canvas of at least 8 pixels holding the largest item ({source.Height}x{source.Width} at scale {options.MaxScale} is {maxSide} pixels, the canvas {options.Size}), 1 <= min items <= max items, 0 < min scale <= max scale and a threshold in [0, 1); got count {count}, items {options.MinItems}-{options.MaxItems}, scales {options.MinScale}-{options.MaxScale}, threshold {options.Threshold}."));
        long area = (long)options.Size * options.Size;
        ImageDataset.CheckSize(count, 1, options.Size, options.Size);
        var images = new float[count * area];
        var masks = new int[count * area];
        var root = new Generator(seed);
        Parallel.For(0, count, i => Draw(source, options, root.Fork((ulong)i), images.AsSpan((int)(i * area), (int)area), masks.AsSpan((int)(i * area), (int)area)));
        return new SegmentationSet(images, masks, count, 1, options.Size, options.Size, ["background", .. source.ClassNames]);
    }

    private static void Draw(ImageDataset source, SceneOptions o, Generator g, Span<float> canvas, Span<int> mask)
    {
        int items = o.MinItems + g.NextInt(o.MaxItems - o.MinItems + 1);
        for (int k = 0; k < items; k++)
        {
            int which = g.NextInt(source.Count);
            double scale = o.MinScale + g.NextFloat() * (o.MaxScale - o.MinScale);
            int h = Math.Max(1, (int)Math.Round(source.Height * scale)), w = Math.Max(1, (int)Math.Round(source.Width * scale));
            int top = g.NextInt(o.Size - h + 1), left = g.NextInt(o.Size - w + 1);
            var item = Resize(source.Image(which), source.Height, source.Width, h, w);
            int cls = source.Labels[which] + 1;
            for (int r = 0; r < h; r++)
                for (int c = 0; c < w; c++)
                {
                    float v = item[r * w + c];
                    if (v <= o.Threshold) continue;
                    int at = (top + r) * o.Size + left + c;
                    canvas[at] = v;
                    mask[at] = cls;
                }
        }
    }

    // Bilinear resize (half-pixel centres, edges clamped), as PyTorch's bilinear interpolate without aligned corners.
    private static float[] Resize(ReadOnlySpan<float> src, int sh, int sw, int h, int w)
    {
        var dst = new float[h * w];
        for (int r = 0; r < h; r++)
        {
            double y = Math.Max((r + 0.5) * sh / h - 0.5, 0);
            int y0 = Math.Min((int)y, sh - 1), y1 = Math.Min(y0 + 1, sh - 1);
            double ly = y - y0;
            for (int c = 0; c < w; c++)
            {
                double x = Math.Max((c + 0.5) * sw / w - 0.5, 0);
                int x0 = Math.Min((int)x, sw - 1), x1 = Math.Min(x0 + 1, sw - 1);
                double lx = x - x0;
                dst[r * w + c] = (float)((1 - ly) * ((1 - lx) * src[y0 * sw + x0] + lx * src[y0 * sw + x1]) + ly * ((1 - lx) * src[y1 * sw + x0] + lx * src[y1 * sw + x1]));
            }
        }
        return dst;
    }
}
