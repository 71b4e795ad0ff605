namespace Striate.Imaging;

/// <summary>Maps values in [0, 1] to colours with viridis (perceptually uniform), and blends heat maps over pictures.</summary>
public static class Colormap
{
    // Viridis sampled at nine evenly spaced points (matplotlib's table), interpolated linearly between them.
    private static readonly float[,] s_viridis =
    {
        { 0.267f, 0.005f, 0.329f }, { 0.283f, 0.141f, 0.458f }, { 0.254f, 0.265f, 0.530f }, { 0.207f, 0.372f, 0.553f },
        { 0.164f, 0.471f, 0.558f }, { 0.128f, 0.567f, 0.551f }, { 0.135f, 0.659f, 0.518f }, { 0.267f, 0.749f, 0.441f },
        { 0.478f, 0.821f, 0.318f }, { 0.741f, 0.873f, 0.150f }, { 0.993f, 0.906f, 0.144f },
    };

    /// <summary>Viridis at <paramref name="t"/> (clamped to [0, 1]): dark purple at 0, yellow at 1.</summary>
    public static (float R, float G, float B) Viridis(float t)
    {
        if (float.IsNaN(t)) t = 0;
        t = Math.Clamp(t, 0, 1);
        int n = s_viridis.GetLength(0) - 1;
        float f = t * n;
        int i = Math.Min((int)f, n - 1);
        float w = f - i;
        return (Lerp(s_viridis[i, 0], s_viridis[i + 1, 0], w), Lerp(s_viridis[i, 1], s_viridis[i + 1, 1], w), Lerp(s_viridis[i, 2], s_viridis[i + 1, 2], w));
    }

    private static float Lerp(float a, float b, float w) => a + (b - a) * w;

    /// <summary>Colours a single plane [H, W] of values in [0, 1] with <paramref name="map"/>.</summary>
    public static Image Apply(ReadOnlySpan<float> plane, int height, int width, Func<float, (float R, float G, float B)> map)
    {
        int hw = height * width;
        if (plane.Length != hw) throw new ArgumentException($"Colormap.Apply: expected {height}x{width} = {hw} values, got {plane.Length}.");
        var p = new float[3 * hw];
        for (int i = 0; i < hw; i++)
        {
            var (r, g, b) = map(plane[i]);
            p[i] = r;
            p[hw + i] = g;
            p[2 * hw + i] = b;
        }
        return new Image(p, 3, height, width);
    }

    /// <summary>Scales values linearly so the smallest becomes 0 and the largest 1 (all zeros when constant).</summary>
    public static float[] MinMax(ReadOnlySpan<float> values)
    {
        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        foreach (float v in values)
        {
            lo = Math.Min(lo, v);
            hi = Math.Max(hi, v);
        }
        var r = new float[values.Length];
        float range = hi - lo;
        if (!(range > 0)) return r;
        for (int i = 0; i < r.Length; i++) r[i] = (values[i] - lo) / range;
        return r;
    }

    /// <summary>
    /// Blends a heat map [H, W] (values in [0, 1], resized bilinearly to the image) over <paramref name="image"/>:
    /// the image in gray, dimmed, under viridis with opacity growing with the value, so cold regions show the
    /// picture and hot ones the colour.
    /// </summary>
    public static Image Overlay(Image image, ReadOnlySpan<float> heat, int heatHeight, int heatWidth, float opacity = 0.6f)
    {
        var h = heatHeight == image.Height && heatWidth == image.Width ? heat.ToArray()
            : ImageFile.Resize(heat, 1, heatHeight, heatWidth, image.Height, image.Width);
        var gray = image.ToGray();
        int hw = image.Height * image.Width;
        var p = new float[3 * hw];
        for (int i = 0; i < hw; i++)
        {
            float t = Math.Clamp(h[i], 0, 1), a = opacity * (0.35f + 0.65f * t), g = 0.85f * gray.Pixels[i];
            var (r, gg, b) = Viridis(t);
            p[i] = (1 - a) * g + a * r;
            p[hw + i] = (1 - a) * g + a * gg;
            p[2 * hw + i] = (1 - a) * g + a * b;
        }
        return new Image(p, 3, image.Height, image.Width);
    }
}
