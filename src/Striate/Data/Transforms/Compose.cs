namespace Striate.Data.Transforms;

/// <summary>Applies transforms in order; each draws from its own part of the sample's stream.</summary>
public sealed class Compose(params ImageTransform[] transforms) : ImageTransform
{
    public IReadOnlyList<ImageTransform> Transforms { get; } = transforms;

    public override void Apply(ReadOnlySpan<float> src, Span<float> dst, int channels, int height, int width, ulong sampleSeed)
    {
        if (Transforms.Count == 0)
        {
            src.CopyTo(dst);
            return;
        }
        float[] rented = System.Buffers.ArrayPool<float>.Shared.Rent(src.Length);
        var tmp = rented.AsSpan(0, src.Length);
        src.CopyTo(tmp);
        for (int i = 0; i < Transforms.Count; i++)
        {
            Transforms[i].Apply(tmp, dst, channels, height, width, new Tensors.Generator(sampleSeed).Fork((ulong)i).Seed);
            if (i + 1 < Transforms.Count) dst.CopyTo(tmp);
        }
        System.Buffers.ArrayPool<float>.Shared.Return(rented);
    }

    /// <summary>The transforms of a named augmentation: "none" or "standard" (random crop with padding 2 and horizontal flip).</summary>
    public static ImageTransform? Named(string name, float fill) => name switch
    {
        "none" => null,
        "standard" => new Compose(new RandomCrop(2, fill), new RandomHorizontalFlip()),
        _ => throw new ArgumentException($"Unknown augmentation '{name}'. Valid augmentations: none, standard."),
    };

    public override string ToString() => $"Compose({string.Join(", ", Transforms)})";
}
