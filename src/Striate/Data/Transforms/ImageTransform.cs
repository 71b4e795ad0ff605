using Striate.Tensors;

namespace Striate.Data.Transforms;

/// <summary>
/// A random (or fixed) change to one CHW image, applied by the data loader as it assembles a batch. Its draws
/// come from a seed that depends only on (run seed, epoch, image index), so the result is the same whatever
/// the number of threads and whether the batch was prefetched.
/// </summary>
public abstract class ImageTransform
{
    /// <summary>Writes the transformed <paramref name="src"/> [C, H, W] into <paramref name="dst"/> (same size).</summary>
    public abstract void Apply(ReadOnlySpan<float> src, Span<float> dst, int channels, int height, int width, ulong sampleSeed);

    /// <summary>The seed of image <paramref name="index"/> in epoch <paramref name="epoch"/> of a run seeded with <paramref name="seed"/>.</summary>
    public static ulong SampleSeed(ulong seed, int epoch, int index) =>
        new Generator(seed).Fork(0x7A2E_0000UL + (ulong)epoch).Fork((ulong)index).Seed;

    /// <summary>Uniform in [0, 1) from draw <paramref name="k"/> of a sample's stream.</summary>
    protected static float Draw(ulong sampleSeed, ulong k) => Generator.UniformAt(sampleSeed, k);
}
