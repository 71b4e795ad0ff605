using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace Striate.Fuzz;

/// <summary>
/// A valid file to start from: its bytes, the offsets where its structures begin and end (truncation points), the
/// region most mutations aim at (its headers), and where a JSON header lies, for a file that has one.
/// </summary>
public sealed record Seed(string Name, byte[] Bytes, int[] Boundaries, (int Start, int End) Hot, (int LengthAt, int Start, int End)? Json = null);

/// <summary>
/// Mutates seeds the ways damaged and hostile files differ from good ones: flipped bits, bytes set to extremes,
/// insertions and deletions, truncation at every structural boundary, extreme integers written over header fields
/// (both byte orders), and for a JSON header: extreme numbers, nulls, huge and invalid strings, duplicated and
/// reordered fields and deep nesting, with the length prefix rewritten to match (or not). One mutation, or two to four
/// stacked; every draw comes from the seeded generator, so a run is reproduced by its seed.
/// </summary>
public sealed class Mutator(Random random)
{
    private static readonly long[] Extremes = [0, 1, -1, 2, 127, 128, 255, 256, 0x7FFF, 0xFFFF, int.MaxValue, int.MinValue, uint.MaxValue, 0x7FFFFFC7, long.MaxValue, long.MinValue, 1L << 32, 1L << 40];
    private static readonly string[] JsonNumbers = ["-1", "0", "1e308", "-1e308", "18446744073709551615", "9223372036854775808", "4294967296", "2147483648", "99999999999999999999999", "1.5", "NaN", "[]", "{}", "null", "\"7\""];
    private static readonly string[] JsonStrings = ["null", "\"\"", "1", "[]", "{}", "\"\\ud800\"", "\"\\u0000\"", "\"F32\"", "\"U32\"", "\"BOOL\"", "\"__metadata__\""];
    private static readonly Regex Numbers = new(@"-?\d+(\.\d+)?([eE][+-]?\d+)?", RegexOptions.Compiled);
    private static readonly Regex Strings = new("\"(?:[^\"\\\\]|\\\\.)*\"", RegexOptions.Compiled);

    public byte[] Mutate(Seed seed)
    {
        byte[] data = seed.Bytes;
        // Mostly one mutation (a file damaged in one place), sometimes two to four.
        int count = random.Next(3) == 0 ? 2 + random.Next(3) : 1;
        for (int i = 0; i < count; i++) data = Once(seed, data);
        return data;
    }

    private byte[] Once(Seed seed, byte[] data)
    {
        if (seed.Json is { } json && random.Next(3) == 0 && data.Length >= json.End && json.End <= seed.Bytes.Length && data.Length == seed.Bytes.Length)
            return JsonMutation(data, json);
        int op = random.Next(8);
        switch (op)
        {
            case 0: // flip 1 to 8 bits
                data = (byte[])data.Clone();
                for (int k = 1 + random.Next(8); k > 0 && data.Length > 0; k--) data[Position(seed, data.Length)] ^= (byte)(1 << random.Next(8));
                return data;
            case 1: // set a byte to an extreme
                if (data.Length == 0) return data;
                data = (byte[])data.Clone();
                data[Position(seed, data.Length)] = (byte)new[] { 0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE }[random.Next(6)];
                return data;
            case 2: // insert 1 to 16 random bytes
            {
                int at = random.Next(data.Length + 1);
                var extra = new byte[1 + random.Next(16)];
                random.NextBytes(extra);
                return [.. data.AsSpan(0, at), .. extra, .. data.AsSpan(at)];
            }
            case 3: // delete a range
            {
                if (data.Length == 0) return data;
                int at = Position(seed, data.Length), n = Math.Min(1 + random.Next(32), data.Length - at);
                return [.. data.AsSpan(0, at), .. data.AsSpan(at + n)];
            }
            case 4: // truncate at a structural boundary (or one byte either side), or anywhere
            {
                int at = seed.Boundaries.Length > 0 && random.Next(4) != 0
                    ? seed.Boundaries[random.Next(seed.Boundaries.Length)] + random.Next(3) - 1
                    : random.Next(data.Length + 1);
                return data.AsSpan(0, Math.Clamp(at, 0, data.Length)).ToArray();
            }
            case 5: // an extreme integer over 2, 4 or 8 bytes, little or big endian, in the headers mostly
            {
                int width = new[] { 2, 4, 8 }[random.Next(3)];
                if (data.Length < width) return data;
                data = (byte[])data.Clone();
                int at = Math.Min(Position(seed, data.Length), data.Length - width);
                if (random.Next(2) == 0) at &= ~(width - 1);
                long v = Extremes[random.Next(Extremes.Length)];
                var span = data.AsSpan(at, width);
                bool big = random.Next(2) == 0;
                switch (width)
                {
                    case 2: if (big) BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)v); else BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)v); break;
                    case 4: if (big) BinaryPrimitives.WriteUInt32BigEndian(span, (uint)v); else BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)v); break;
                    default: if (big) BinaryPrimitives.WriteInt64BigEndian(span, v); else BinaryPrimitives.WriteInt64LittleEndian(span, v); break;
                }
                return data;
            }
            case 6: // duplicate a range (a repeated chunk or record)
            {
                if (data.Length == 0) return data;
                int at = Position(seed, data.Length), n = Math.Min(1 + random.Next(64), data.Length - at);
                return [.. data.AsSpan(0, at + n), .. data.AsSpan(at, n), .. data.AsSpan(at + n)];
            }
            default: // append garbage
            {
                var extra = new byte[1 + random.Next(64)];
                random.NextBytes(extra);
                return [.. data, .. extra];
            }
        }
    }

    // Mostly inside the seed's hot region (its headers), otherwise anywhere.
    private int Position(Seed seed, int length)
    {
        var (start, end) = seed.Hot;
        if (random.Next(10) < 7 && end > start && start < length) return start + random.Next(Math.Min(end, length) - start);
        return random.Next(length);
    }

    private byte[] JsonMutation(byte[] data, (int LengthAt, int Start, int End) json)
    {
        string text = Encoding.UTF8.GetString(data, json.Start, json.End - json.Start);
        string mutated = text;
        switch (random.Next(7))
        {
            case 0:
            {
                var m = Numbers.Matches(text);
                if (m.Count > 0) mutated = Replace(text, m[random.Next(m.Count)], JsonNumbers[random.Next(JsonNumbers.Length)]);
                break;
            }
            case 1:
            {
                var m = Strings.Matches(text);
                if (m.Count > 0) mutated = Replace(text, m[random.Next(m.Count)], JsonStrings[random.Next(JsonStrings.Length)]);
                break;
            }
            case 2: // a huge string
            {
                var m = Strings.Matches(text);
                if (m.Count > 0) mutated = Replace(text, m[random.Next(m.Count)], "\"" + new string('x', 1 << random.Next(8, 20)) + "\"");
                break;
            }
            case 3: // duplicate a top-level member
            {
                int brace = text.IndexOf('{');
                int comma = text.IndexOf(",\"", brace + 1 + random.Next(Math.Max(1, text.Length - brace - 1)), StringComparison.Ordinal);
                if (brace >= 0 && comma > brace) mutated = text[..(brace + 1)] + text[(brace + 1)..comma] + "," + text[(brace + 1)..];
                break;
            }
            case 4: // deep nesting in place of a value
            {
                var m = Numbers.Matches(text);
                int depth = 1 << random.Next(4, 15);
                if (m.Count > 0) mutated = Replace(text, m[random.Next(m.Count)], new string('[', depth) + new string(']', depth));
                break;
            }
            case 5: // reorder: move the last member to the front
            {
                int last = text.LastIndexOf(",\"", StringComparison.Ordinal);
                if (last > 1 && text.EndsWith('}')) mutated = "{" + text[(last + 1)..^1] + "," + text[1..last] + "}";
                break;
            }
            default: // cut the JSON short
                mutated = text[..random.Next(text.Length)];
                break;
        }
        byte[] body = Encoding.UTF8.GetBytes(mutated);
        byte[] result = [.. data.AsSpan(0, json.Start), .. body, .. data.AsSpan(json.End)];
        // The length prefix follows the new header, except sometimes, when the old one is kept.
        if (json.LengthAt >= 0 && random.Next(5) != 0) BinaryPrimitives.WriteUInt64LittleEndian(result.AsSpan(json.LengthAt), (ulong)body.Length);
        return result;
    }

    private static string Replace(string text, Match m, string with) => text[..m.Index] + with + text[(m.Index + m.Length)..];
}
