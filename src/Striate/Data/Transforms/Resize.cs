using Striate.Imaging;

namespace Striate.Data.Transforms;

/// <summary>
/// Bilinear resize to <see cref="Height"/> x <see cref="Width"/>, with PyTorch's
/// <c>interpolate(mode="bilinear", align_corners=False)</c> semantics: output pixel o samples the source at
/// (o + 0.5) * in / out - 0.5, clamped to the image. No antialiasing filter is applied when shrinking
/// (torchvision's <c>Resize(antialias=False)</c>), so large reductions alias.
/// </summary>
public sealed class Resize : ImageTransform
{
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public Resize(int height, int width)
    {
        if (height < 1 || width < 1)
            throw new ArgumentOutOfRangeException(nameof(height), $"Resize: output size must be at least 1x1, got {height}x{width}.");
        Height = height;
        Width = width;
    }

    public int Height { get; }
    public int Width { get; }

    public override (int Channels, int Height, int Width) OutputShape(int channels, int height, int width) => (channels, Height, Width);

    public override void Apply(ReadOnlySpan<float> src, Span<float> dst, int channels, int height, int width, ulong sampleSeed) =>
        Bilinear.ResizeBox(src, channels, height, width, 0, 0, height, width, dst, Height, Width);

    public override string ToString() => $"Resize({Height}, {Width})";
}
