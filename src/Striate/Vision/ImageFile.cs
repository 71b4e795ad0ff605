using StbImageSharp;

namespace Striate.Vision;

/// <summary>
/// Loads PNG, JPEG and BMP files (decoded in managed code) as float CHW planes in [0, 1], and resizes them
/// bilinearly.
/// </summary>
public static partial class ImageFile
{
    /// <summary>Files larger than this are refused before decoding.</summary>
    public const long MaxFileBytes = 256L << 20;

    /// <summary>Decoded images with more pixels than this are refused.</summary>
    public const long MaxPixels = 64L << 20;

    /// <summary>Loads an image with 1 (gray) or 3 (RGB) channels.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a decodable PNG, JPEG or BMP image, or is too large.</exception>
    public static (float[] Pixels, int Channels, int Height, int Width) Load(string path, int channels)
    {
        if (channels is not (1 or 3))
            throw new ArgumentException($"ImageFile.Load: channels must be 1 (gray) or 3 (RGB), got {channels}.");
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"Image file '{path}' does not exist.", path);
        if (info.Length > MaxFileBytes)
            throw new InvalidDataException($"Image file '{path}' is {info.Length} bytes; the limit is {MaxFileBytes}.");
        byte[] bytes = File.ReadAllBytes(path);
        ImageResult img;
        try
        {
            var (w, h) = Probe(bytes, path);
            if ((long)w * h > MaxPixels)
                throw new InvalidDataException($"Image file '{path}' is {w}x{h} pixels; the limit is {MaxPixels} pixels.");
            img = ImageResult.FromMemory(bytes, channels == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
        }
        catch (Exception e) when (e is not InvalidDataException and not OutOfMemoryException)
        {
            // The decoder reports malformed input with assorted exception types; callers see one.
            throw new InvalidDataException($"Image file '{path}' could not be decoded as PNG, JPEG or BMP: {e.Message}");
        }
        int hw = img.Width * img.Height;
        var pixels = new float[channels * hw];
        // stb gives interleaved HWC bytes; the tensors are planar CHW.
        for (int i = 0; i < hw; i++)
            for (int c = 0; c < channels; c++)
                pixels[c * hw + i] = img.Data[i * channels + c] * (1f / 255f);
        return (pixels, channels, img.Height, img.Width);
    }

    private static (int W, int H) Probe(byte[] bytes, string path)
    {
        using var ms = new MemoryStream(bytes, writable: false);
        var info = ImageInfo.FromStream(ms) ?? throw new InvalidDataException($"Image file '{path}' is not a PNG, JPEG or BMP image.");
        if (info.Width < 1 || info.Height < 1)
            throw new InvalidDataException($"Image file '{path}' declares an empty image ({info.Width}x{info.Height}).");
        return (info.Width, info.Height);
    }

    // src: [C, H, W] -> dst: [C, outH, outW], bilinear with half-pixel centres (align_corners=False).
    public static float[] Resize(ReadOnlySpan<float> src, int channels, int height, int width, int outHeight, int outWidth)
    {
        if (outHeight < 1 || outWidth < 1)
            throw new ArgumentException($"Resize: output size must be positive, got {outHeight}x{outWidth}.");
        var dst = new float[channels * outHeight * outWidth];
        Data.Transforms.Bilinear.ResizeBox(src, channels, height, width, 0, 0, height, width, dst, outHeight, outWidth);
        return dst;
    }
}
