namespace Striate.IO;

/// <summary>
/// Stream reading helpers that never allocate more than the data that actually arrives (plus one chunk), so a
/// header that declares a huge payload in a tiny or truncated input fails without a huge allocation.
/// </summary>
internal static class BoundedRead
{
    /// <summary>The first allocation, and the smallest growth step, when the input length is not known.</summary>
    internal const int Chunk = 1 << 20;

    /// <summary>
    /// Reads up to <paramref name="count"/> bytes. The buffer starts at <see cref="Chunk"/> bytes (or
    /// <paramref name="count"/> if smaller) and doubles, capped at <paramref name="count"/>, only when it is full
    /// and more data is wanted. Returns the buffer, whose first <paramref name="read"/> bytes hold the data; its
    /// length is exactly <paramref name="count"/> when <paramref name="read"/> equals <paramref name="count"/>.
    /// </summary>
    internal static byte[] ReadUpTo(Stream stream, int count, out int read)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        byte[] buffer = new byte[Math.Min(count, Chunk)];
        int filled = 0;
        while (filled < count)
        {
            if (filled == buffer.Length)
            {
                int grown = (int)Math.Min(count, Math.Max(2L * buffer.Length, Chunk));
                Array.Resize(ref buffer, grown);
            }

            int n = stream.Read(buffer, filled, buffer.Length - filled);
            if (n == 0)
            {
                break;
            }

            filled += n;
        }

        read = filled;
        return buffer;
    }

    /// <summary>Reads into <paramref name="buffer"/> until it is full or the stream ends; returns the bytes read.</summary>
    internal static int ReadAtMost(Stream stream, Span<byte> buffer) =>
        stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);

    /// <summary>Reads the stream to its end through a small buffer and returns how many bytes were left.</summary>
    internal static long CountRemaining(Stream stream)
    {
        Span<byte> scratch = stackalloc byte[4096];
        long total = 0;
        int n;
        while ((n = stream.Read(scratch)) > 0)
        {
            total += n;
        }

        return total;
    }
}
