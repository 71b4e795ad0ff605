namespace Striate.Data.Transforms;

/// <summary>
/// Pads the image by <see cref="Padding"/> on every side with <see cref="Fill"/> and crops a window of the
/// original size at a random offset (torchvision's RandomCrop(size, padding)): a shift of up to Padding pixels.
/// </summary>
public sealed class RandomCrop(int padding, float fill = 0f) : ImageTransform
{
    public int Padding { get; } = padding >= 0 ? padding : throw new ArgumentOutOfRangeException(nameof(padding), $"RandomCrop: padding must be >= 0, got {padding}.");

    /// <summary>The value of the border (for normalised images, the normalised value of black).</summary>
    public float Fill { get; } = fill;

    public override void Apply(ReadOnlySpan<float> src, Span<float> dst, int channels, int height, int width, ulong sampleSeed)
    {
        // Offsets in [0, 2 * padding] of the padded image, i.e. shifts in [-padding, padding].
        int dy = (int)(Draw(sampleSeed, 1) * (2 * Padding + 1)) - Padding;
        int dx = (int)(Draw(sampleSeed, 2) * (2 * Padding + 1)) - Padding;
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < height; y++)
            {
                var d = dst.Slice((c * height + y) * width, width);
                int sy = y + dy;
                if ((uint)sy >= (uint)height)
                {
                    d.Fill(Fill);
                    continue;
                }
                var s = src.Slice((c * height + sy) * width, width);
                for (int x = 0; x < width; x++)
                {
                    int sx = x + dx;
                    d[x] = (uint)sx < (uint)width ? s[sx] : Fill;
                }
            }
    }

    public override string ToString() => $"RandomCrop(padding={Padding})";
}
