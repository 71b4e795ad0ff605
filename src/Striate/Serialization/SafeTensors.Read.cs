using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Striate.IO;

namespace Striate.Serialization;

/// <summary>The safetensors reader: the whole header checked before any tensor data is read.</summary>
public static partial class SafeTensors
{
    /// <summary>Reads a safetensors file.</summary>
    /// <param name="path">The file; error messages name it as given.</param>
    /// <returns>The tensors, in the order of their data, and the metadata.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not valid safetensors: header length out of range or beyond
    /// the file, header not UTF-8 JSON or not an object, a tensor with an unknown dtype, a malformed or negative
    /// shape, offsets outside the data buffer, a byte length that does not match shape and dtype, overlapping
    /// tensors, bytes of the buffer that belong to no tensor, duplicate names, or non-string metadata values. The
    /// message names the file and the tensor.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SafeTensorsContent Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Read(stream, path);
    }

    /// <summary>Reads a safetensors file held in memory; the tensor data is copied.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="name">The name used in error messages.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidDataException">See <see cref="Read(string)"/>.</exception>
    public static SafeTensorsContent Read(byte[] bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var stream = new MemoryStream(bytes, writable: false);
        return Read(stream, name);
    }

    /// <summary>
    /// Reads a safetensors file from the current position of <paramref name="stream"/> to its end; the stream is left
    /// open. For a seekable stream the header is checked against the remaining length before any tensor data is
    /// read; otherwise tensor data is read in chunks that grow only as data arrives.
    /// </summary>
    /// <param name="stream">A readable stream.</param>
    /// <param name="name">The name used in error messages.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidDataException">See <see cref="Read(string)"/>.</exception>
    /// <exception cref="IOException">The stream cannot be read.</exception>
    public static SafeTensorsContent Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        var (infos, metadata, bufferLength, covered) = ReadLayout(stream, name);

        var entries = new SafeTensorEntry[infos.Count];
        for (int i = 0; i < infos.Count; i++)
        {
            TensorHeader info = infos[i];
            byte[] data;
            if (bufferLength is null)
            {
                data = BoundedRead.ReadUpTo(stream, (int)info.Bytes, out int read);
                if (read < info.Bytes)
                {
                    throw Fail(name, info.Name,
                        $"data_offsets [{info.Begin}, {info.End}] reach past the end of the data buffer, which holds only {info.Begin + read} bytes (the file is truncated)");
                }
            }
            else
            {
                data = new byte[info.Bytes];
                stream.ReadExactly(data);
            }

            entries[i] = new SafeTensorEntry(info.Name, info.DType, info.Shape, data);
        }

        if (bufferLength is null)
        {
            if (stream.ReadByte() >= 0)
            {
                throw Fail(name, $"the data buffer holds more than the {covered} bytes the tensors cover: expected no bytes after the last tensor");
            }
        }

        return new SafeTensorsContent(entries, metadata);
    }

    /// <summary>
    /// Reads only the header of a safetensors file: its tensors' names, dtypes and shapes and its metadata, checked as
    /// <see cref="Read(string)"/> checks them (offsets against the file's length included), without reading or
    /// allocating any tensor data.
    /// </summary>
    /// <exception cref="InvalidDataException">See <see cref="Read(string)"/>.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SafeTensorsHeader ReadHeader(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var (infos, metadata, _, _) = ReadLayout(stream, path);
        return new SafeTensorsHeader(infos.Select(t => new SafeTensorInfo(t.Name, t.DType, t.Shape)).ToArray(),
            metadata ?? new Dictionary<string, string>());
    }

    // The length field and the header, checked; leaves the stream at the start of the data buffer.
    private static (List<TensorHeader> Tensors, Dictionary<string, string>? Metadata, long? BufferLength, long Covered) ReadLayout(Stream stream, string name)
    {

        long? remaining = stream.CanSeek ? stream.Length - stream.Position : null;
        Span<byte> lengthField = stackalloc byte[8];
        int got = BoundedRead.ReadAtMost(stream, lengthField);
        if (got < 8)
        {
            throw Fail(name, $"the file holds {got} bytes, too few for the 8-byte header length");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthField);
        // A length the file cannot hold from bytes that are text or gzip: another kind of file, said plainly.
        if ((headerLength > MaxHeaderBytes || (remaining is long all && (long)headerLength > all - 8)) && OtherKind(lengthField) is { } kind)
        {
            throw new InvalidDataException($"'{name}' is not a safetensors file: {kind}; a safetensors file begins with an 8-byte header length.");
        }

        if (headerLength > MaxHeaderBytes)
        {
            throw Fail(name, $"the header length is {headerLength} bytes: expected at most {MaxHeaderBytes}");
        }

        if (remaining is long total && (long)headerLength > total - 8)
        {
            throw Fail(name, $"the header length is {headerLength} bytes but only {total - 8} bytes follow the length field");
        }

        byte[] header = BoundedRead.ReadUpTo(stream, (int)headerLength, out int headerRead);
        if (headerRead < (int)headerLength)
        {
            throw Fail(name, $"the header length is {headerLength} bytes but only {headerRead} bytes follow the length field");
        }

        long? bufferLength = remaining - 8 - (long)headerLength;
        (List<TensorHeader> infos, Dictionary<string, string>? metadata) = ParseHeader(header, name, bufferLength);
        long covered = CheckCoverage(infos, name, bufferLength);
        return (infos, metadata, bufferLength, covered);
    }

    private static (List<TensorHeader> Tensors, Dictionary<string, string>? Metadata) ParseHeader(byte[] header, string name, long? bufferLength)
    {
        if (!Utf8.IsValid(header))
        {
            throw Fail(name, "the header is not valid UTF-8");
        }

        if (header.Length == 0 || header[0] != (byte)'{')
        {
            string found = header.Length == 0 ? "an empty header" : $"0x{header[0]:X2}";
            throw Fail(name, $"the header starts with {found}: expected a JSON object starting with '{{'");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw Fail(name, $"the header is not valid JSON: {e.Message}");
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Fail(name, $"the header is a JSON {root.ValueKind}: expected an object");
            }

            try
            {
                return ParseEntries(root, name, bufferLength);
            }
            catch (InvalidOperationException e)
            {
                // System.Text.Json will not turn an escaped lone surrogate (\ud800) into a string.
                throw Fail(name, $"the header holds a name or value that is not valid Unicode text ({e.Message})");
            }
        }
    }

    private static (List<TensorHeader> Tensors, Dictionary<string, string>? Metadata) ParseEntries(JsonElement root, string name, long? bufferLength)
    {
        var tensors = new List<TensorHeader>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Dictionary<string, string>? metadata = null;
        foreach (JsonProperty property in root.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                throw Fail(name, property.Name == MetadataKey
                    ? $"'{MetadataKey}' appears twice in the header: expected it at most once"
                    : $"tensor '{property.Name}' appears twice in the header: expected unique names");
            }

            if (property.Name == MetadataKey)
            {
                metadata = ParseMetadata(property.Value, name);
            }
            else
            {
                if (tensors.Count == MaxTensors) throw Fail(name, $"the header lists more than {MaxTensors} tensors: expected at most {MaxTensors}");
                tensors.Add(ParseTensor(property.Name, property.Value, name, bufferLength));
            }
        }

        return (tensors, metadata);
    }

    private static Dictionary<string, string>? ParseMetadata(JsonElement value, string name)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail(name, $"'{MetadataKey}' is a JSON {value.ValueKind}: expected an object of strings");
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty pair in value.EnumerateObject())
        {
            if (pair.Value.ValueKind != JsonValueKind.String)
            {
                throw Fail(name, $"'{MetadataKey}' value for key '{pair.Name}' is a JSON {pair.Value.ValueKind}: expected a string");
            }

            if (!metadata.TryAdd(pair.Name, pair.Value.GetString()!))
            {
                throw Fail(name, $"'{MetadataKey}' key '{pair.Name}' appears twice: expected unique keys");
            }
        }

        return metadata;
    }

    private static TensorHeader ParseTensor(string tensor, JsonElement value, string name, long? bufferLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail(name, tensor, $"the header entry is a JSON {value.ValueKind}: expected an object with dtype, shape and data_offsets");
        }

        if (!value.TryGetProperty("dtype", out JsonElement dtypeElement))
        {
            throw Fail(name, tensor, "the header entry has no dtype");
        }

        if (dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw Fail(name, tensor, $"dtype is a JSON {dtypeElement.ValueKind}: expected a string");
        }

        string? code = dtypeElement.GetString();
        if (!TryParseDType(code, out SafeTensorDType dtype))
        {
            throw Fail(name, tensor, $"dtype '{code}' is not supported: expected one of {string.Join(", ", Codes)}");
        }

        if (!value.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw Fail(name, tensor, $"shape is {Describe(shapeElement)}: expected an array of non-negative integers");
        }

        if (shapeElement.GetArrayLength() > MaxRank)
        {
            throw Fail(name, tensor, $"shape has {shapeElement.GetArrayLength()} dimensions: expected at most {MaxRank}");
        }

        long[] shape = new long[shapeElement.GetArrayLength()];
        int index = 0;
        foreach (JsonElement dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long size))
            {
                throw Fail(name, tensor, $"shape {shapeElement.GetRawText()} has dimension {index} = {dim.GetRawText()}: expected a non-negative integer");
            }

            if (size < 0)
            {
                throw Fail(name, tensor, $"shape {shapeElement.GetRawText()} has dimension {index} = {size}: expected a non-negative integer");
            }

            shape[index++] = size;
        }

        if (!value.TryGetProperty("data_offsets", out JsonElement offsetsElement)
            || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
        {
            throw Fail(name, tensor, $"data_offsets is {Describe(offsetsElement)}: expected an array of two non-negative integers [begin, end]");
        }

        JsonElement beginElement = offsetsElement[0];
        JsonElement endElement = offsetsElement[1];
        if (beginElement.ValueKind != JsonValueKind.Number || !beginElement.TryGetInt64(out long begin) || begin < 0
            || endElement.ValueKind != JsonValueKind.Number || !endElement.TryGetInt64(out long end) || end < 0)
        {
            throw Fail(name, tensor, $"data_offsets {offsetsElement.GetRawText()}: expected two non-negative integers [begin, end] below 2^63");
        }

        if (end < begin)
        {
            throw Fail(name, tensor, $"data_offsets [{begin}, {end}] end before they begin");
        }

        if (bufferLength is long available && end > available)
        {
            throw Fail(name, tensor,
                $"data_offsets [{begin}, {end}] reach past the end of the data buffer, which holds {available} bytes (the file may be truncated)");
        }

        string? problem = CheckShape(dtype, shape, out _, out long bytes);
        if (problem is not null)
        {
            throw Fail(name, tensor, problem);
        }

        if (end - begin != bytes)
        {
            throw Fail(name, tensor,
                $"shape {FormatShape(shape)} of {code} needs {bytes} bytes but data_offsets [{begin}, {end}] span {end - begin}");
        }

        if (bytes > Array.MaxLength)
        {
            throw Fail(name, tensor, $"the tensor holds {bytes} bytes: expected at most {Array.MaxLength}, the largest array supported");
        }

        return new TensorHeader(tensor, dtype, shape, begin, end);
    }

    /// <summary>
    /// Sorts the tensors by offsets and checks that they tile the data buffer: the first starts at 0, each starts where
    /// the previous ends, and (when the buffer length is known) the last ends at the end of the buffer. Returns the
    /// end of the last tensor.
    /// </summary>
    private static long CheckCoverage(List<TensorHeader> tensors, string name, long? bufferLength)
    {
        tensors.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        TensorHeader? previous = null;
        foreach (TensorHeader tensor in tensors)
        {
            if (tensor.Begin < expected)
            {
                throw Fail(name, tensor.Name,
                    $"data_offsets [{tensor.Begin}, {tensor.End}] overlap tensor '{previous!.Name}' at [{previous.Begin}, {previous.End}]: expected disjoint regions");
            }

            if (tensor.Begin > expected)
            {
                throw Fail(name, tensor.Name,
                    $"data_offsets [{tensor.Begin}, {tensor.End}] leave bytes {expected} to {tensor.Begin} of the data buffer unused: expected the tensors to cover the buffer without gaps");
            }

            expected = tensor.End;
            previous = tensor;
        }

        if (bufferLength is long available && expected != available)
        {
            throw Fail(name,
                $"the data buffer holds {available} bytes but the tensors cover only the first {expected}: expected no bytes after the last tensor");
        }

        return expected;
    }

    private static string Describe(JsonElement element) =>
        element.ValueKind == JsonValueKind.Undefined ? "missing" : $"{element.GetRawText()} (a JSON {element.ValueKind})";

    // What the first 8 bytes of a file that is not safetensors show: text (a CSV, JSON, a log) or gzip; null otherwise.
    private static string? OtherKind(ReadOnlySpan<byte> first)
    {
        if (first[0] == 0x1f && first[1] == 0x8b) return "it is a gzip file";
        foreach (byte b in first)
            if (b is not (>= 0x20 and < 0x7f or (byte)'\t' or (byte)'\n' or (byte)'\r')) return null;
        string text = System.Text.Encoding.ASCII.GetString(first).Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t");
        return $"it begins with text ('{text}...')";
    }

    private static InvalidDataException Fail(string name, string message) =>
        new($"safetensors file '{name}': {message}.");

    private static InvalidDataException Fail(string name, string tensor, string message) =>
        new($"safetensors file '{name}', tensor '{tensor}': {message}.");

    private sealed record TensorHeader(string Name, SafeTensorDType DType, long[] Shape, long Begin, long End)
    {
        public long Bytes => End - Begin;
    }
}
