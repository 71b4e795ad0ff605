namespace Striate.Data.Transforms;

/// <summary>
/// x * <see cref="Scale"/> + <see cref="Offset"/> for every value; the default scales byte values 0..255 to
/// [0, 1] (Keras' Rescaling, torchvision's ToTensor scaling).
/// </summary>
public sealed class Rescale : ImageTransform
{
    /// <exception cref="ArgumentOutOfRangeException">The scale is zero or either number is not finite.</exception>
    public Rescale(float scale = 1f / 255f, float offset = 0f)
    {
        if (!float.IsFinite(scale) || scale == 0)
            throw new ArgumentOutOfRangeException(nameof(scale), $"Rescale: scale must be a finite non-zero number, got {scale}.");
        if (!float.IsFinite(offset))
            throw new ArgumentOutOfRangeException(nameof(offset), $"Rescale: offset must be finite, got {offset}.");
        Scale = scale;
        Offset = offset;
    }

    public float Scale { get; }
    public float Offset { get; }

    public override void Apply(ReadOnlySpan<float> src, Span<float> dst, int channels, int height, int width, ulong sampleSeed)
    {
        TensorPrimitives.Multiply(src, Scale, dst);
        TensorPrimitives.Add(dst, Offset, dst);
    }

    public override string ToString() => $"Rescale(scale={Scale}, offset={Offset})";
}
