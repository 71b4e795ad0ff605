using Striate.Imaging;

namespace Striate.Data.Transforms;

/// <summary>
/// Crops a random box and resizes it bilinearly to <see cref="Height"/> x <see cref="Width"/> (torchvision's
/// RandomResizedCrop, from the Inception paper, Szegedy et al. 2015). The box covers a fraction of the image
/// area drawn from <see cref="Scale"/> and has an aspect ratio (width / height) drawn log-uniformly from
/// <see cref="Ratio"/>; after 10 draws that do not fit, it falls back to the largest centred box whose ratio
/// is within the range. Resizing is bilinear without antialiasing, as <see cref="Resize"/>.
/// </summary>
public sealed class RandomResizedCrop : ImageTransform
{
    /// <summary>Draws of a box before the centre-crop fallback (torchvision's value).</summary>
    public const int Attempts = 10;

    /// <exception cref="ArgumentException">A size is below 1, a range has min &gt; max, the scale is outside (0, 1] or a ratio is not positive.</exception>
    public RandomResizedCrop(int height, int width, (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null)
    {
        if (height < 1 || width < 1)
            throw new ArgumentOutOfRangeException(nameof(height), $"RandomResizedCrop: output size must be at least 1x1, got {height}x{width}.");
        Height = height;
        Width = width;
        Scale = scale ?? (0.08, 1.0);
        Ratio = ratio ?? (3.0 / 4.0, 4.0 / 3.0);
        CheckRange(nameof(RandomResizedCrop), "scale", Scale.Min, Scale.Max, 0, 1);
        if (!(Scale.Max > 0)) throw new ArgumentOutOfRangeException(nameof(scale), $"RandomResizedCrop: scale must allow a box of positive area, got ({Scale.Min}, {Scale.Max}).");
        CheckRange(nameof(RandomResizedCrop), "ratio", Ratio.Min, Ratio.Max);
        if (!(Ratio.Min > 0)) throw new ArgumentOutOfRangeException(nameof(ratio), $"RandomResizedCrop: ratio must be > 0, got ({Ratio.Min}, {Ratio.Max}).");
    }

    public int Height { get; }
    public int Width { get; }

    /// <summary>Range of the box's area as a fraction of the image's.</summary>
    public (double Min, double Max) Scale { get; }

    /// <summary>Range of the box's width / height.</summary>
    public (double Min, double Max) Ratio { get; }

    public override (int Channels, int Height, int Width) OutputShape(int channels, int height, int width) => (channels, Height, Width);

    /// <summary>The box (top, left, height, width) that <paramref name="sampleSeed"/> crops from an image of the given size.</summary>
    public (int Top, int Left, int Height, int Width) Box(int height, int width, ulong sampleSeed)
    {
        double area = (double)height * width;
        double logMin = Math.Log(Ratio.Min), logMax = Math.Log(Ratio.Max);
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            ulong k = (ulong)attempt * 4;
            double target = area * Uniform(sampleSeed, k, Scale.Min, Scale.Max);
            double aspect = Math.Exp(Uniform(sampleSeed, k + 1, logMin, logMax));
            // Python's round() rounds halves to even, as Math.Round does.
            int w = (int)Math.Round(Math.Sqrt(target * aspect));
            int h = (int)Math.Round(Math.Sqrt(target / aspect));
            if (w > 0 && w <= width && h > 0 && h <= height)
                return (DrawInt(sampleSeed, k + 2, height - h + 1), DrawInt(sampleSeed, k + 3, width - w + 1), h, w);
        }
        double inRatio = (double)width / height;
        int fh = height, fw = width;
        if (inRatio < Ratio.Min) fh = Math.Max(1, (int)Math.Round(fw / Ratio.Min));
        else if (inRatio > Ratio.Max) fw = Math.Max(1, (int)Math.Round(fh * Ratio.Max));
        return ((height - fh) / 2, (width - fw) / 2, fh, fw);
    }

    public override void Apply(ReadOnlySpan<float> src, Span<float> dst, int channels, int height, int width, ulong sampleSeed)
    {
        var (top, left, h, w) = Box(height, width, sampleSeed);
        Bilinear.ResizeBox(src, channels, height, width, top, left, h, w, dst, Height, Width);
    }

    public override string ToString() => $"RandomResizedCrop({Height}, {Width}, scale=({Scale.Min}, {Scale.Max}), ratio=({Ratio.Min:G4}, {Ratio.Max:G4}))";
}
