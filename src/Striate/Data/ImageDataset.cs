namespace Striate.Data;

/// <summary>
/// Images held in memory as float32 CHW planes in [0, 1] (or normalised), with one class label each.
/// Immutable: normalising or splitting returns a new dataset.
/// </summary>
public sealed class ImageDataset
{
    private readonly float[] _pixels;

    private ImageDataset(float[] pixels, int[] labels, int channels, int height, int width, IReadOnlyList<string> classNames)
    {
        _pixels = pixels;
        Labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
        ClassNames = classNames;
    }

    /// <summary>The most values (images x channels x height x width) a dataset read from files may hold: 4 GB as floats.</summary>
    public const long MaxValues = 1L << 30;

    /// <summary>Refuses a dataset of more than <see cref="MaxValues"/> values before it is allocated.</summary>
    /// <exception cref="InvalidDataException">The dataset would be larger.</exception>
    public static void CheckSize(long count, int channels, int height, int width)
    {
        long values = count * channels * height * width;
        if (values > MaxValues)
            throw new InvalidDataException($"ImageDataset: {count:N0} images of {channels}x{height}x{width} are {values:N0} values; at most {MaxValues:N0} are held in memory.");
    }

    /// <summary>Bytes (0..255) of <paramref name="count"/> CHW images, scaled to [0, 1].</summary>
    /// <exception cref="ArgumentException">The sizes do not match the arrays or a label is out of range.</exception>
    public static ImageDataset FromBytes(ReadOnlySpan<byte> pixels, ReadOnlySpan<byte> labels, int count, int channels, int height, int width,
        IReadOnlyList<string> classNames)
    {
        if (count < 0 || channels < 1 || height < 1 || width < 1)
            throw new ArgumentException($"ImageDataset: invalid sizes {count} x {channels} x {height} x {width}.");
        if (pixels.Length != (long)count * channels * height * width)
            throw new ArgumentException($"ImageDataset: expected {count} x {channels} x {height} x {width} = {(long)count * channels * height * width} pixels, got {pixels.Length}.");
        if (labels.Length != count)
            throw new ArgumentException($"ImageDataset: expected {count} labels, got {labels.Length}.");
        CheckSize(count, channels, height, width);
        var f = new float[pixels.Length];
        for (int i = 0; i < f.Length; i++) f[i] = pixels[i] * (1f / 255f);
        var l = new int[count];
        for (int i = 0; i < count; i++)
        {
            l[i] = labels[i];
            if (l[i] >= classNames.Count)
                throw new ArgumentException($"ImageDataset: label {l[i]} of image {i} is out of range for {classNames.Count} classes.");
        }
        return new ImageDataset(f, l, channels, height, width, classNames);
    }

    /// <summary>Wraps float CHW images (not copied).</summary>
    public static ImageDataset FromFloats(float[] pixels, int[] labels, int channels, int height, int width, IReadOnlyList<string> classNames)
    {
        int count = labels.Length;
        if (pixels.Length != (long)count * channels * height * width)
            throw new ArgumentException($"ImageDataset: expected {count} x {channels} x {height} x {width} = {(long)count * channels * height * width} values, got {pixels.Length}.");
        foreach (int l in labels)
            if (l < 0 || l >= classNames.Count)
                throw new ArgumentException($"ImageDataset: label {l} is out of range for {classNames.Count} classes.");
        return new ImageDataset(pixels, labels, channels, height, width, classNames);
    }

    public int Count => Labels.Length;
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int ImageSize => Channels * Height * Width;
    public IReadOnlyList<string> ClassNames { get; }
    public int ClassCount => ClassNames.Count;

    /// <summary>The label of every image. Do not modify.</summary>
    public int[] Labels { get; }

    /// <summary>One image as CHW floats.</summary>
    public ReadOnlySpan<float> Image(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _pixels.AsSpan(index * ImageSize, ImageSize);
    }

    /// <summary>Per-channel mean and (population) standard deviation, computed in double.</summary>
    public (float[] Mean, float[] Std) ChannelStatistics()
    {
        var mean = new float[Channels];
        var std = new float[Channels];
        int plane = Height * Width;
        for (int c = 0; c < Channels; c++)
        {
            double s = 0, s2 = 0;
            for (int i = 0; i < Count; i++)
                foreach (float v in _pixels.AsSpan(i * ImageSize + c * plane, plane))
                {
                    s += v;
                    s2 += (double)v * v;
                }
            double n = (double)Count * plane;
            double m = s / n;
            mean[c] = (float)m;
            std[c] = (float)Math.Sqrt(Math.Max(s2 / n - m * m, 0));
        }
        return (mean, std);
    }

    /// <summary>A copy with (x - mean[c]) / std[c] applied per channel.</summary>
    /// <exception cref="ArgumentException">The arrays do not have one value per channel, or a std is not positive.</exception>
    public ImageDataset Normalize(float[] mean, float[] std)
    {
        if (mean.Length != Channels || std.Length != Channels)
            throw new ArgumentException($"Normalize: expected {Channels} means and standard deviations, got {mean.Length} and {std.Length}.");
        if (std.Any(s => !(s > 0)))
            throw new ArgumentException($"Normalize: standard deviations must be > 0, got [{string.Join(", ", std)}].");
        var p = new float[_pixels.Length];
        int plane = Height * Width;
        for (int i = 0; i < Count; i++)
            for (int c = 0; c < Channels; c++)
            {
                var src = _pixels.AsSpan(i * ImageSize + c * plane, plane);
                var dst = p.AsSpan(i * ImageSize + c * plane, plane);
                TensorPrimitives.Subtract(src, mean[c], dst);
                TensorPrimitives.Multiply(dst, 1f / std[c], dst);
            }
        return new ImageDataset(p, Labels, Channels, Height, Width, ClassNames);
    }

    /// <summary>
    /// A copy whose images have <paramref name="channels"/> channels (<see cref="Transforms.ConvertChannels"/>: gray
    /// repeated into RGB, or RGB to luma); this set when it already has them.
    /// </summary>
    /// <exception cref="ArgumentException">Channels other than 1 or 3, on either side.</exception>
    /// <exception cref="InvalidDataException">The copy would hold more than <see cref="MaxValues"/> values.</exception>
    public ImageDataset WithChannels(int channels)
    {
        if (channels == Channels) return this;
        var convert = new Transforms.ConvertChannels(channels is 1 or 3 ? channels : throw new ArgumentException($"WithChannels: expected 1 (gray) or 3 (RGB) channels, got {channels}."));
        convert.OutputShape(Channels, Height, Width);
        CheckSize(Count, channels, Height, Width);
        int size = channels * Height * Width;
        var p = new float[(long)Count * size];
        for (int i = 0; i < Count; i++) convert.Apply(Image(i), p.AsSpan(i * size, size), Channels, Height, Width, 0);
        return new ImageDataset(p, Labels, channels, Height, Width, ClassNames);
    }

    /// <summary>The images at <paramref name="indices"/>, in that order.</summary>
    public ImageDataset Subset(IReadOnlyList<int> indices)
    {
        var p = new float[indices.Count * ImageSize];
        var l = new int[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            Image(indices[i]).CopyTo(p.AsSpan(i * ImageSize, ImageSize));
            l[i] = Labels[indices[i]];
        }
        return new ImageDataset(p, l, Channels, Height, Width, ClassNames);
    }

    /// <summary>A seeded random split into a training part and a validation part of <paramref name="validationFraction"/>.</summary>
    public (ImageDataset Train, ImageDataset Validation) Split(double validationFraction, Tensors.Generator generator)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentException($"Split: the validation fraction must be in (0, 1), got {validationFraction}.");
        var perm = generator.Permutation(Count);
        int nVal = (int)Math.Round(Count * validationFraction);
        return (Subset(perm[nVal..]), Subset(perm[..nVal]));
    }
}
