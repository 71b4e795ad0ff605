using Striate.Tensors;

namespace Striate.Data.Transforms;

/// <summary>
/// A random (or fixed) change to one CHW image, applied by the data loader as it assembles a batch. Its draws
/// come from a seed that depends only on (run seed, epoch, image index), so the result is the same whatever
/// the number of threads and whether the batch was prefetched.
/// </summary>
public abstract class ImageTransform
{
    /// <summary>
    /// Writes the transformed <paramref name="src"/> [C, H, W] into <paramref name="dst"/>, whose shape is
    /// <see cref="OutputShape"/> of the input's (the same shape for all but resizing transforms).
    /// </summary>
    public abstract void Apply(ReadOnlySpan<float> src, Span<float> dst, int channels, int height, int width, ulong sampleSeed);

    /// <summary>
    /// The shape of the output for an input [C, H, W]. The loader calls it when it is built, so a transform that
    /// cannot apply to the dataset's images (a crop larger than the image, a mean per channel for the wrong
    /// number of channels) fails there, with its reason, and not in the middle of an epoch.
    /// </summary>
    /// <exception cref="ArgumentException">The transform cannot apply to images of that shape.</exception>
    public virtual (int Channels, int Height, int Width) OutputShape(int channels, int height, int width) => (channels, height, width);

    /// <summary>The seed of image <paramref name="index"/> in epoch <paramref name="epoch"/> of a run seeded with <paramref name="seed"/>.</summary>
    public static ulong SampleSeed(ulong seed, int epoch, int index) =>
        new Generator(seed).Fork(0x7A2E_0000UL + (ulong)epoch).Fork((ulong)index).Seed;

    /// <summary>Uniform in [0, 1) from draw <paramref name="k"/> of a sample's stream.</summary>
    protected static float Draw(ulong sampleSeed, ulong k) => Generator.UniformAt(sampleSeed, k);

    /// <summary>Uniform in [<paramref name="low"/>, <paramref name="high"/>) from draw <paramref name="k"/> (double precision).</summary>
    protected static double Uniform(ulong sampleSeed, ulong k, double low, double high) =>
        low + (high - low) * (Generator.Bits(sampleSeed, k) >> 11) * (1.0 / (1UL << 53));

    /// <summary>An integer uniform in [0, <paramref name="maxExclusive"/>) from draw <paramref name="k"/>.</summary>
    protected static int DrawInt(ulong sampleSeed, ulong k, int maxExclusive) => Generator.IntAt(sampleSeed, k, maxExclusive);

    /// <summary>Throws the usual message for a (min, max) range whose ends are out of order or out of bounds.</summary>
    protected static void CheckRange(string owner, string name, double min, double max, double lowest = double.NegativeInfinity, double highest = double.PositiveInfinity)
    {
        if (double.IsNaN(min) || double.IsNaN(max) || min > max)
            throw new ArgumentException($"{owner}: {name} must be a range (min, max) with min <= max, got ({min}, {max}).", name);
        if (min < lowest || max > highest)
            throw new ArgumentOutOfRangeException(name, $"{owner}: {name} must lie within [{lowest}, {highest}], got ({min}, {max}).");
    }

    /// <summary>Throws the usual message for a probability outside [0, 1].</summary>
    protected static float CheckProbability(string owner, float p) =>
        p is >= 0 and <= 1 ? p : throw new ArgumentOutOfRangeException(nameof(p), $"{owner}: probability must be in [0, 1], got {p}.");
}
