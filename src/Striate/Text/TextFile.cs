using System.Globalization;
using System.Text;

namespace Striate.Text;

/// <summary>Text files for language models: strict UTF-8, read whole.</summary>
public static class TextFile
{
    /// <summary>
    /// The text of a UTF-8 file (a byte-order mark is skipped; carriage returns before line feeds are dropped, so a
    /// file reads the same with either line ending).
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not UTF-8: the message gives the byte offset of the first invalid sequence.</exception>
    public static string ReadUtf8(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"text file '{path}' does not exist.", path);
        var bytes = File.ReadAllBytes(path);
        var span = bytes.AsSpan();
        if (span.StartsWith(Encoding.UTF8.Preamble)) span = span[3..];
        int offset = 0;
        while (offset < span.Length)
        {
            var status = Rune.DecodeFromUtf8(span[offset..], out _, out int used);
            if (status != System.Buffers.OperationStatus.Done)
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"'{path}' is not UTF-8 text: byte 0x{span[offset]:X2} at offset {offset + (bytes.Length - span.Length)} does not begin a valid UTF-8 character (expected a UTF-8 text file, such as one saved as UTF-8 or plain ASCII)."));
            offset += used;
        }
        return Encoding.UTF8.GetString(span).Replace("\r\n", "\n", StringComparison.Ordinal);
    }
}
