using StbImageWriteSharp;

namespace Striate.Imaging;

public static partial class ImageFile
{
    /// <summary>
    /// Writes float CHW planes (1 channel: gray, 3: RGB) as an 8-bit PNG, values clamped to [0, 1] (NaN is black).
    /// The folder is created when missing; the file is written to a temporary name in the same folder and renamed
    /// over the target, so a reader never sees half a file.
    /// </summary>
    /// <exception cref="ArgumentException">The channel count is not 1 or 3, or the pixel count does not match.</exception>
    /// <exception cref="IOException">The folder cannot be created or the file cannot be written.</exception>
    public static void SavePng(string path, ReadOnlySpan<float> pixels, int channels, int height, int width)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        IO.AtomicFile.WriteAllBytes(path, EncodePng(pixels, channels, height, width));
    }

    /// <summary>Writes <paramref name="image"/> as a PNG; see <see cref="SavePng(string, ReadOnlySpan{float}, int, int, int)"/>.</summary>
    public static void SavePng(string path, Image image) => SavePng(path, image.Pixels, image.Channels, image.Height, image.Width);

    /// <summary>Encodes float CHW planes (1 or 3 channels, values in [0, 1]) as PNG bytes in memory.</summary>
    /// <exception cref="ArgumentException">The channel count is not 1 or 3, or the pixel count does not match.</exception>
    public static byte[] EncodePng(ReadOnlySpan<float> pixels, int channels, int height, int width)
    {
        if (channels is not (1 or 3))
            throw new ArgumentException($"ImageFile.SavePng: channels must be 1 (gray) or 3 (RGB), got {channels}.");
        if (height < 1 || width < 1)
            throw new ArgumentException($"ImageFile.SavePng: the image must not be empty, got {height}x{width}.");
        if (pixels.Length != channels * height * width)
            throw new ArgumentException($"ImageFile.SavePng: expected {channels}x{height}x{width} = {channels * height * width} values, got {pixels.Length}.");
        int hw = height * width;
        var bytes = new byte[channels * hw];
        // CHW floats -> interleaved HWC bytes, rounded to nearest.
        for (int c = 0; c < channels; c++)
            for (int i = 0; i < hw; i++)
            {
                float v = pixels[c * hw + i];
                bytes[i * channels + c] = float.IsNaN(v) ? (byte)0 : (byte)Math.Clamp((int)MathF.Round(v * 255f), 0, 255);
            }
        using var ms = new MemoryStream();
        new ImageWriter().WritePng(bytes, width, height, channels == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue, ms);
        return ms.ToArray();
    }

    /// <summary>Encodes <paramref name="image"/> as PNG bytes in memory (for data URIs).</summary>
    public static byte[] EncodePng(Image image) => EncodePng(image.Pixels, image.Channels, image.Height, image.Width);
}
