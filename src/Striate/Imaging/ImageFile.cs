using StbImageSharp;

namespace Striate.Imaging;

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
            if (bytes.Length >= 2 && bytes[0] == 0xFF && bytes[1] == 0xD8) CheckJpegSegments(bytes, path);
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

    /// <summary>
    /// Walks a JPEG's marker segments up to the start of the scan, checking that each lies inside the file and that a
    /// frame header comes first. The decoder does not stop on some truncated files (it kept reading past the end of a
    /// seven-byte header), so a file it would not finish is refused here with its offset.
    /// </summary>
    private static void CheckJpegSegments(byte[] bytes, string path)
    {
        int i = 2;
        bool frame = false;
        while (true)
        {
            if (i + 2 > bytes.Length)
                throw new InvalidDataException($"Image file '{path}' is a truncated JPEG: it ends at byte {bytes.Length} before the image data.");
            if (bytes[i] != 0xFF)
                throw new InvalidDataException($"Image file '{path}' is not a valid JPEG: expected a marker at byte {i}, found 0x{bytes[i]:X2}.");
            byte marker = bytes[i + 1];
            if (marker == 0xFF)
            {
                i++;
                continue;
            }
            if (marker is 0x01 or (>= 0xD0 and <= 0xD8))
            {
                i += 2;
                continue;
            }
            if (marker == 0xD9)
                throw new InvalidDataException($"Image file '{path}' is not a valid JPEG: it ends (byte {i}) before any image data.");
            if (i + 4 > bytes.Length)
                throw new InvalidDataException($"Image file '{path}' is a truncated JPEG: the segment at byte {i} has no length.");
            int length = (bytes[i + 2] << 8) | bytes[i + 3];
            if (length < 2 || (long)i + 2 + length > bytes.Length)
                throw new InvalidDataException($"Image file '{path}' is a truncated JPEG: the segment at byte {i} needs {length} bytes, {bytes.Length - i - 2} remain.");
            if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC)) frame = true;
            if (marker == 0xDA)
            {
                if (!frame)
                    throw new InvalidDataException($"Image file '{path}' is not a valid JPEG: the scan at byte {i} comes before any frame header.");
                if (i + 2 + length >= bytes.Length)
                    throw new InvalidDataException($"Image file '{path}' is a truncated JPEG: no image data follows the scan header at byte {i}.");
                // The decoder fills a scan cut short with grey; a file without its end-of-image marker is refused instead.
                if (bytes.AsSpan(i + 2 + length).IndexOf([(byte)0xFF, (byte)0xD9]) < 0)
                    throw new InvalidDataException($"Image file '{path}' is a truncated JPEG: the image data after byte {i + 2 + length} has no end-of-image marker.");
                return;
            }
            i += 2 + length;
        }
    }

    private static (int W, int H) Probe(byte[] bytes, string path)
    {
        using var ms = new MemoryStream(bytes, writable: false);
        var info = ImageInfo.FromStream(ms) ?? throw new InvalidDataException($"Image file '{path}' is not a PNG, JPEG or BMP image.");
        bool bmp = bytes.Length >= 2 && bytes[0] == (byte)'B' && bytes[1] == (byte)'M';
        // A BMP with a negative height stores its rows top-down.
        int height = bmp && info.Height < 0 && info.Height != int.MinValue ? -info.Height : info.Height;
        if (info.Width < 1 || height < 1)
            throw new InvalidDataException($"Image file '{path}' declares an empty image ({info.Width}x{info.Height}).");
        if (bmp) CheckBmpPixels(bytes, path, info.Width, height);
        return (info.Width, height);
    }

    /// <summary>
    /// An uncompressed BMP must hold every row it declares: the decoder would read a short file as black rows. The
    /// header fields are read at their fixed offsets (BITMAPFILEHEADER, then BITMAPINFOHEADER or a later version).
    /// </summary>
    private static void CheckBmpPixels(byte[] bytes, string path, int width, int height)
    {
        if (bytes.Length < 34) throw new InvalidDataException($"Image file '{path}' is a truncated BMP: {bytes.Length} bytes, shorter than its headers.");
        uint offset = BitConverter.ToUInt32(bytes, 10);
        int bits = BitConverter.ToUInt16(bytes, 28);
        uint compression = BitConverter.ToUInt32(bytes, 30);
        if (compression is not (0 or 3 or 6)) return; // run-length encoded: no fixed size to check
        long rowBytes = ((long)bits * width + 31) / 32 * 4;
        long needed = offset + rowBytes * height;
        if (needed > bytes.Length)
            throw new InvalidDataException($"Image file '{path}' is a truncated BMP: {width}x{height} pixels at {bits} bits need {needed} bytes, the file has {bytes.Length}.");
    }

    // src: [C, H, W] -> dst: [C, outH, outW], bilinear with half-pixel centres (align_corners=False).
    public static float[] Resize(ReadOnlySpan<float> src, int channels, int height, int width, int outHeight, int outWidth)
    {
        if (outHeight < 1 || outWidth < 1)
            throw new ArgumentException($"Resize: output size must be positive, got {outHeight}x{outWidth}.");
        var dst = new float[channels * outHeight * outWidth];
        Bilinear.ResizeBox(src, channels, height, width, 0, 0, height, width, dst, outHeight, outWidth);
        return dst;
    }
}
