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
        for (int r = 0; r < channels * height; r++)
        {
            var s = src.Slice(r * width, width);
            var d = dst.Slice(r * width, width);
            for (int x = 0; x < width; x++) d[x] = s[width - 1 - x];
        }
    }

    public override string ToString() => $"RandomHorizontalFlip(p={P})";
}
