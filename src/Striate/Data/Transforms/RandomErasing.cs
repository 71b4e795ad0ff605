namespace Striate.Data.Transforms;

/// <summary>
/// With probability <see cref="P"/>, sets a random rectangle of every channel to <see cref="Value"/>
/// (torchvision's RandomErasing, Zhong et al. 2017, "Random Erasing Data Augmentation"). The rectangle covers a
/// fraction of the image area drawn from <see cref="Scale"/> with an aspect ratio (height / width) drawn
/// log-uniformly from <see cref="Ratio"/>; a draw that does not fit strictly inside the image is redrawn, and
/// after 10 such draws the image is left unchanged. Usually applied after <see cref="Normalize"/>, where the
/// default value 0 is the dataset mean.
/// </summary>
public sealed class RandomErasing : ImageTransform
{
    /// <summary>Draws of a rectangle before giving up (torchvision's value).</summary>
    public const int Attempts = 10;

    /// <exception cref="ArgumentException">p is outside [0, 1], a range has min &gt; max, the scale is outside [0, 1] or a ratio is not positive.</exception>
    public RandomErasing(float p = 0.5f, (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null, float value = 0f)
    {
        P = CheckProbability(nameof(RandomErasing), p);
        Scale = scale ?? (0.02, 0.33);
        Ratio = ratio ?? (0.3, 3.3);
        CheckRange(nameof(RandomErasing), "scale", Scale.Min, Scale.Max, 0, 1);
        CheckRange(nameof(RandomErasing), "ratio", Ratio.Min, Ratio.Max);
        if (!(Ratio.Min > 0)) throw new ArgumentOutOfRangeException(nameof(ratio), $"RandomErasing: ratio must be > 0, got ({Ratio.Min}, {Ratio.Max}).");
        if (!float.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), $"RandomErasing: value must be finite, got {value}.");
        Value = value;
    }

    public float P { get; }

    /// <summary>Range of the rectangle's area as a fraction of the image's.</summary>
    public (double Min, double Max) Scale { get; }

    /// <summary>Range of the rectangle's height / width.</summary>
    public (double Min, double Max) Ratio { get; }

    public float Value { get; }

    /// <summary>The rectangle (top, left, height, width) that <paramref name="sampleSeed"/> erases, or null for none.</summary>
    public (int Top, int Left, int Height, int Width)? Box(int height, int width, ulong sampleSeed)
    {
        if (Draw(sampleSeed, 0) >= P) return null;
        double area = (double)height * width;
        double logMin = Math.Log(Ratio.Min), logMax = Math.Log(Ratio.Max);
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            ulong k = 1 + (ulong)attempt * 4;
            double target = area * Uniform(sampleSeed, k, Scale.Min, Scale.Max);
            double aspect = Math.Exp(Uniform(sampleSeed, k + 1, logMin, logMax));
            int h = (int)Math.Round(Math.Sqrt(target * aspect));
            int w = (int)Math.Round(Math.Sqrt(target / aspect));
            if (!(h < height && w < width)) continue;
            return (DrawInt(sampleSeed, k + 2, height - h + 1), DrawInt(sampleSeed, k + 3, width - w + 1), h, w);
        }
        return null;
    }

    public override void Apply(ReadOnlySpan<float> src, Span<float> dst, int channels, int height, int width, ulong sampleSeed)
    {
        src.CopyTo(dst);
        if (Box(height, width, sampleSeed) is not var (top, left, h, w)) return;
        for (int c = 0; c < channels; c++)
            for (int y = top; y < top + h; y++)
                dst.Slice((c * height + y) * width + left, w).Fill(Value);
    }

    public override string ToString() => $"RandomErasing(p={P}, scale=({Scale.Min}, {Scale.Max}), ratio=({Ratio.Min}, {Ratio.Max}), value={Value})";
}
