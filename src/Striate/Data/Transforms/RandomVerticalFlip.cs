namespace Striate.Data.Transforms;

/// <summary>Mirrors the image top to bottom with probability <see cref="P"/>.</summary>
public sealed class RandomVerticalFlip(float p = 0.5f) : ImageTransform
{
    public float P { get; } = CheckProbability(nameof(RandomVerticalFlip), p);

    public override void Apply(ReadOnlySpan<float> src, Span<float> dst, int channels, int height, int width, ulong sampleSeed)
    {
        if (Draw(sampleSeed, 0) >= P)
        {
            src.CopyTo(dst);
            return;
        }
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < height; y++)
                src.Slice((c * height + height - 1 - y) * width, width).CopyTo(dst.Slice((c * height + y) * width, width));
    }

    public override string ToString() => $"RandomVerticalFlip(p={P})";
}
