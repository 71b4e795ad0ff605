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

    /// <summary>
    /// Any file may declare this many pixels (2048 x 2048); beyond it, at most <see cref="MaxPixelsPerByte"/> per byte of
    /// file. Real photographs hold a few pixels a byte and flat drawings a few dozen; a tiny file that declares a huge
    /// image is damaged or a decompression bomb, and decoding it would cost seconds and gigabytes.
    /// </summary>
    public const long FreePixels = 4L << 20;

    /// <summary>The most pixels a file may declare per byte of its size, beyond <see cref="FreePixels"/>.</summary>
    public const long MaxPixelsPerByte = 128;

    /// <summary>The most pixels a file of <paramref name="fileBytes"/> bytes may declare.</summary>
    public static long PixelBudget(long fileBytes) => Math.Min(MaxPixels, Math.Max(FreePixels, MaxPixelsPerByte * fileBytes));

    /// <summary>Loads an image with 1 (gray) or 3 (RGB) channels.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a decodable PNG, JPEG or BMP image, or is too large for its size.</exception>
    public static (float[] Pixels, int Channels, int Height, int Width) Load(string path, int channels)
    {
        if (channels is not (1 or 3))
            throw new ArgumentException($"ImageFile.Load: channels must be 1 (gray) or 3 (RGB), got {channels}.");
        if (Directory.Exists(path)) throw new InvalidDataException($"Image file '{path}' is a folder; give an image file.");
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"Image file '{path}' does not exist.", path);
        if (info.Length > MaxFileBytes)
            throw new InvalidDataException($"Image file '{path}' is {info.Length} bytes; the limit is {MaxFileBytes}.");
        byte[] bytes = File.ReadAllBytes(path);
        string kind = Kind(bytes);
        ImageResult img;
        try
        {
            var (w, h) = kind switch
            {
                "PNG" => CheckPngChunks(bytes, path),
                "JPEG" => CheckJpegSegments(bytes, path),
                _ => Probe(bytes, path),
            };
            long budget = PixelBudget(bytes.Length);
            if ((long)w * h > budget)
                throw new InvalidDataException((long)w * h > MaxPixels
                    ? $"Image file '{path}' is {w}x{h} pixels; the limit is {MaxPixels} pixels."
                    : $"Image file '{path}' declares {w}x{h} pixels in {bytes.Length} bytes; a file of that size may declare at most {budget} " +
                      $"({MaxPixelsPerByte} pixels a byte, {FreePixels} for any file): it is damaged, or a decompression bomb.");
            img = ImageResult.FromMemory(bytes, channels == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
        }
        catch (OutOfMemoryException)
        {
            throw new InvalidDataException($"Image file '{path}' needs more memory to decode than this process has; it is damaged or too large.");
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            // The decoder reports malformed input with assorted exception types (and sometimes no message); callers see one.
            string reason = string.IsNullOrWhiteSpace(e.Message) ? $"the decoder stopped ({e.GetType().Name}) without saying why" : e.Message.Trim();
            throw new InvalidDataException($"Image file '{path}' could not be decoded as {(kind.Length > 0 ? kind : "PNG, JPEG or BMP")}: {reason}");
        }
        int hw = img.Width * img.Height;
        var pixels = new float[channels * hw];
        // stb gives interleaved HWC bytes; the tensors are planar CHW.
        for (int i = 0; i < hw; i++)
            for (int c = 0; c < channels; c++)
                pixels[c * hw + i] = img.Data[i * channels + c] * (1f / 255f);
        return (pixels, channels, img.Height, img.Width);
    }

    // The format a file's first bytes announce: "PNG", "JPEG", "BMP", or "" for none of them.
    private static string Kind(ReadOnlySpan<byte> b) =>
        b.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]) ? "PNG"
        : b.Length >= 2 && b[0] == 0xFF && b[1] == 0xD8 ? "JPEG"
        : b.Length >= 2 && b[0] == (byte)'B' && b[1] == (byte)'M' ? "BMP"
        : "";

    /// <summary>
    /// Walks a PNG's chunks (length, type, data, CRC) from the signature to IEND, checking that each lies inside the
    /// file, that IHDR comes first with a size of at least 1x1, and that image data is present; returns the size IHDR
    /// declares. The decoder would allocate what a damaged chunk length says (two gigabytes) before failing.
    /// </summary>
    private static (int W, int H) CheckPngChunks(byte[] bytes, string path)
    {
        int i = 8, width = 0, height = 0;
        bool data = false;
        while (true)
        {
            if (i + 12 > bytes.Length)
                throw new InvalidDataException($"Image file '{path}' is a truncated PNG: it ends at byte {bytes.Length} before its IEND chunk.");
            uint length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(i));
            // The chunk's type as its four letters, or as hexadecimal when they are not letters (a damaged chunk).
            var typeBytes = bytes.AsSpan(i + 4, 4);
            string type = typeBytes.ToArray().All(b => char.IsAsciiLetter((char)b)) ? System.Text.Encoding.ASCII.GetString(typeBytes) : "0x" + Convert.ToHexString(typeBytes);
            if (length > int.MaxValue || i + 12L + length > bytes.Length)
                throw new InvalidDataException($"Image file '{path}' is a truncated PNG: chunk '{type}' at byte {i} declares {length} bytes, {bytes.Length - i - 12} remain.");
            if (i == 8)
            {
                if (type != "IHDR" || length != 13)
                    throw new InvalidDataException($"Image file '{path}' is not a valid PNG: expected the 13-byte IHDR chunk first, found '{type}' of {length} bytes.");
                uint w = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(i + 8)), h = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(i + 12));
                if (w < 1 || h < 1 || w > int.MaxValue || h > int.MaxValue)
                    throw new InvalidDataException($"Image file '{path}' declares an image of {w}x{h} pixels.");
                (width, height) = ((int)w, (int)h);
            }
            if (type == "IDAT") data = true;
            if (type == "IEND")
            {
                if (!data) throw new InvalidDataException($"Image file '{path}' is not a valid PNG: it has no image data (IDAT) before IEND.");
                return (width, height);
            }
            i += 12 + (int)length;
        }
    }

    /// <summary>
    /// Walks a JPEG's marker segments up to the start of the scan, checking that each lies inside the file and that a
    /// frame header comes first. The decoder does not stop on some truncated files (it kept reading past the end of a
    /// seven-byte header), so a file it would not finish is refused here with its offset.
    /// </summary>
    private static (int W, int H) CheckJpegSegments(byte[] bytes, string path)
    {
        int i = 2, width = 0, height = 0;
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
            if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC))
            {
                if (length < 8)
                    throw new InvalidDataException($"Image file '{path}' is not a valid JPEG: the frame header at byte {i} is {length} bytes, shorter than its fields.");
                height = (bytes[i + 5] << 8) | bytes[i + 6];
                width = (bytes[i + 7] << 8) | bytes[i + 8];
                if (width < 1 || height < 1)
                    throw new InvalidDataException($"Image file '{path}' declares an image of {width}x{height} pixels.");
                frame = true;
            }
            if (marker == 0xDA)
            {
                if (!frame)
                    throw new InvalidDataException($"Image file '{path}' is not a valid JPEG: the scan at byte {i} comes before any frame header.");
                if (i + 2 + length >= bytes.Length)
                    throw new InvalidDataException($"Image file '{path}' is a truncated JPEG: no image data follows the scan header at byte {i}.");
                // The decoder fills a scan cut short with grey; a file without its end-of-image marker is refused instead.
                if (bytes.AsSpan(i + 2 + length).IndexOf([(byte)0xFF, (byte)0xD9]) < 0)
                    throw new InvalidDataException($"Image file '{path}' is a truncated JPEG: the image data after byte {i + 2 + length} has no end-of-image marker.");
                return (width, height);
            }
            i += 2 + length;
        }
    }

    private static (int W, int H) Probe(byte[] bytes, string path)
    {
        using var ms = new MemoryStream(bytes, writable: false);
        var info = ImageInfo.FromStream(ms) ?? throw new InvalidDataException($"Image file '{path}' is not a PNG, JPEG or BMP image.");
        bool bmp = Kind(bytes) == "BMP";
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
