using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Striate.IO;

namespace Striate.Serialization;

/// <summary>The safetensors writer: header layout, tensor order, alignment; files written atomically.</summary>
public static partial class SafeTensors
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>
    /// Writes a safetensors file through <see cref="AtomicFile"/>: under a temporary name in the same folder (created
    /// when missing), flushed to disk and then moved over <paramref name="path"/>, so an existing file is replaced only
    /// by a complete new one; on failure the temporary file is removed and any existing file is left as it was.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="tensors">The tensors; names must be unique.</param>
    /// <param name="metadata">String metadata stored as <c>__metadata__</c>; null or empty for none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/>, <paramref name="tensors"/>, an entry, or a
    /// metadata key or value is null.</exception>
    /// <exception cref="ArgumentException">Two tensors share a name, or the header would exceed <see cref="MaxHeaderBytes"/>.</exception>
    /// <exception cref="IOException">The file cannot be written or moved into place.</exception>
    public static void Write(string path, IReadOnlyList<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        Prepared prepared = Prepare(tensors, metadata);
        AtomicFile.Write(path, stream => WritePrepared(stream, prepared));
    }

    /// <summary>Writes safetensors data to <paramref name="stream"/> at its current position; the stream is left open.</summary>
    /// <param name="stream">A writable stream.</param>
    /// <param name="tensors">The tensors; names must be unique.</param>
    /// <param name="metadata">String metadata stored as <c>__metadata__</c>; null or empty for none.</param>
    /// <exception cref="ArgumentNullException">An argument, an entry, or a metadata key or value is null.</exception>
    /// <exception cref="ArgumentException">Two tensors share a name, or the header would exceed <see cref="MaxHeaderBytes"/>.</exception>
    /// <exception cref="IOException">The stream cannot be written.</exception>
    public static void Write(Stream stream, IReadOnlyList<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        WritePrepared(stream, Prepare(tensors, metadata));
    }

    /// <summary>Returns the bytes of a safetensors file holding <paramref name="tensors"/> and <paramref name="metadata"/>.</summary>
    /// <exception cref="ArgumentNullException">An argument, an entry, or a metadata key or value is null.</exception>
    /// <exception cref="ArgumentException">Two tensors share a name, or the result would not fit in one array.</exception>
    public static byte[] Serialize(IReadOnlyList<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Prepared prepared = Prepare(tensors, metadata);
        long total = 8 + prepared.Header.Length + prepared.DataBytes;
        if (total > Array.MaxLength)
        {
            throw new ArgumentException($"Expected at most {Array.MaxLength} bytes in total but the tensors need {total}.", nameof(tensors));
        }

        byte[] result = new byte[total];
        using var stream = new MemoryStream(result);
        WritePrepared(stream, prepared);
        return result;
    }

    private static Prepared Prepare(IReadOnlyList<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var ordered = new List<(byte[] Utf8Name, SafeTensorEntry Entry)>(tensors.Count);
        foreach (SafeTensorEntry? entry in tensors)
        {
            ArgumentNullException.ThrowIfNull(entry, nameof(tensors));
            if (!names.Add(entry.Name))
            {
                throw new ArgumentException($"Expected unique tensor names but '{entry.Name}' appears twice.", nameof(tensors));
            }

            ordered.Add((Encoding.UTF8.GetBytes(entry.Name), entry));
        }

        ordered.Sort((a, b) =>
        {
            int byType = b.Entry.DType.CompareTo(a.Entry.DType);
            return byType != 0 ? byType : a.Utf8Name.AsSpan().SequenceCompareTo(b.Utf8Name);
        });

        var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json, WriterOptions))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(MetadataKey);
                foreach (KeyValuePair<string, string> pair in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    ArgumentNullException.ThrowIfNull(pair.Key, nameof(metadata));
                    if (pair.Value is null)
                    {
                        throw new ArgumentNullException(nameof(metadata), $"Metadata value for key '{pair.Key}' is null: expected a string.");
                    }

                    writer.WriteString(pair.Key, pair.Value);
                }

                writer.WriteEndObject();
            }

            long offset = 0;
            foreach ((_, SafeTensorEntry entry) in ordered)
            {
                writer.WriteStartObject(entry.Name);
                writer.WriteString("dtype", DTypeCode(entry.DType));
                writer.WriteStartArray("shape");
                foreach (long dim in entry.Shape)
                {
                    writer.WriteNumberValue(dim);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                offset = checked(offset + entry.Data.Length);
                writer.WriteNumberValue(offset);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        int padding = (int)((8 - json.Length % 8) % 8);
        for (int i = 0; i < padding; i++)
        {
            json.WriteByte((byte)' ');
        }

        if (json.Length > MaxHeaderBytes)
        {
            throw new ArgumentException($"Expected a header of at most {MaxHeaderBytes} bytes but these tensors need {json.Length}.", nameof(tensors));
        }

        long dataBytes = 0;
        foreach ((_, SafeTensorEntry entry) in ordered)
        {
            dataBytes += entry.Data.Length;
        }

        return new Prepared(json.ToArray(), [.. ordered.Select(o => o.Entry)], dataBytes);
    }

    private static void WritePrepared(Stream stream, Prepared prepared)
    {
        Span<byte> lengthField = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lengthField, (ulong)prepared.Header.Length);
        stream.Write(lengthField);
        stream.Write(prepared.Header);
        foreach (SafeTensorEntry entry in prepared.Tensors)
        {
            stream.Write(entry.Data.Span);
        }
    }

    private sealed record Prepared(byte[] Header, SafeTensorEntry[] Tensors, long DataBytes);
}
