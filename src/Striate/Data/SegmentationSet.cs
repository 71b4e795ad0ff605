using Striate.Tensors;

namespace Striate.Data;

/// <summary>
/// Images of one size with a class for every pixel: the data of a segmentation model. Drawn as seeded scenes
/// (<see cref="SegmentationScenes.Generate"/>) or read from a folder of images and masks (<see cref="SegmentationFolder"/>).
/// </summary>
public sealed class SegmentationSet
{
    private readonly float[] _images;
    private readonly int[] _masks;

    /// <summary>
    /// A set over <paramref name="images"/> (count x channels x height x width values in [0, 1]) and
    /// <paramref name="masks"/> (count x height x width classes, each below the number of class names).
    /// </summary>
    /// <exception cref="ArgumentException">The sizes do not fit the arrays, fewer than two classes are named, or a mask holds a class out of range.</exception>
    public SegmentationSet(float[] images, int[] masks, int count, int channels, int height, int width, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(masks);
        ArgumentNullException.ThrowIfNull(classNames);
        if (count < 1 || channels < 1 || height < 1 || width < 1 || images.LongLength != (long)count * channels * height * width || masks.LongLength != (long)count * height * width)
            throw new ArgumentException($"segmentation set: {count} images of {channels}x{height}x{width} need {(long)count * channels * height * width} values and {(long)count * height * width} mask pixels; got {images.LongLength} and {masks.LongLength}.");
        if (classNames.Count < 2) throw new ArgumentException($"segmentation set: expected at least 2 classes (the background and one more), got {classNames.Count}.");
        for (int i = 0; i < masks.Length; i++)
            if ((uint)masks[i] >= (uint)classNames.Count)
                throw new ArgumentException($"segmentation set: mask pixel {i % (height * width)} of image {i / (height * width)} holds class {masks[i]}; the classes run from 0 to {classNames.Count - 1}.");
        _images = images;
        _masks = masks;
        Count = count;
        Channels = channels;
        Height = height;
        Width = width;
        ClassNames = classNames;
    }

    public int Count { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>The classes' names; class 0 is usually the background.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    public int ClassCount => ClassNames.Count;

    /// <summary>Image <paramref name="index"/>'s pixels, Channels x Height x Width.</summary>
    public ReadOnlySpan<float> Image(int index) => _images.AsSpan(index * Channels * Height * Width, Channels * Height * Width);

    /// <summary>Image <paramref name="index"/>'s classes, one per pixel (Height x Width).</summary>
    public ReadOnlySpan<int> Mask(int index) => _masks.AsSpan(index * Height * Width, Height * Width);

    /// <summary>Images [B, Channels, Height, Width] and their masks (B*Height*Width, in batch, row, column order) for <paramref name="indices"/>.</summary>
    public (Tensor Images, int[] Masks) Batch(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int area = Height * Width, size = Channels * area;
        var x = new float[indices.Count * size];
        var y = new int[indices.Count * area];
        for (int i = 0; i < indices.Count; i++)
        {
            if (indices[i] < 0 || indices[i] >= Count) throw new ArgumentOutOfRangeException(nameof(indices), $"image {indices[i]} is not one of the set's {Count}.");
            Image(indices[i]).CopyTo(x.AsSpan(i * size, size));
            Mask(indices[i]).CopyTo(y.AsSpan(i * area, area));
        }
        return (Tensor.FromArray(x, indices.Count, Channels, Height, Width), y);
    }
}
