using System.Buffers;

namespace Striate.Data.Transforms;

/// <summary>Applies transforms in order; each draws from its own part of the sample's stream.</summary>
public sealed class Compose(params ImageTransform[] transforms) : ImageTransform
{
    public IReadOnlyList<ImageTransform> Transforms { get; } = transforms;

    /// <summary>The shape after every transform in turn; the first that cannot apply throws.</summary>
    public override (int Channels, int Height, int Width) OutputShape(int channels, int height, int width)
    {
        var shape = (channels, height, width);
        foreach (var t in Transforms) shape = t.OutputShape(shape.channels, shape.height, shape.width);
        return shape;
    }

    public override void Apply(ReadOnlySpan<float> src, Span<float> dst, int channels, int height, int width, ulong sampleSeed)
    {
        if (Transforms.Count == 0)
        {
            src.CopyTo(dst);
            return;
        }
        // Intermediate images may be larger than both ends (a resize up, then a crop).
        int largest = src.Length;
        var shape = (C: channels, H: height, W: width);
        foreach (var t in Transforms)
        {
            shape = t.OutputShape(shape.C, shape.H, shape.W);
            largest = Math.Max(largest, shape.C * shape.H * shape.W);
        }
        float[] a = ArrayPool<float>.Shared.Rent(largest), b = ArrayPool<float>.Shared.Rent(largest);
        try
        {
            shape = (channels, height, width);
            for (int i = 0; i < Transforms.Count; i++)
            {
                var next = Transforms[i].OutputShape(shape.C, shape.H, shape.W);
                int n = next.Channels * next.Height * next.Width;
                var input = i == 0 ? src : a.AsSpan(0, shape.C * shape.H * shape.W);
                var output = i + 1 < Transforms.Count ? b.AsSpan(0, n) : dst;
                Transforms[i].Apply(input, output, shape.C, shape.H, shape.W, new Tensors.Generator(sampleSeed).Fork((ulong)i).Seed);
                (a, b) = (b, a);
                shape = next;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(a);
            ArrayPool<float>.Shared.Return(b);
        }
    }

    /// <summary>Names accepted by <see cref="Named"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["none", "standard", "strong", "flip"];

    /// <summary>
    /// The transforms of a named augmentation for normalised images whose black is <paramref name="fill"/>:
    /// "none"; "flip" (horizontal flip with p = 0.5 only, no shift); "standard" (random crop with padding 2 and horizontal flip); "strong" (standard, then a random
    /// rotation within +-10 degrees and random erasing with p = 0.25, value 0, the dataset mean).
    /// </summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Names"/>.</exception>
    public static ImageTransform? Named(string name, float fill) => name switch
    {
        "none" => null,
        "flip" => new Compose(new RandomHorizontalFlip()),
        "standard" => new Compose(new RandomCrop(2, fill), new RandomHorizontalFlip()),
        "strong" => new Compose(new RandomCrop(2, fill), new RandomHorizontalFlip(), new RandomRotation(-10, 10, fill), new RandomErasing(0.25f)),
        _ => throw new ArgumentException($"Unknown augmentation '{name}'. Valid augmentations: {string.Join(", ", Names)}."),
    };

    public override string ToString() => $"Compose({string.Join(", ", Transforms)})";
}
