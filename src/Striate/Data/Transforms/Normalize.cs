namespace Striate.Data.Transforms;

/// <summary>
/// (x - mean[c]) / std[c] per channel (torchvision's Normalize), with the statistics usually taken from the
/// training set: <c>new Normalize(train.ChannelStatistics())</c>.
/// </summary>
public sealed class Normalize : ImageTransform
{
    private readonly float[] _mean, _std;

    /// <exception cref="ArgumentException">The arrays are empty or of different lengths, or a std is not positive and finite.</exception>
    public Normalize(float[] mean, float[] std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Length == 0 || mean.Length != std.Length)
            throw new ArgumentException($"Normalize: expected one mean and one standard deviation per channel, got {mean.Length} and {std.Length}.");
        if (std.Any(s => !(s > 0) || !float.IsFinite(s)))
            throw new ArgumentException($"Normalize: standard deviations must be > 0 and finite, got [{string.Join(", ", std)}].", nameof(std));
        if (mean.Any(m => !float.IsFinite(m)))
            throw new ArgumentException($"Normalize: means must be finite, got [{string.Join(", ", mean)}].", nameof(mean));
        _mean = (float[])mean.Clone();
        _std = (float[])std.Clone();
    }

    /// <summary>From <see cref="ImageDataset.ChannelStatistics"/>.</summary>
    public Normalize((float[] Mean, float[] Std) statistics) : this(statistics.Mean, statistics.Std) { }

    public IReadOnlyList<float> Mean => _mean;
    public IReadOnlyList<float> Std => _std;

    public override (int Channels, int Height, int Width) OutputShape(int channels, int height, int width) =>
        channels == _mean.Length ? (channels, height, width)
            : throw new ArgumentException($"Normalize: has statistics for {_mean.Length} channels, but the images have {channels}.");

    public override void Apply(ReadOnlySpan<float> src, Span<float> dst, int channels, int height, int width, ulong sampleSeed)
    {
        OutputShape(channels, height, width);
        int plane = height * width;
        for (int c = 0; c < channels; c++)
        {
            var d = dst.Slice(c * plane, plane);
            TensorPrimitives.Subtract(src.Slice(c * plane, plane), _mean[c], d);
            TensorPrimitives.Multiply(d, 1f / _std[c], d);
        }
    }

    public override string ToString() => $"Normalize(mean=[{string.Join(", ", _mean)}], std=[{string.Join(", ", _std)}])";
}
