namespace Striate.Data.Transforms;

/// <summary>
/// Gives every image <see cref="Channels"/> channels: a gray image is repeated into red, green and blue (as
/// torchvision's <c>Grayscale(num_output_channels=3)</c> of a gray picture); an RGB image becomes its ITU-R BT.601
/// luma (0.299 R + 0.587 G + 0.114 B, torchvision's <c>Grayscale()</c>). Images that already have the channels pass
/// unchanged. Repeating commutes with per-channel normalisation when the channels share their statistics.
/// </summary>
public sealed class ConvertChannels : ImageTransform
{
    /// <exception cref="ArgumentOutOfRangeException">Channels other than 1 or 3.</exception>
    public ConvertChannels(int channels)
    {
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), $"ConvertChannels: expected 1 (gray) or 3 (RGB) channels, got {channels}.");
        Channels = channels;
    }

    public int Channels { get; }

    public override (int Channels, int Height, int Width) OutputShape(int channels, int height, int width)
    {
        if (channels is not (1 or 3)) throw new ArgumentException($"ConvertChannels: expected gray (1) or RGB (3) images, got {channels} channels.");
        return (Channels, height, width);
    }

    public override void Apply(ReadOnlySpan<float> src, Span<float> dst, int channels, int height, int width, ulong sampleSeed)
    {
        int hw = height * width;
        if (channels == Channels)
            src[..(channels * hw)].CopyTo(dst);
        else if (Channels == 3)
            for (int c = 0; c < 3; c++) src[..hw].CopyTo(dst.Slice(c * hw, hw));
        else
            for (int i = 0; i < hw; i++) dst[i] = 0.299f * src[i] + 0.587f * src[hw + i] + 0.114f * src[2 * hw + i];
    }

    public override string ToString() => $"ConvertChannels({Channels})";
}
