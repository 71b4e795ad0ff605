using System.Buffers.Binary;
using System.Text;

namespace Striate.Onnx;

/// <summary>
/// Reads the protocol-buffer wire format from a span, checking every length against what remains: a field that
/// claims more bytes than the message holds, a varint longer than ten bytes, or a wire type that is not 0, 1, 2 or 5
/// is <see cref="InvalidDataException"/> naming the message and the field.
/// </summary>
internal ref struct ProtoReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _where;
    private int _pos;

    public ProtoReader(ReadOnlySpan<byte> data, string where)
    {
        _data = data;
        _where = where;
        _pos = 0;
    }

    public readonly bool More => _pos < _data.Length;

    /// <summary>The next field's number and wire type.</summary>
    public (int Field, int WireType) Next()
    {
        ulong key = Varint();
        int wire = (int)(key & 7);
        ulong field = key >> 3;
        if (field is 0 or > 536_870_911) throw Fail($"field number {field} at byte {_pos}: expected 1 to 536870911");
        if (wire is not (0 or 1 or 2 or 5)) throw Fail($"field {field} has wire type {wire} at byte {_pos}: expected 0 (varint), 1 (64-bit), 2 (length-delimited) or 5 (32-bit)");
        return ((int)field, wire);
    }

    public ulong Varint()
    {
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (_pos >= _data.Length) throw Fail($"a varint runs past the end at byte {_pos}");
            byte b = _data[_pos++];
            if (shift == 63 && b > 1) throw Fail($"a varint at byte {_pos - 1} overflows 64 bits");
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw Fail($"a varint at byte {_pos} is longer than ten bytes");
    }

    public long Int64() => (long)Varint();

    public float Fixed32Float()
    {
        if (_pos + 4 > _data.Length) throw Fail($"a 32-bit value runs past the end at byte {_pos}");
        float v = BinaryPrimitives.ReadSingleLittleEndian(_data[_pos..]);
        _pos += 4;
        return v;
    }

    public double Fixed64Double()
    {
        if (_pos + 8 > _data.Length) throw Fail($"a 64-bit value runs past the end at byte {_pos}");
        double v = BinaryPrimitives.ReadDoubleLittleEndian(_data[_pos..]);
        _pos += 8;
        return v;
    }

    public ulong Fixed64()
    {
        if (_pos + 8 > _data.Length) throw Fail($"a 64-bit value runs past the end at byte {_pos}");
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(_data[_pos..]);
        _pos += 8;
        return v;
    }

    /// <summary>A length-delimited field's bytes (checked against what remains).</summary>
    public ReadOnlySpan<byte> Bytes()
    {
        ulong n = Varint();
        if (n > (ulong)(_data.Length - _pos)) throw Fail($"a field at byte {_pos} declares {n} bytes, {_data.Length - _pos} remain");
        var s = _data.Slice(_pos, (int)n);
        _pos += (int)n;
        return s;
    }

    public string String() => Encoding.UTF8.GetString(Bytes());

    /// <summary>Skips a field of <paramref name="wireType"/> (an unknown field).</summary>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0: Varint(); break;
            case 1: Fixed64(); break;
            case 2: Bytes(); break;
            default: Fixed32Float(); break;
        }
    }

    /// <summary>
    /// A repeated int64 field's values: one (unpacked, wire type 0) or a packed run (wire type 2), appended to
    /// <paramref name="into"/>; the count is bounded by the bytes of the run.
    /// </summary>
    public void Int64s(int wireType, List<long> into, int field)
    {
        if (wireType == 0) { into.Add(Int64()); return; }
        if (wireType != 2) throw Fail($"field {field} (repeated int64) has wire type {wireType}: expected 0 or 2");
        var packed = new ProtoReader(Bytes(), _where);
        while (packed.More) into.Add(packed.Int64());
    }

    /// <summary>A repeated float field's values, unpacked (wire type 5) or packed (wire type 2).</summary>
    public void Floats(int wireType, List<float> into, int field)
    {
        if (wireType == 5) { into.Add(Fixed32Float()); return; }
        if (wireType != 2) throw Fail($"field {field} (repeated float) has wire type {wireType}: expected 5 or 2");
        var run = Bytes();
        if (run.Length % 4 != 0) throw Fail($"field {field} (packed floats) holds {run.Length} bytes, not a whole number of floats");
        for (int i = 0; i < run.Length; i += 4) into.Add(BinaryPrimitives.ReadSingleLittleEndian(run[i..]));
    }

    /// <summary>A repeated double field's values, unpacked (wire type 1) or packed (wire type 2).</summary>
    public void Doubles(int wireType, List<double> into, int field)
    {
        if (wireType == 1) { into.Add(Fixed64Double()); return; }
        if (wireType != 2) throw Fail($"field {field} (repeated double) has wire type {wireType}: expected 1 or 2");
        var run = Bytes();
        if (run.Length % 8 != 0) throw Fail($"field {field} (packed doubles) holds {run.Length} bytes, not a whole number of doubles");
        for (int i = 0; i < run.Length; i += 8) into.Add(BinaryPrimitives.ReadDoubleLittleEndian(run[i..]));
    }

    /// <summary>Refuses a field whose wire type is not <paramref name="expected"/>.</summary>
    public readonly void Expect(int wireType, int expected, int field, string name)
    {
        if (wireType != expected) throw Fail($"field {field} ({name}) has wire type {wireType}: expected {expected}");
    }

    public readonly InvalidDataException Fail(string message) => new($"{_where}: {message}.");
}
