namespace Striate.Data.Transforms;

/// <summary>
/// Random brightness and contrast changes in a random order, as torchvision's ColorJitter for images in
/// [0, 1]: a brightness factor b drawn from [max(0, 1 - <see cref="Brightness"/>), 1 + Brightness] gives
/// clamp(b x, 0, 1); a contrast factor c drawn likewise from <see cref="Contrast"/> gives
/// clamp(c x + (1 - c) m, 0, 1), where m is the mean of the grayscale image (0.2989 R + 0.587 G + 0.114 B for
/// RGB). Apply it before <see cref="Normalize"/>; a strength of 0 leaves that property alone.
/// </summary>
public sealed class ColorJitter : ImageTransform
{
    /// <exception cref="ArgumentOutOfRangeException">A strength is negative or not finite.</exception>
    public ColorJitter(float brightness = 0, float contrast = 0)
    {
        if (!(brightness >= 0) || !float.IsFinite(brightness))
            throw new ArgumentOutOfRangeException(nameof(brightness), $"ColorJitter: brightness must be >= 0, got {brightness}.");
        if (!(contrast >= 0) || !float.IsFinite(contrast))
            throw new ArgumentOutOfRangeException(nameof(contrast), $"ColorJitter: contrast must be >= 0, got {contrast}.");
        Brightness = brightness;
        Contrast = contrast;
    }

    public float Brightness { get; }
    public float Contrast { get; }

    /// <summary>Contrast needs a grayscale mean, defined for 1 or 3 channels.</summary>
    public override (int Channels, int Height, int Width) OutputShape(int channels, int height, int width) =>
        Contrast == 0 || channels is 1 or 3 ? (channels, height, width)
            : throw new ArgumentException($"ColorJitter: contrast needs images with 1 or 3 channels, got {channels}.");

    public override void Apply(ReadOnlySpan<float> src, Span<float> dst, int channels, int height, int width, ulong sampleSeed)
    {
        OutputShape(channels, height, width);
        src.CopyTo(dst);
        bool contrastFirst = Draw(sampleSeed, 0) < 0.5f;
        for (int step = 0; step < 2; step++)
        {
            if ((step == 0) == contrastFirst)
            {
                if (Contrast > 0) AdjustContrast(dst, channels, height * width, (float)Uniform(sampleSeed, 2, Math.Max(0, 1 - Contrast), 1 + Contrast));
            }
            else if (Brightness > 0)
            {
                float b = (float)Uniform(sampleSeed, 1, Math.Max(0, 1 - Brightness), 1 + Brightness);
                TensorPrimitives.Multiply(dst, b, dst);
                TensorPrimitives.Clamp(dst, 0f, 1f, dst);
            }
        }
    }

    private static void AdjustContrast(Span<float> img, int channels, int plane, float factor)
    {
        double mean;
        if (channels == 1) mean = TensorPrimitives.Sum<float>(img) / (double)plane;
        else
        {
            double sum = 0;
            for (int i = 0; i < plane; i++) sum += 0.2989f * img[i] + 0.587f * img[plane + i] + 0.114f * img[2 * plane + i];
            mean = sum / plane;
        }
        float shift = (1 - factor) * (float)mean;
        TensorPrimitives.Multiply(img, factor, img);
        TensorPrimitives.Add(img, shift, img);
        TensorPrimitives.Clamp(img, 0f, 1f, img);
    }

    public override string ToString() => $"ColorJitter(brightness={Brightness}, contrast={Contrast})";
}
