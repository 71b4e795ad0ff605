using System.Buffers.Binary;
using System.Text;

namespace Striate.Onnx;

/// <summary>
/// The protocol-buffer wire format, written by hand: varints (a negative int64 is ten bytes, as the format requires),
/// fixed 32-bit floats, and length-delimited fields (strings, bytes and nested messages, each written to its own
/// buffer first so its length is known).
/// </summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _out = new();

    public byte[] ToArray() => _out.ToArray();

    public long Length => _out.Length;

    private void Tag(int field, int wireType) => Varint(((ulong)field << 3) | (uint)wireType);

    public void Varint(ulong value)
    {
        Span<byte> b = stackalloc byte[10];
        int n = 0;
        do
        {
            byte next = (byte)(value & 0x7F);
            value >>= 7;
            b[n++] = value != 0 ? (byte)(next | 0x80) : next;
        }
        while (value != 0);
        _out.Write(b[..n]);
    }

    /// <summary>An int64 (or int32, or enum) field: wire type 0.</summary>
    public void Int(int field, long value)
    {
        Tag(field, 0);
        Varint((ulong)value);
    }

    /// <summary>A float field: wire type 5.</summary>
    public void Float(int field, float value)
    {
        Tag(field, 5);
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(b, value);
        _out.Write(b);
    }

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        Varint((ulong)value.Length);
        _out.Write(value);
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public void Message(int field, Action<ProtoWriter> write)
    {
        var inner = new ProtoWriter();
        write(inner);
        Tag(field, 2);
        Varint((ulong)inner._out.Length);
        inner._out.Position = 0;
        inner._out.CopyTo(_out);
    }
}
