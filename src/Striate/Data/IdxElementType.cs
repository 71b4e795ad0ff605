namespace Striate.Data;

/// <summary>
/// The element type of an IDX file: the third byte of its magic number. Multi-byte elements are stored big-endian
/// in the file.
/// </summary>
public enum IdxElementType : byte
{
    /// <summary>0x08: unsigned 8-bit integer (one byte).</summary>
    UnsignedByte = 0x08,

    /// <summary>0x09: signed 8-bit integer (one byte).</summary>
    SignedByte = 0x09,

    /// <summary>0x0B: signed 16-bit integer (two bytes).</summary>
    Int16 = 0x0B,

    /// <summary>0x0C: signed 32-bit integer (four bytes).</summary>
    Int32 = 0x0C,

    /// <summary>0x0D: IEEE 754 single-precision float (four bytes).</summary>
    Float32 = 0x0D,

    /// <summary>0x0E: IEEE 754 double-precision float (eight bytes).</summary>
    Float64 = 0x0E,
}
