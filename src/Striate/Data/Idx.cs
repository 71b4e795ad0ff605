using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using Striate.IO;

namespace Striate.Data;

/// <summary>
/// Reads IDX files (the format of MNIST and Fashion-MNIST), raw or gzip-compressed.
/// </summary>
/// <remarks>
/// An IDX file is a 4-byte magic number <c>00 00 TT DD</c> (TT: element type code, see <see cref="IdxElementType"/>;
/// DD: number of dimensions), then DD big-endian 32-bit dimension sizes, then product(sizes) elements in row-major
/// order, big-endian, and nothing after them. A gzip-compressed file is recognised by its first two bytes
/// <c>1F 8B</c> and decompressed while it is read; it may hold several concatenated gzip members, and must end with
/// the CRC-32 and length trailer of its last member (a file cut short inside the trailer, or with bytes after it, is
/// rejected). Every size in the header is checked before any data is
/// allocated: a raw input whose length is known is checked against that length first, and any other input is read
/// in chunks that grow only as data actually arrives, so a header that declares more than the file holds fails
/// without a large allocation.
/// </remarks>
public static class Idx
{
    /// <summary>The largest number of dimensions accepted.</summary>
    public const int MaxRank = 4;

    /// <summary>
    /// The largest payload accepted, in bytes (1 GiB): as many values as an <see cref="ImageDataset"/> read from files
    /// may hold, so a small gzip file cannot declare (and inflate to) more than a dataset could use.
    /// </summary>
    public static long MaxDataBytes => ImageDataset.MaxValues;

    /// <summary>The size in bytes of one element of <paramref name="type"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="type"/> is not a defined element type.</exception>
    public static int ElementSize(IdxElementType type) => type switch
    {
        IdxElementType.UnsignedByte or IdxElementType.SignedByte => 1,
        IdxElementType.Int16 => 2,
        IdxElementType.Int32 or IdxElementType.Float32 => 4,
        IdxElementType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not an IDX element type."),
    };

    /// <summary>Reads the IDX file at <paramref name="path"/>, raw or gzip-compressed.</summary>
    /// <param name="path">The file to read; error messages name it as given.</param>
    /// <returns>The array the file holds.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid IDX file: bad magic number, unknown element
    /// type, out-of-range rank or dimension, truncated data, data after the declared elements, or corrupt gzip data.
    /// The message names the file, what was expected and what was found.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static IdxArray Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Read(stream, path);
    }

    /// <summary>
    /// Reads an IDX file, raw or gzip-compressed, from the current position of <paramref name="stream"/> to its end.
    /// The stream is left open.
    /// </summary>
    /// <param name="stream">The input; for a seekable raw input the remaining length is checked before allocating.</param>
    /// <param name="name">The name used in error messages, typically the file name.</param>
    /// <returns>The array the input holds.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="name"/> is null.</exception>
    /// <exception cref="InvalidDataException">The input is not a valid IDX file (see <see cref="Read(string)"/>).</exception>
    /// <exception cref="IOException">The stream cannot be read.</exception>
    public static IdxArray Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);

        Span<byte> start = stackalloc byte[4];
        int startLength = BoundedRead.ReadAtMost(stream, start);
        if (startLength >= 2 && start[0] == 0x1F && start[1] == 0x8B)
        {
            var compressed = new GzipSource(start[..startLength].ToArray(), stream);
            using var gzip = new GZipStream(compressed, CompressionMode.Decompress, leaveOpen: true);
            return ReadIdx(new GzipErrorNamingStream(gzip, name), name, knownRemaining: null, magic: default, magicLength: 0, compressed);
        }

        long? remaining = stream.CanSeek ? stream.Length - stream.Position : null;
        return ReadIdx(stream, name, remaining, start, startLength);
    }

    // knownRemaining: the bytes left in the stream after the magic-number bytes already read, when known.
    // magic[..magicLength]: the bytes of the magic number already read from the stream.
    // gzipSource: the compressed input when the stream decompresses it, to check the gzip trailer.
    private static IdxArray ReadIdx(
        Stream stream, string name, long? knownRemaining, ReadOnlySpan<byte> magic, int magicLength, GzipSource? gzipSource = null)
    {
        Span<byte> header = stackalloc byte[4 + 4 * MaxRank];
        magic[..magicLength].CopyTo(header);
        magicLength += BoundedRead.ReadAtMost(stream, header[magicLength..4]);
        if (magicLength < 4)
        {
            throw Fail(name, $"the file holds {magicLength} bytes, too few for the 4-byte magic number");
        }

        if (header[0] != 0 || header[1] != 0)
        {
            string found = header[0] == 0x1F && header[1] == 0x8B ? " (a gzip stream inside gzip data)" : string.Empty;
            throw Fail(name,
                $"magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(header):X8} is not an IDX magic number{found}: " +
                "expected two zero bytes, an element type code and a dimension count (0x0000TTDD)");
        }

        byte typeCode = header[2];
        if (!Enum.IsDefined((IdxElementType)typeCode))
        {
            throw Fail(name,
                $"element type code 0x{typeCode:X2} is not an IDX element type: expected 0x08 (unsigned byte), " +
                "0x09 (signed byte), 0x0B (int16), 0x0C (int32), 0x0D (float32) or 0x0E (float64)");
        }

        var type = (IdxElementType)typeCode;
        int rank = header[3];
        if (rank is < 1 or > MaxRank)
        {
            throw Fail(name, $"the header declares {rank} dimensions: expected 1 to {MaxRank}");
        }

        int headerLength = 4 + 4 * rank;
        int got = BoundedRead.ReadAtMost(stream, header[4..headerLength]);
        if (got < 4 * rank)
        {
            throw Fail(name, $"the header declares {rank} dimensions ({4 * rank} bytes of sizes) but only {got} bytes follow the magic number");
        }

        int elementSize = ElementSize(type);
        int[] shape = new int[rank];
        long totalBytes = elementSize;
        for (int i = 0; i < rank; i++)
        {
            uint dim = BinaryPrimitives.ReadUInt32BigEndian(header[(4 + 4 * i)..]);
            if (dim == 0 || dim > int.MaxValue)
            {
                throw Fail(name, $"dimension {i} of {rank} is {dim}: expected a size from 1 to {int.MaxValue}");
            }

            shape[i] = (int)dim;

            // Both factors are at most 2^31, so the product cannot overflow before the bound check.
            totalBytes = checked(totalBytes * dim);
            if (totalBytes > MaxDataBytes)
            {
                throw Fail(name,
                    $"the header declares {Describe(shape.AsSpan(0, i + 1), elementSize)} (or more) bytes of data: expected at most {MaxDataBytes}");
            }
        }

        int dataBytes = (int)totalBytes;
        byte[] data;
        if (knownRemaining is long remaining)
        {
            long available = remaining - 4L * rank;
            if (available < dataBytes)
            {
                throw Fail(name, $"header declares {Describe(shape, elementSize)} = {dataBytes} bytes of data but only {available} remain");
            }

            if (available > dataBytes)
            {
                throw Fail(name,
                    $"header declares {Describe(shape, elementSize)} = {dataBytes} bytes of data but {available} remain: " +
                    $"{available - dataBytes} bytes of trailing data");
            }

            data = new byte[dataBytes];
            stream.ReadExactly(data);
        }
        else
        {
            data = BoundedRead.ReadUpTo(stream, dataBytes, out int read);
            if (read < dataBytes)
            {
                throw Fail(name, $"header declares {Describe(shape, elementSize)} = {dataBytes} bytes of data but only {read} remain");
            }

            // One byte more is enough to refuse the file: a compressed stream is not decompressed to its end to count them.
            if (stream.ReadByte() >= 0)
            {
                throw Fail(name, $"header declares {Describe(shape, elementSize)} = {dataBytes} bytes of data but more follow: expected no trailing data");
            }
        }

        if (gzipSource is not null)
        {
            CheckGzipTrailer(gzipSource, header[..headerLength], data, name);
        }

        ToLittleEndian(data, elementSize);
        return new IdxArray(type, shape, data);
    }

    /// <summary>
    /// Checks that the compressed input ends with the trailer of its last gzip member: the CRC-32 and length of the
    /// last <c>ISIZE</c> bytes of the decompressed output. The decompressor verifies a trailer that is present but
    /// accepts one that is missing or cut short, and ignores bytes after the last member; this catches both.
    /// </summary>
    private static void CheckGzipTrailer(GzipSource source, ReadOnlySpan<byte> header, byte[] data, string name)
    {
        BoundedRead.CountRemaining(source);
        long total = header.Length + (long)data.Length;
        ReadOnlySpan<byte> tail = source.Tail;
        bool valid = false;
        if (tail.Length == 8)
        {
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(tail);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(tail[4..]);
            if (size <= total)
            {
                // The last member's output is the last `size` bytes of header + data.
                long fromData = Math.Min(size, data.Length);
                long fromHeader = size - fromData;
                uint actual = Crc32.Append(0, header[(int)(header.Length - fromHeader)..]);
                actual = Crc32.Append(actual, data.AsSpan((int)(data.Length - fromData)));
                valid = actual == crc;
            }
        }

        if (!valid)
        {
            throw Fail(name,
                "the gzip data does not end with the CRC-32 and length of its last member: expected an 8-byte gzip trailer " +
                $"matching the {total} decompressed bytes, found {Convert.ToHexString(tail)} (the file is truncated or has data after the compressed stream)");
        }
    }

    private static string Describe(ReadOnlySpan<int> shape, int elementSize)
    {
        string dims = string.Join(" x ", shape.ToArray());
        return elementSize == 1 ? dims : $"{dims} elements x {elementSize}";
    }

    private static void ToLittleEndian(byte[] data, int elementSize)
    {
        switch (elementSize)
        {
            case 2:
                Span<short> shorts = MemoryMarshal.Cast<byte, short>(data.AsSpan());
                BinaryPrimitives.ReverseEndianness(shorts, shorts);
                break;
            case 4:
                Span<int> ints = MemoryMarshal.Cast<byte, int>(data.AsSpan());
                BinaryPrimitives.ReverseEndianness(ints, ints);
                break;
            case 8:
                Span<long> longs = MemoryMarshal.Cast<byte, long>(data.AsSpan());
                BinaryPrimitives.ReverseEndianness(longs, longs);
                break;
        }
    }

    private static InvalidDataException Fail(string name, string message) => new($"IDX file '{name}': {message}.");

    /// <summary>A read-only, forward-only stream.</summary>
    private abstract class ReadOnlyForwardStream : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public abstract override int Read(Span<byte> buffer);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>
    /// The compressed input of a gzip file: some already-read bytes, then the rest of an inner stream; remembers the
    /// last 8 bytes read (the gzip trailer once the input is exhausted).
    /// </summary>
    private sealed class GzipSource(byte[] prefix, Stream inner) : ReadOnlyForwardStream
    {
        private readonly byte[] _tail = new byte[8];
        private int _prefixPosition;
        private long _total;

        /// <summary>The last (up to) 8 bytes read.</summary>
        public ReadOnlySpan<byte> Tail => _tail.AsSpan(8 - (int)Math.Min(_total, 8));

        public override int Read(Span<byte> buffer)
        {
            int n;
            if (_prefixPosition < prefix.Length)
            {
                n = Math.Min(buffer.Length, prefix.Length - _prefixPosition);
                prefix.AsSpan(_prefixPosition, n).CopyTo(buffer);
                _prefixPosition += n;
            }
            else
            {
                n = inner.Read(buffer);
            }

            Remember(buffer[..n]);
            return n;
        }

        private void Remember(ReadOnlySpan<byte> read)
        {
            _total += read.Length;
            if (read.Length >= 8)
            {
                read[^8..].CopyTo(_tail);
            }
            else if (read.Length > 0)
            {
                _tail.AsSpan(read.Length).CopyTo(_tail);
                read.CopyTo(_tail.AsSpan(8 - read.Length));
            }
        }
    }

    /// <summary>Reads a gzip stream, turning its corrupt-data errors into errors that name the file.</summary>
    private sealed class GzipErrorNamingStream(GZipStream inner, string name) : ReadOnlyForwardStream
    {
        public override int Read(Span<byte> buffer)
        {
            try
            {
                return inner.Read(buffer);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"IDX file '{name}': the gzip data is corrupt: {e.Message}", e);
            }
        }
    }
}
