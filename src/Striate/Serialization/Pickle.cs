using System.Buffers.Binary;
using System.Text;

namespace Striate.Serialization;

/// <summary>
/// A Python pickle, read by a virtual machine of Striate's own that builds values and never runs code: the opcodes of
/// protocols 2 to 5 that PyTorch's state dicts use, with every global resolved through <see cref="Resolver"/> (which
/// answers only for an allow-list) and every persistent id through <see cref="Persistent"/>. Values are C# objects:
/// null (None), bool, long, double, string, byte[], <see cref="PickleTuple"/>, List&lt;object?&gt;,
/// <see cref="PickleDict"/>, and whatever the resolved globals build.
/// </summary>
internal sealed class Pickle
{
    /// <summary>A global the resolver allows: called with the arguments of REDUCE or NEWOBJ.</summary>
    public delegate object? Callable(PickleTuple args);

    private readonly byte[] _data;
    private readonly string _where;
    private int _pos;
    private readonly int _end;

    public Pickle(byte[] data, int start, int end, string where)
    {
        _data = data;
        _pos = start;
        _end = end;
        _where = where;
    }

    /// <summary>Resolves GLOBAL module.name to a value (a <see cref="Callable"/> where REDUCE calls it); refuses (throws) anything not allowed.</summary>
    public required Func<string, string, object> Resolver { get; init; }

    /// <summary>What a persistent id (BINPERSID) stands for.</summary>
    public Func<object?, object?> Persistent { get; init; } = id => throw new InvalidDataException("a persistent id where none is expected");

    /// <summary>Where reading stopped (just after STOP).</summary>
    public int Position => _pos;

    // A MARK on the stack.
    private sealed class Mark
    {
        public static readonly Mark Instance = new();
    }

    private InvalidDataException Fail(string what, int at) => new($"{_where}: pickle opcode at byte {at}: {what}.");

    /// <summary>Runs the machine to STOP and returns the value on the stack.</summary>
    /// <exception cref="InvalidDataException">A truncated or malformed pickle, an opcode out of place, a memo
    /// reference that does not exist, or a global outside the allow-list.</exception>
    public object? Load()
    {
        var stack = new List<object?>();
        var memo = new Dictionary<long, object?>();
        while (true)
        {
            int at = _pos;
            if (_pos >= _end) throw Fail("the pickle ends before its STOP opcode", at);
            byte op = _data[_pos++];
            object? Pop()
            {
                if (stack.Count == 0 || stack[^1] is Mark) throw Fail($"opcode 0x{op:x2} needs a value and the stack has none", at);
                var v = stack[^1];
                stack.RemoveAt(stack.Count - 1);
                return v;
            }
            List<object?> PopMark()
            {
                int m = stack.FindLastIndex(v => v is Mark);
                if (m < 0) throw Fail($"opcode 0x{op:x2} needs a MARK and there is none", at);
                var items = stack.GetRange(m + 1, stack.Count - m - 1);
                stack.RemoveRange(m, stack.Count - m);
                return items;
            }
            object? Top() => stack.Count > 0 && stack[^1] is not Mark ? stack[^1] : throw Fail($"opcode 0x{op:x2} needs a value and the stack has none", at);
            switch (op)
            {
                case 0x80: // PROTO
                    {
                        int v = Byte(at);
                        if (v is < 2 or > 5) throw Fail($"protocol {v} (2 to 5 are read)", at);
                        break;
                    }
                case 0x95: Bytes(8, at); break; // FRAME: the length of the next frame, which is read in place
                case (byte)'.': // STOP
                    if (stack.Count != 1 || stack[0] is Mark) throw Fail($"STOP with {stack.Count} values on the stack (1 expected)", at);
                    return stack[0];
                case (byte)'(': stack.Add(Mark.Instance); break; // MARK
                case (byte)'N': stack.Add(null); break;
                case 0x88: stack.Add(true); break;
                case 0x89: stack.Add(false); break;
                case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Bytes(4, at))); break; // BININT
                case (byte)'K': stack.Add((long)Byte(at)); break; // BININT1
                case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2, at))); break; // BININT2
                case 0x8a: // LONG1
                    {
                        int n = Byte(at);
                        stack.Add(Long(Bytes(n, at), at));
                        break;
                    }
                case 0x8b: // LONG4
                    {
                        int n = Length(BinaryPrimitives.ReadInt32LittleEndian(Bytes(4, at)), at);
                        stack.Add(Long(Bytes(n, at), at));
                        break;
                    }
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Bytes(8, at))); break; // BINFLOAT
                case (byte)'X': stack.Add(Text(Length(BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, at)), at), at)); break; // BINUNICODE
                case 0x8c: stack.Add(Text(Byte(at), at)); break; // SHORT_BINUNICODE
                case 0x8d: stack.Add(Text(Length(BinaryPrimitives.ReadInt64LittleEndian(Bytes(8, at)), at), at)); break; // BINUNICODE8
                case (byte)'T': stack.Add(Encoding.Latin1.GetString(Bytes(Length(BinaryPrimitives.ReadInt32LittleEndian(Bytes(4, at)), at), at))); break; // BINSTRING
                case (byte)'U': stack.Add(Encoding.Latin1.GetString(Bytes(Byte(at), at))); break; // SHORT_BINSTRING
                case (byte)'B': stack.Add(Bytes(Length(BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, at)), at), at).ToArray()); break; // BINBYTES
                case (byte)'C': stack.Add(Bytes(Byte(at), at).ToArray()); break; // SHORT_BINBYTES
                case 0x8e: stack.Add(Bytes(Length(BinaryPrimitives.ReadInt64LittleEndian(Bytes(8, at)), at), at).ToArray()); break; // BINBYTES8
                case (byte)')': stack.Add(new PickleTuple([])); break; // EMPTY_TUPLE
                case 0x85: stack.Add(new PickleTuple([Pop()])); break; // TUPLE1
                case 0x86: // TUPLE2
                    {
                        var b = Pop();
                        stack.Add(new PickleTuple([Pop(), b]));
                        break;
                    }
                case 0x87: // TUPLE3
                    {
                        var c = Pop();
                        var b = Pop();
                        stack.Add(new PickleTuple([Pop(), b, c]));
                        break;
                    }
                case (byte)'t': stack.Add(new PickleTuple([.. PopMark()])); break; // TUPLE
                case (byte)']': stack.Add(new List<object?>()); break; // EMPTY_LIST
                case (byte)'l': stack.Add(PopMark()); break; // LIST
                case (byte)'}': stack.Add(new PickleDict()); break; // EMPTY_DICT
                case (byte)'d': // DICT
                    {
                        var items = PopMark();
                        var d = new PickleDict();
                        SetItems(d, items, at);
                        stack.Add(d);
                        break;
                    }
                case (byte)'a': // APPEND
                    {
                        var v = Pop();
                        (Top() as List<object?> ?? throw Fail("APPEND to a value that is not a list", at)).Add(v);
                        break;
                    }
                case (byte)'e': // APPENDS
                    {
                        var items = PopMark();
                        (Top() as List<object?> ?? throw Fail("APPENDS to a value that is not a list", at)).AddRange(items);
                        break;
                    }
                case (byte)'s': // SETITEM
                    {
                        var v = Pop();
                        var k = Pop();
                        SetItems(Top() as PickleDict ?? throw Fail("SETITEM on a value that is not a dict", at), [k, v], at);
                        break;
                    }
                case (byte)'u': // SETITEMS
                    {
                        var items = PopMark();
                        SetItems(Top() as PickleDict ?? throw Fail("SETITEMS on a value that is not a dict", at), items, at);
                        break;
                    }
                case (byte)'0': Pop(); break; // POP
                case (byte)'1': PopMark(); break; // POP_MARK
                case (byte)'2': stack.Add(Top()); break; // DUP
                case (byte)'q': memo[Byte(at)] = Top(); break; // BINPUT
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, at))] = Top(); break; // LONG_BINPUT
                case 0x94: memo[memo.Count] = Top(); break; // MEMOIZE
                case (byte)'h': stack.Add(Memo(memo, Byte(at), at)); break; // BINGET
                case (byte)'j': stack.Add(Memo(memo, BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, at)), at)); break; // LONG_BINGET
                case (byte)'c': // GLOBAL: module and name, each ended by a newline
                    {
                        string module = Line(at), name = Line(at);
                        stack.Add(Resolver(module, name));
                        break;
                    }
                case 0x93: // STACK_GLOBAL
                    {
                        var name = Pop() as string ?? throw Fail("STACK_GLOBAL's name is not a string", at);
                        var module = Pop() as string ?? throw Fail("STACK_GLOBAL's module is not a string", at);
                        stack.Add(Resolver(module, name));
                        break;
                    }
                case (byte)'R': // REDUCE
                case 0x81: // NEWOBJ
                    {
                        var args = Pop() as PickleTuple ?? throw Fail($"{(op == 0x81 ? "NEWOBJ" : "REDUCE")}'s arguments are not a tuple", at);
                        var f = Pop() as Callable ?? throw Fail($"{(op == 0x81 ? "NEWOBJ" : "REDUCE")} of a value that is not an allowed global", at);
                        stack.Add(f(args));
                        break;
                    }
                case (byte)'b': // BUILD: a dict's attributes (an OrderedDict's _metadata) are not kept
                    {
                        Pop();
                        if (Top() is not (PickleDict or PickleTuple or List<object?>))
                            throw Fail("BUILD on a value that is not a dict", at);
                        break;
                    }
                case (byte)'Q': stack.Add(Persistent(Pop())); break; // BINPERSID
                default:
                    throw Fail($"opcode 0x{op:x2} ('{(op is >= 0x20 and < 0x7f ? (char)op : '?')}') is not one a state dict uses", at);
            }
        }
    }

    private static void SetItems(PickleDict d, List<object?> items, int at)
    {
        if (items.Count % 2 != 0) throw new InvalidDataException($"pickle opcode at byte {at}: {items.Count} values do not make key-value pairs.");
        for (int i = 0; i < items.Count; i += 2) d.Set(items[i], items[i + 1]);
    }

    private object? Memo(Dictionary<long, object?> memo, long key, int at) =>
        memo.TryGetValue(key, out var v) ? v : throw Fail($"memo entry {key} does not exist", at);

    private int Byte(int at) => Bytes(1, at)[0];

    private ReadOnlySpan<byte> Bytes(int n, int at)
    {
        if (n < 0 || n > _end - _pos) throw Fail($"{n} bytes are needed and {_end - _pos} remain", at);
        var s = _data.AsSpan(_pos, n);
        _pos += n;
        return s;
    }

    private int Length(long n, int at) => n >= 0 && n <= _end - _pos ? (int)n : throw Fail($"a length of {n} where {_end - _pos} bytes remain", at);

    private string Text(int n, int at)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(Bytes(n, at));
        }
        catch (DecoderFallbackException)
        {
            throw Fail("a string that is not UTF-8", at);
        }
    }

    private string Line(int at)
    {
        int nl = Array.IndexOf(_data, (byte)'\n', _pos, _end - _pos);
        if (nl < 0 || nl - _pos > 1024) throw Fail("GLOBAL's module or name has no end of line", at);
        string s = Encoding.ASCII.GetString(_data, _pos, nl - _pos);
        _pos = nl + 1;
        return s;
    }

    private object Long(ReadOnlySpan<byte> b, int at)
    {
        if (b.Length == 0) return 0L;
        if (b.Length <= 8)
        {
            long v = 0;
            for (int i = b.Length - 1; i >= 0; i--) v = (v << 8) | b[i];
            int shift = 64 - 8 * b.Length;
            return shift == 0 ? v : (v << shift) >> shift;
        }
        // Wider integers (the legacy format's magic number) as System.Numerics.BigInteger.
        return b.Length <= 64 ? new System.Numerics.BigInteger(b, isUnsigned: false, isBigEndian: false) : throw Fail($"an integer of {b.Length} bytes", at);
    }
}

/// <summary>A Python tuple.</summary>
internal sealed class PickleTuple(object?[] items)
{
    public object?[] Items { get; } = items;
    public int Count => Items.Length;
    public object? this[int i] => Items[i];
}

/// <summary>A Python dict (or OrderedDict), in insertion order; keys are compared as Python would for str and int.</summary>
internal sealed class PickleDict
{
    private readonly List<KeyValuePair<object?, object?>> _items = [];
    private readonly Dictionary<object, int> _index = [];

    public IReadOnlyList<KeyValuePair<object?, object?>> Items => _items;

    public int Count => _items.Count;

    public void Set(object? key, object? value)
    {
        var k = key ?? DBNull.Value;
        if (_index.TryGetValue(k, out int i)) _items[i] = new(key, value);
        else
        {
            _index[k] = _items.Count;
            _items.Add(new(key, value));
        }
    }

    public bool TryGet(string key, out object? value)
    {
        if (_index.TryGetValue(key, out int i))
        {
            value = _items[i].Value;
            return true;
        }
        value = null;
        return false;
    }
}
