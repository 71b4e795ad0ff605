namespace Striate.Data.Transforms;

/// <summary>
/// Pads the image by <see cref="Padding"/> on every side with <see cref="Fill"/> and crops a window at a random
/// offset (torchvision's RandomCrop(size, padding)). The window is the original size unless
/// <see cref="Height"/> and <see cref="Width"/> are given; with the original size it is a shift of up to
/// Padding pixels.
/// </summary>
public sealed class RandomCrop(int padding, float fill = 0f, int height = 0, int width = 0) : ImageTransform
{
    public int Padding { get; } = padding >= 0 ? padding : throw new ArgumentOutOfRangeException(nameof(padding), $"RandomCrop: padding must be >= 0, got {padding}.");

    /// <summary>The value of the border (for normalised images, the normalised value of black).</summary>
    public float Fill { get; } = fill;

    /// <summary>Height of the window; 0 for the image's.</summary>
    public int Height { get; } = height >= 0 ? height : throw new ArgumentOutOfRangeException(nameof(height), $"RandomCrop: height must be >= 1 (or 0 for the image's), got {height}.");

    /// <summary>Width of the window; 0 for the image's.</summary>
    public int Width { get; } = width >= 0 ? width : throw new ArgumentOutOfRangeException(nameof(width), $"RandomCrop: width must be >= 1 (or 0 for the image's), got {width}.");

    public override (int Channels, int Height, int Width) OutputShape(int channels, int height, int width)
    {
        int h = Height == 0 ? height : Height, w = Width == 0 ? width : Width;
        if (h > height + 2 * Padding || w > width + 2 * Padding)
            throw new ArgumentException($"RandomCrop: a {h}x{w} window does not fit in a {height}x{width} image padded by {Padding}; " +
                $"use padding >= {Math.Max((h - height + 1) / 2, (w - width + 1) / 2)} or a smaller window.");
        return (channels, h, w);
    }

    public override void Apply(ReadOnlySpan<float> src, Span<float> dst, int channels, int height, int width, ulong sampleSeed)
    {
        var (_, outH, outW) = OutputShape(channels, height, width);
        // Offsets of the window in the padded image, in [0, padded - window]; the source pixel is offset - padding away.
        int dy = (int)(Draw(sampleSeed, 1) * (height + 2 * Padding - outH + 1)) - Padding;
        int dx = (int)(Draw(sampleSeed, 2) * (width + 2 * Padding - outW + 1)) - Padding;
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < outH; y++)
            {
                var d = dst.Slice((c * outH + y) * outW, outW);
                int sy = y + dy;
                if ((uint)sy >= (uint)height)
                {
                    d.Fill(Fill);
                    continue;
                }
                // Columns x with 0 <= x + dx < width come from the source row; the rest is border.
                int x0 = Math.Clamp(-dx, 0, outW), x1 = Math.Clamp(width - dx, x0, outW);
                d[..x0].Fill(Fill);
                src.Slice((c * height + sy) * width + x0 + dx, x1 - x0).CopyTo(d[x0..x1]);
                d[x1..].Fill(Fill);
            }
    }

    public override string ToString() => Height == 0 && Width == 0 ? $"RandomCrop(padding={Padding})" : $"RandomCrop(({Height}, {Width}), padding={Padding})";
}
