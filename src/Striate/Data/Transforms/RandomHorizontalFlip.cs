namespace Striate.Data.Transforms;

/// <summary>Mirrors the image left to right with probability <see cref="P"/>.</summary>
public sealed class RandomHorizontalFlip(float p = 0.5f) : ImageTransform
{
    public float P { get; } = p is >= 0 and <= 1 ? p : throw new ArgumentOutOfRangeException(nameof(p), $"RandomHorizontalFlip: probability must be in [0, 1], got {p}.");

    public override void Apply(ReadOnlySpan<float> src, Span<float> dst, int channels, int height, int width, ulong sampleSeed)
    {
        if (Draw(sampleSeed, 0) >= P)
        {
            src.CopyTo(dst);
            return;
        }
        src.CopyTo(dst);
        for (int r = 0; r < channels * height; r++) dst.Slice(r * width, width).Reverse();
    }

    public override string ToString() => $"RandomHorizontalFlip(p={P})";
}
