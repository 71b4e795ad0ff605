using System.Globalization;

namespace Striate.Imaging;

/// <summary>
/// Pictures of segmentation masks: each class a colour (the background, class 0, black), a mask painted in those
/// colours, and a panel that sets an image beside its masks with a legend of the classes they hold.
/// </summary>
public static class SegmentationPicture
{
    // Ten well-separated colours for classes 1-10 (the "tab10" palette of the charts); further classes take hues
    // spaced by the golden angle.
    private static readonly (float R, float G, float B)[] s_palette =
    [
        (0.122f, 0.467f, 0.706f), (1.000f, 0.498f, 0.055f), (0.173f, 0.627f, 0.173f), (0.839f, 0.153f, 0.157f),
        (0.580f, 0.404f, 0.741f), (0.549f, 0.337f, 0.294f), (0.890f, 0.467f, 0.761f), (0.498f, 0.498f, 0.498f),
        (0.737f, 0.741f, 0.133f), (0.090f, 0.745f, 0.812f),
    ];

    /// <summary>The colour of class <paramref name="c"/>: black for the background (0), then a fixed palette.</summary>
    public static (float R, float G, float B) ClassColour(int c)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(c);
        if (c == 0) return (0f, 0f, 0f);
        if (c <= s_palette.Length) return s_palette[c - 1];
        double hue = (c * 0.618033988749895) % 1.0;
        return Hsv(hue, 0.75, 0.95);
    }

    private static (float, float, float) Hsv(double h, double s, double v)
    {
        double f = h * 6, i = Math.Floor(f), p = v * (1 - s), q = v * (1 - s * (f - i)), t = v * (1 - s * (1 - (f - i)));
        var (r, g, b) = ((int)i % 6) switch { 0 => (v, t, p), 1 => (q, v, p), 2 => (p, v, t), 3 => (p, q, v), 4 => (t, p, v), _ => (v, p, q) };
        return ((float)r, (float)g, (float)b);
    }

    /// <summary>The mask (<paramref name="height"/> x <paramref name="width"/> class indices) in the classes' colours.</summary>
    /// <exception cref="ArgumentException">The mask's length is not height x width, or it holds a negative class.</exception>
    public static Image Paint(ReadOnlySpan<int> mask, int height, int width)
    {
        if (height < 1 || width < 1 || mask.Length != (long)height * width)
            throw new ArgumentException($"a mask of {height}x{width} pixels needs {(long)height * width} classes, got {mask.Length}.");
        var image = new Image(3, height, width);
        int hw = height * width;
        for (int i = 0; i < hw; i++)
        {
            if (mask[i] < 0) throw new ArgumentException($"mask pixel {i} holds class {mask[i]}; classes are >= 0.");
            var (r, g, b) = ClassColour(mask[i]);
            image.Pixels[i] = r;
            image.Pixels[hw + i] = g;
            image.Pixels[2 * hw + i] = b;
        }
        return image;
    }

    /// <summary>
    /// The image, then each of <paramref name="masks"/> in colour (titled), side by side, scaled up by whole pixels to
    /// at least 192 pixels a side for small images, over a legend that names each class the masks hold with its colour
    /// and its share of the first mask's pixels.
    /// </summary>
    /// <exception cref="ArgumentException">A mask does not fit the image, or holds a class that <paramref name="classNames"/> does not name.</exception>
    public static Image Panel(Image image, IReadOnlyList<(string Title, int[] Mask)> masks, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(masks);
        ArgumentNullException.ThrowIfNull(classNames);
        int h = image.Height, w = image.Width, hw = h * w;
        var present = new SortedSet<int>();
        foreach (var (name, mask) in masks)
        {
            if (mask.Length != hw) throw new ArgumentException($"the mask '{name}' has {mask.Length} pixels; the image has {h}x{w} = {hw}.");
            foreach (int c in mask)
            {
                if (c < 0 || c >= classNames.Count) throw new ArgumentException($"the mask '{name}' holds class {c}; the model names {classNames.Count} classes (0 to {classNames.Count - 1}).");
                present.Add(c);
            }
        }
        int scale = Math.Max(1, (int)Math.Ceiling(192.0 / Math.Max(h, w)));
        scale = Math.Min(scale, Math.Max(1, 1024 / Math.Max(h, w)));
        int pw = w * scale, ph = h * scale, gap = 8, title = 14, line = 12;
        var first = masks.Count > 0 ? masks[0].Mask : [];
        var counts = new long[classNames.Count];
        foreach (int c in first) counts[c]++;
        var legend = present.Select(c => string.Create(CultureInfo.InvariantCulture,
            $"{c} {classNames[c]}{(first.Length > 0 ? $" {100.0 * counts[c] / first.Length:F1}%" : "")}")).ToList();
        int panels = 1 + masks.Count;
        int width = gap + panels * (pw + gap);
        int legendWidth = legend.Count == 0 ? 0 : legend.Max(s => BitmapFont.Measure(s)) + 14;
        int columns = Math.Max(1, (width - gap) / Math.Max(legendWidth + gap, 1));
        int rows = (legend.Count + columns - 1) / columns;
        var canvas = new Canvas(width, gap + title + ph + gap + rows * line + gap);
        var dark = (0.1f, 0.1f, 0.1f);
        canvas.Text(gap, gap, "image", dark);
        canvas.Draw(Upscale(image, scale), gap, gap + title);
        for (int m = 0; m < masks.Count; m++)
        {
            int x = gap + (m + 1) * (pw + gap);
            canvas.Text(x, gap, masks[m].Title, dark);
            canvas.Draw(Upscale(Paint(masks[m].Mask, h, w), scale), x, gap + title);
        }
        int y0 = gap + title + ph + gap;
        int k = 0;
        foreach (int c in present)
        {
            int x = gap + k % columns * (legendWidth + gap), y = y0 + k / columns * line;
            canvas.FillRect(x, y, 9, 9, ClassColour(c));
            canvas.Rect(x, y, 9, 9, (0.6f, 0.6f, 0.6f));
            canvas.Text(x + 13, y + 1, legend[k], dark);
            k++;
        }
        return canvas.Image;
    }

    private static Image Upscale(Image image, int scale)
    {
        if (scale == 1) return image;
        int h = image.Height * scale, w = image.Width * scale;
        var output = new Image(image.Channels, h, w);
        for (int c = 0; c < image.Channels; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    output.Pixels[(c * h + y) * w + x] = image[c, y / scale, x / scale];
        return output;
    }
}
