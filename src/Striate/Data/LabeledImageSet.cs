namespace Striate.Data;

/// <summary>
/// A set of equally sized single-channel 8-bit images with one class label each, as plain arrays.
/// </summary>
public sealed class LabeledImageSet
{
    /// <summary>Creates a set from its parts; the arrays are kept, not copied.</summary>
    /// <param name="images">The pixels: <paramref name="count"/> x <paramref name="height"/> x <paramref name="width"/> bytes, row-major.</param>
    /// <param name="labels">One label per image, each below <paramref name="classCount"/>.</param>
    /// <param name="count">The number of images (may be 0).</param>
    /// <param name="height">The height of every image in pixels (positive).</param>
    /// <param name="width">The width of every image in pixels (positive).</param>
    /// <param name="classCount">The number of classes (1 to 256).</param>
    /// <exception cref="ArgumentNullException"><paramref name="images"/> or <paramref name="labels"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    /// <exception cref="ArgumentException">An array length does not match the sizes, or a label is not below
    /// <paramref name="classCount"/>.</exception>
    public LabeledImageSet(byte[] images, byte[] labels, int count, int height, int width, int classCount)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classCount, 256);
        if (images.LongLength != (long)count * height * width)
        {
            throw new ArgumentException(
                $"Expected {count} x {height} x {width} = {(long)count * height * width} image bytes but found {images.LongLength}.", nameof(images));
        }

        if (labels.Length != count)
        {
            throw new ArgumentException($"Expected {count} labels but found {labels.Length}.", nameof(labels));
        }

        int bad = labels.AsSpan().IndexOfAnyInRange((byte)classCount, byte.MaxValue);
        if (classCount < 256 && bad >= 0)
        {
            throw new ArgumentException($"Expected labels 0 to {classCount - 1} but label {bad} is {labels[bad]}.", nameof(labels));
        }

        Images = images;
        Labels = labels;
        Count = count;
        Height = height;
        Width = width;
        ClassCount = classCount;
    }

    /// <summary>The pixels of all images: <see cref="Count"/> x <see cref="Height"/> x <see cref="Width"/> bytes, row-major. Do not modify.</summary>
    public byte[] Images { get; }

    /// <summary>The label of each image, 0 to <see cref="ClassCount"/> - 1. Do not modify.</summary>
    public byte[] Labels { get; }

    /// <summary>The number of images.</summary>
    public int Count { get; }

    /// <summary>The height of every image in pixels.</summary>
    public int Height { get; }

    /// <summary>The width of every image in pixels.</summary>
    public int Width { get; }

    /// <summary>The number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>The pixels of one image: <see cref="Height"/> x <see cref="Width"/> bytes, row-major.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not below <see cref="Count"/>.</exception>
    public ReadOnlySpan<byte> Image(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        int size = Height * Width;
        return Images.AsSpan(index * size, size);
    }
}
