namespace Striate.Data;

/// <summary>
/// An n-dimensional array read from an IDX file: its element type, its shape (outermost dimension first) and its
/// elements in row-major order. Multi-byte elements are held little-endian (converted from the file's big-endian
/// order), so <see cref="Data"/> can be reinterpreted directly on a little-endian machine.
/// </summary>
public sealed class IdxArray
{
    /// <summary>Creates an array from its parts; the arrays are kept, not copied.</summary>
    /// <param name="elementType">The element type.</param>
    /// <param name="shape">The dimension sizes, outermost first: 1 to <see cref="Idx.MaxRank"/> positive values.</param>
    /// <param name="data">The elements, row-major, little-endian: product(shape) * element size bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="shape"/> or <paramref name="data"/> is null.</exception>
    /// <exception cref="ArgumentException">The element type is not defined, the rank or a dimension is out of range,
    /// or the data length does not match the shape.</exception>
    public IdxArray(IdxElementType elementType, int[] shape, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        if (!Enum.IsDefined(elementType))
        {
            throw new ArgumentException($"Element type 0x{(byte)elementType:X2} is not an IDX element type.", nameof(elementType));
        }

        if (shape.Length is < 1 or > Idx.MaxRank)
        {
            throw new ArgumentException($"Expected 1 to {Idx.MaxRank} dimensions but found {shape.Length}.", nameof(shape));
        }

        long count = 1;
        foreach (int dim in shape)
        {
            if (dim <= 0)
            {
                throw new ArgumentException($"Expected positive dimension sizes but found [{string.Join(", ", shape)}].", nameof(shape));
            }

            count = checked(count * dim);
        }

        int size = Idx.ElementSize(elementType);
        if (data.LongLength != count * size)
        {
            throw new ArgumentException(
                $"Shape [{string.Join(", ", shape)}] of {size}-byte elements needs {count * size} bytes but the data holds {data.LongLength}.",
                nameof(data));
        }

        ElementType = elementType;
        Shape = shape;
        Data = data;
        ElementCount = count;
    }

    /// <summary>The element type.</summary>
    public IdxElementType ElementType { get; }

    /// <summary>The dimension sizes, outermost first. Do not modify.</summary>
    public int[] Shape { get; }

    /// <summary>The elements in row-major order, little-endian. Its length is <see cref="ElementCount"/> times the element size.</summary>
    public byte[] Data { get; }

    /// <summary>The number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>The number of elements: the product of <see cref="Shape"/>.</summary>
    public long ElementCount { get; }

    /// <summary>The size of one element in bytes.</summary>
    public int ElementSize => Idx.ElementSize(ElementType);
}
