namespace Striate.Serialization;

/// <summary>
/// The element types of the safetensors format, in the format's order of increasing alignment (the writer stores
/// tensors in decreasing order of this value). Each member's documentation gives its code in the file header.
/// Elements are little-endian.
/// </summary>
public enum SafeTensorDType
{
    /// <summary><c>BOOL</c>: one byte, 0 or 1.</summary>
    Bool,

    /// <summary><c>U8</c>: unsigned 8-bit integer.</summary>
    UInt8,

    /// <summary><c>I8</c>: signed 8-bit integer.</summary>
    Int8,

    /// <summary><c>F8_E5M2</c>: 8-bit float, 5 exponent and 2 mantissa bits.</summary>
    Float8E5M2,

    /// <summary><c>F8_E4M3</c>: 8-bit float, 4 exponent and 3 mantissa bits.</summary>
    Float8E4M3,

    /// <summary><c>I16</c>: signed 16-bit integer.</summary>
    Int16,

    /// <summary><c>U16</c>: unsigned 16-bit integer.</summary>
    UInt16,

    /// <summary><c>F16</c>: IEEE 754 half-precision float.</summary>
    Float16,

    /// <summary><c>BF16</c>: bfloat16 (the upper half of a single-precision float).</summary>
    BFloat16,

    /// <summary><c>I32</c>: signed 32-bit integer.</summary>
    Int32,

    /// <summary><c>U32</c>: unsigned 32-bit integer.</summary>
    UInt32,

    /// <summary><c>F32</c>: IEEE 754 single-precision float.</summary>
    Float32,

    /// <summary><c>F64</c>: IEEE 754 double-precision float.</summary>
    Float64,

    /// <summary><c>I64</c>: signed 64-bit integer.</summary>
    Int64,

    /// <summary><c>U64</c>: unsigned 64-bit integer.</summary>
    UInt64,
}
