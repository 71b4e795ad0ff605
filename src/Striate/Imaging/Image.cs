namespace Striate.Imaging;

/// <summary>
/// A picture as float CHW planes in [0, 1]: 1 channel (gray) or 3 (RGB). What the visualisations draw into and
/// what <see cref="ImageFile.SavePng(string, Image)"/> writes.
/// </summary>
public sealed class Image
{
    /// <summary>Wraps <paramref name="pixels"/> (not copied).</summary>
    /// <exception cref="ArgumentException">The channel count is not 1 or 3, or the pixel count does not match.</exception>
    public Image(float[] pixels, int channels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (channels is not (1 or 3)) throw new ArgumentException($"Image: channels must be 1 (gray) or 3 (RGB), got {channels}.");
        if (height < 1 || width < 1) throw new ArgumentException($"Image: the size must be positive, got {height}x{width}.");
        if (pixels.Length != channels * height * width)
            throw new ArgumentException($"Image: expected {channels}x{height}x{width} = {channels * height * width} values, got {pixels.Length}.");
        Pixels = pixels;
        Channels = channels;
        Height = height;
        Width = width;
    }

    /// <summary>A black image.</summary>
    public Image(int channels, int height, int width) : this(new float[Math.Max(channels * height * width, 0)], channels, height, width)
    {
    }

    /// <summary>The values, plane by plane (all of channel 0, then channel 1, ...).</summary>
    public float[] Pixels { get; }

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>Loads a PNG, JPEG or BMP file with <paramref name="channels"/> channels (1 gray, 3 RGB).</summary>
    public static Image Load(string path, int channels)
    {
        var (px, c, h, w) = ImageFile.Load(path, channels);
        return new Image(px, c, h, w);
    }

    /// <summary>Bilinear resize (half-pixel centres).</summary>
    public Image Resize(int height, int width) =>
        height == Height && width == Width ? this : new Image(ImageFile.Resize(Pixels, Channels, Height, Width, height, width), Channels, height, width);

    /// <summary>This image with 3 channels (gray repeated).</summary>
    public Image ToRgb()
    {
        if (Channels == 3) return this;
        int hw = Height * Width;
        var p = new float[3 * hw];
        for (int c = 0; c < 3; c++) Pixels.AsSpan().CopyTo(p.AsSpan(c * hw, hw));
        return new Image(p, 3, Height, Width);
    }

    /// <summary>This image with 1 channel (ITU-R BT.601 luma for RGB).</summary>
    public Image ToGray()
    {
        if (Channels == 1) return this;
        int hw = Height * Width;
        var p = new float[hw];
        for (int i = 0; i < hw; i++) p[i] = 0.299f * Pixels[i] + 0.587f * Pixels[hw + i] + 0.114f * Pixels[2 * hw + i];
        return new Image(p, 1, Height, Width);
    }

    /// <summary>Value of channel <paramref name="c"/> at row <paramref name="y"/>, column <paramref name="x"/>.</summary>
    public float this[int c, int y, int x]
    {
        get => Pixels[(c * Height + y) * Width + x];
        set => Pixels[(c * Height + y) * Width + x] = value;
    }

    /// <summary>Writes this image as a PNG (atomically; the folder is created when missing).</summary>
    public void SavePng(string path) => ImageFile.SavePng(path, this);

    public override string ToString() => $"Image({Channels}x{Height}x{Width})";
}
