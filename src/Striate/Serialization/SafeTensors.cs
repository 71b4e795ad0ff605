namespace Striate.Serialization;

/// <summary>
/// Reads and writes the safetensors format.
/// </summary>
/// <remarks>
/// <para>
/// A safetensors file is an unsigned 64-bit little-endian header length N, then N bytes of UTF-8 JSON, then the data
/// buffer. The JSON is an object mapping each tensor name to
/// <c>{"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}</c>, with offsets relative to the start of the
/// data buffer, plus an optional <c>"__metadata__"</c> object of string values. The header may be padded with
/// trailing spaces; the writer pads it to a multiple of 8 bytes so every tensor starts 8-byte aligned. Elements are
/// little-endian, row-major. The tensors must tile the data buffer exactly: no gaps, no overlaps, nothing after the
/// last one.
/// </para>
/// <para>
/// The reader checks the whole header (length, JSON, dtypes, shapes, offsets, sizes, coverage of the buffer) before
/// reading or allocating any tensor data, and reports every problem as an <see cref="InvalidDataException"/> that
/// names the file and, where there is one, the tensor. The writer stores tensors in decreasing order of dtype
/// alignment and then by name (UTF-8 byte order), writes the metadata first with keys in ordinal order, and emits
/// compact JSON, as the reference implementation does.
/// </para>
/// </remarks>
public static partial class SafeTensors
{
    /// <summary>
    /// The largest header accepted, in bytes: 16 MiB, room for the names and shapes of <see cref="MaxTensors"/> tensors
    /// and their metadata. (The reference implementation allows 100 MB; parsing such a header costs seconds and a
    /// gigabyte, so a file of a few bytes of header per megabyte of weights is all a reader here takes.)
    /// </summary>
    public const long MaxHeaderBytes = 16L << 20;

    /// <summary>The most tensors a file may hold (a large language model has a few thousand).</summary>
    public const int MaxTensors = 65_536;

    /// <summary>The most dimensions a tensor's shape may have.</summary>
    public const int MaxRank = 64;

    /// <summary>The header key of the string metadata map.</summary>
    public const string MetadataKey = "__metadata__";

    private static readonly string[] Codes =
        ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"];

    private static readonly int[] Sizes = [1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 8, 8, 8];

    /// <summary>The header code of <paramref name="dtype"/>, such as <c>F32</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not defined.</exception>
    public static string DTypeCode(SafeTensorDType dtype) => Codes[CheckDefined(dtype)];

    /// <summary>The size in bytes of one element of <paramref name="dtype"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not defined.</exception>
    public static int ElementSize(SafeTensorDType dtype) => Sizes[CheckDefined(dtype)];

    /// <summary>Parses a header dtype code such as <c>F32</c> (case-sensitive).</summary>
    /// <returns><see langword="true"/> if <paramref name="code"/> is a supported code.</returns>
    public static bool TryParseDType(string? code, out SafeTensorDType dtype)
    {
        int index = Array.IndexOf(Codes, code);
        dtype = (SafeTensorDType)Math.Max(index, 0);
        return index >= 0;
    }

    /// <summary>Checks a shape against a dtype; returns a description of the problem, or null when valid.</summary>
    internal static string? CheckShape(SafeTensorDType dtype, ReadOnlySpan<long> shape, out long count, out long bytes)
    {
        count = 1;
        bytes = 0;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
            {
                return $"shape {FormatShape(shape)} has dimension {i} = {shape[i]}: expected a non-negative size";
            }
        }

        try
        {
            foreach (long dim in shape)
            {
                count = checked(count * dim);
            }

            bytes = checked(count * ElementSize(dtype));
        }
        catch (OverflowException)
        {
            return $"shape {FormatShape(shape)} of {DTypeCode(dtype)} holds more than {long.MaxValue} bytes";
        }

        return null;
    }

    internal static string FormatShape(ReadOnlySpan<long> shape) => $"[{string.Join(", ", shape.ToArray())}]";

    private static int CheckDefined(SafeTensorDType dtype)
    {
        if (!Enum.IsDefined(dtype))
        {
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a safetensors dtype.");
        }

        return (int)dtype;
    }
}
