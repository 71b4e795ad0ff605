using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Striate.Serialization;

/// <summary>
/// One named tensor of a safetensors file: its element type, its shape (outermost dimension first; empty for a
/// scalar) and its elements as raw little-endian bytes in row-major order.
/// </summary>
public sealed class SafeTensorEntry
{
    private readonly long[] _shape;

    /// <summary>Creates an entry. The shape is copied; the data is kept, not copied.</summary>
    /// <param name="name">The tensor name: any string except <c>__metadata__</c>.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The dimension sizes, each zero or more; empty for a scalar.</param>
    /// <param name="data">The elements: product(shape) * element size bytes, little-endian, row-major.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">The name is <c>__metadata__</c>, the element type is not defined, a
    /// dimension is negative, the size overflows, or the data length does not match the shape.</exception>
    public SafeTensorEntry(string name, SafeTensorDType dtype, ReadOnlySpan<long> shape, ReadOnlyMemory<byte> data)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == SafeTensors.MetadataKey)
        {
            throw new ArgumentException($"Expected a tensor name but found the reserved key '{SafeTensors.MetadataKey}'.", nameof(name));
        }

        if (!Enum.IsDefined(dtype))
        {
            throw new ArgumentException($"Tensor '{name}': element type {(int)dtype} is not a safetensors dtype.", nameof(dtype));
        }

        string? problem = SafeTensors.CheckShape(dtype, shape, out long count, out long bytes);
        if (problem is not null)
        {
            throw new ArgumentException($"Tensor '{name}': {problem}.", nameof(shape));
        }

        if (data.Length != bytes)
        {
            throw new ArgumentException(
                $"Tensor '{name}': shape {SafeTensors.FormatShape(shape)} of {SafeTensors.DTypeCode(dtype)} needs {bytes} bytes but the data holds {data.Length}.",
                nameof(data));
        }

        Name = name;
        DType = dtype;
        _shape = shape.ToArray();
        Shape = Array.AsReadOnly(_shape);
        ElementCount = count;
        Data = data;
    }

    /// <summary>The tensor name.</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public SafeTensorDType DType { get; }

    /// <summary>The dimension sizes, outermost first; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The number of elements: the product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>The elements as raw little-endian bytes, row-major.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>Creates an <see cref="SafeTensorDType.Float32"/> (<c>F32</c>) entry, copying <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">The number of values does not match the shape (see the constructor).</exception>
    public static SafeTensorEntry FromFloat32(string name, ReadOnlySpan<long> shape, ReadOnlySpan<float> values) =>
        new(name, SafeTensorDType.Float32, shape, ToBytes(MemoryMarshal.Cast<float, int>(values)));

    /// <summary>Creates an <see cref="SafeTensorDType.Float64"/> (<c>F64</c>) entry, copying <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">The number of values does not match the shape (see the constructor).</exception>
    public static SafeTensorEntry FromFloat64(string name, ReadOnlySpan<long> shape, ReadOnlySpan<double> values) =>
        new(name, SafeTensorDType.Float64, shape, ToBytes(MemoryMarshal.Cast<double, long>(values)));

    /// <summary>Creates an <see cref="SafeTensorDType.Int32"/> (<c>I32</c>) entry, copying <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">The number of values does not match the shape (see the constructor).</exception>
    public static SafeTensorEntry FromInt32(string name, ReadOnlySpan<long> shape, ReadOnlySpan<int> values) =>
        new(name, SafeTensorDType.Int32, shape, ToBytes(values));

    /// <summary>Creates an <see cref="SafeTensorDType.Int64"/> (<c>I64</c>) entry, copying <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">The number of values does not match the shape (see the constructor).</exception>
    public static SafeTensorEntry FromInt64(string name, ReadOnlySpan<long> shape, ReadOnlySpan<long> values) =>
        new(name, SafeTensorDType.Int64, shape, ToBytes(values));

    /// <summary>The elements of an <c>F32</c> entry as a new array.</summary>
    /// <exception cref="InvalidOperationException">The entry is not <see cref="SafeTensorDType.Float32"/>.</exception>
    public float[] ToFloat32Array()
    {
        var result = new float[CheckedCount(SafeTensorDType.Float32)];
        FromBytes(MemoryMarshal.Cast<float, int>(result.AsSpan()));
        return result;
    }

    /// <summary>The elements of an <c>F64</c> entry as a new array.</summary>
    /// <exception cref="InvalidOperationException">The entry is not <see cref="SafeTensorDType.Float64"/>.</exception>
    public double[] ToFloat64Array()
    {
        var result = new double[CheckedCount(SafeTensorDType.Float64)];
        FromBytes(MemoryMarshal.Cast<double, long>(result.AsSpan()));
        return result;
    }

    /// <summary>The elements of an <c>I32</c> entry as a new array.</summary>
    /// <exception cref="InvalidOperationException">The entry is not <see cref="SafeTensorDType.Int32"/>.</exception>
    public int[] ToInt32Array()
    {
        var result = new int[CheckedCount(SafeTensorDType.Int32)];
        FromBytes(result.AsSpan());
        return result;
    }

    /// <summary>The elements of an <c>I64</c> entry as a new array.</summary>
    /// <exception cref="InvalidOperationException">The entry is not <see cref="SafeTensorDType.Int64"/>.</exception>
    public long[] ToInt64Array()
    {
        var result = new long[CheckedCount(SafeTensorDType.Int64)];
        FromBytes(result.AsSpan());
        return result;
    }

    /// <summary>
    /// The elements converted to float32 from any float type (F16, BF16 and F32 exactly, F64 rounded to nearest) or
    /// integer type (exact up to 2^24 in magnitude, rounded beyond), as a model's float32 parameters and buffers take them.
    /// </summary>
    /// <exception cref="InvalidOperationException">The element type is an 8-bit float, which has no conversion here.</exception>
    public float[] ToFloat32Converted()
    {
        var src = Data.Span;
        var result = new float[ElementCount];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = DType switch
            {
                SafeTensorDType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]),
                SafeTensorDType.Float16 => (float)BinaryPrimitives.ReadHalfLittleEndian(src[(2 * i)..]),
                SafeTensorDType.BFloat16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]) << 16),
                SafeTensorDType.Float64 => (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]),
                SafeTensorDType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(src[(8 * i)..]),
                SafeTensorDType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(src[(8 * i)..]),
                SafeTensorDType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(src[(4 * i)..]),
                SafeTensorDType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(src[(4 * i)..]),
                SafeTensorDType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(src[(2 * i)..]),
                SafeTensorDType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]),
                SafeTensorDType.Int8 => (sbyte)src[i],
                SafeTensorDType.UInt8 or SafeTensorDType.Bool => src[i],
                _ => throw new InvalidOperationException($"Tensor '{Name}': {SafeTensors.DTypeCode(DType)} elements have no conversion to float32."),
            };
        }
        return result;
    }

    private int CheckedCount(SafeTensorDType expected)
    {
        if (DType != expected)
        {
            throw new InvalidOperationException(
                $"Tensor '{Name}': expected {SafeTensors.DTypeCode(expected)} elements but the tensor holds {SafeTensors.DTypeCode(DType)}.");
        }

        return (int)ElementCount;
    }

    private static byte[] ToBytes<T>(ReadOnlySpan<T> values)
        where T : unmanaged, IBinaryInteger<T>
    {
        var bytes = new byte[values.Length * Unsafe.SizeOf<T>()];
        Span<T> target = MemoryMarshal.Cast<byte, T>(bytes.AsSpan());
        if (BitConverter.IsLittleEndian)
        {
            values.CopyTo(target);
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
            {
                target[i] = ReverseBytes(values[i]);
            }
        }

        return bytes;
    }

    private void FromBytes<T>(Span<T> target)
        where T : unmanaged, IBinaryInteger<T>
    {
        Data.Span.CopyTo(MemoryMarshal.AsBytes(target));
        if (!BitConverter.IsLittleEndian)
        {
            for (int i = 0; i < target.Length; i++)
            {
                target[i] = ReverseBytes(target[i]);
            }
        }
    }

    private static T ReverseBytes<T>(T value)
        where T : unmanaged, IBinaryInteger<T>
    {
        Span<byte> bytes = stackalloc byte[16];
        int size = value.WriteLittleEndian(bytes);
        return T.ReadBigEndian(bytes[..size], isUnsigned: false);
    }
}
