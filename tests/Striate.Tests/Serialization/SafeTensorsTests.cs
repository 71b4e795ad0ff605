using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Striate.Serialization;

namespace Striate.Tests.Serialization;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("striate-safetensors-");

    public void Dispose() => _temp.Delete(recursive: true);

    [Fact]
    public void RoundTripsEveryCommonDtypeAndMetadata()
    {
        SafeTensorEntry[] tensors =
        [
            SafeTensorEntry.FromFloat32("conv1.weight", [2, 3], [1f, -2.5f, 3.25f, float.NaN, float.PositiveInfinity, -0f]),
            SafeTensorEntry.FromFloat64("scale", [2], [Math.PI, -1e300]),
            SafeTensorEntry.FromInt64("steps", [3], [long.MinValue, 0, long.MaxValue]),
            SafeTensorEntry.FromInt32("scalar", [], [42]),
            new SafeTensorEntry("mask", SafeTensorDType.UInt8, [4], new byte[] { 0, 1, 254, 255 }),
            new SafeTensorEntry("half", SafeTensorDType.BFloat16, [1], new byte[] { 0x80, 0x3F }),
            SafeTensorEntry.FromFloat32("empty", [0, 3], []),
        ];
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "naïve \"quoted\" \\ <tag>" };
        string path = Path.Combine(_temp.FullName, "model.safetensors");

        SafeTensors.Write(path, tensors, metadata);
        SafeTensorsContent read = SafeTensors.Read(path);

        Assert.Equal(metadata, read.Metadata);
        Assert.Equal(tensors.Length, read.Tensors.Count);
        foreach (SafeTensorEntry expected in tensors)
        {
            SafeTensorEntry actual = read[expected.Name];
            Assert.Equal(expected.DType, actual.DType);
            Assert.Equal(expected.Shape, actual.Shape);
            Assert.Equal(expected.Data.ToArray(), actual.Data.ToArray());
        }

        Assert.Equal([1f, -2.5f, 3.25f, float.NaN, float.PositiveInfinity, -0f], read["conv1.weight"].ToFloat32Array());
        Assert.Equal([Math.PI, -1e300], read["scale"].ToFloat64Array());
        Assert.Equal([long.MinValue, 0, long.MaxValue], read["steps"].ToInt64Array());
        Assert.Equal([42], read["scalar"].ToInt32Array());
        Assert.Equal(1, read["scalar"].ElementCount);
        Assert.Empty(read["empty"].ToFloat32Array());

        // Stored in decreasing dtype alignment, then by name.
        Assert.Equal(["steps", "scale", "conv1.weight", "empty", "scalar", "half", "mask"], read.Tensors.Select(t => t.Name));
        byte[] bytes = System.IO.File.ReadAllBytes(path);
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes) % 8);
    }

    [Fact]
    public void WritesTheReferenceByteLayout()
    {
        // 8-byte little-endian header length, compact JSON padded with spaces to a multiple of 8, then the data.
        byte[] expected =
        [
            56, 0, 0, 0, 0, 0, 0, 0,
            .. "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}  "u8, // 54 bytes of JSON + 2 spaces = 56
            0x00, 0x00, 0x80, 0x3F, // 1.0f
            0x00, 0x00, 0x00, 0x40, // 2.0f
        ];

        byte[] actual = SafeTensors.Serialize([SafeTensorEntry.FromFloat32("w", [2], [1f, 2f])]);

        Assert.Equal(expected, actual);
        Assert.Equal([1f, 2f], SafeTensors.Read(expected, "expected")["w"].ToFloat32Array());
    }

    [Fact]
    public void WritesMetadataFirstAndTensorsByAlignmentThenName()
    {
        string json =
            "{\"__metadata__\":{\"a\":\"1\",\"framework\":\"pt\"}," +
            "\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}," +
            "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}," +
            "\"c\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[12,16]}," +
            "\"z\":{\"dtype\":\"U8\",\"shape\":[2,1],\"data_offsets\":[16,18]}}";
        byte[] data = [7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0xBF, 0, 0, 0, 0x41, 5, 6];
        byte[] expected = File(json, data, pad: true);

        byte[] actual = SafeTensors.Serialize(
            [
                new SafeTensorEntry("z", SafeTensorDType.UInt8, [2, 1], new byte[] { 5, 6 }),
                SafeTensorEntry.FromFloat32("c", [], [8f]),
                SafeTensorEntry.FromInt64("b", [1], [7]),
                SafeTensorEntry.FromFloat32("a", [1], [-1f]),
            ],
            new Dictionary<string, string> { ["framework"] = "pt", ["a"] = "1" });

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void WritesAnEmptyFile()
    {
        byte[] expected = [8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}', 32, 32, 32, 32, 32, 32];

        Assert.Equal(expected, SafeTensors.Serialize([]));
        Assert.Equal(expected, SafeTensors.Serialize([], new Dictionary<string, string>()));
        SafeTensorsContent read = SafeTensors.Read(expected, "empty");
        Assert.Empty(read.Tensors);
        Assert.Empty(read.Metadata);
    }

    [Fact]
    public void ReadsUnpaddedHeadersInAnyOrder()
    {
        byte[] file = File(
            "{\"second\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[4,8]},\"__metadata__\":null,\"first\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
            [1, 0, 0, 0, 2, 0, 0, 0]);

        SafeTensorsContent read = SafeTensors.Read(file, "unpadded");

        Assert.Equal(["first", "second"], read.Tensors.Select(t => t.Name));
        Assert.Equal([2], read["second"].ToInt32Array());
        Assert.True(read.TryGetTensor("first", out SafeTensorEntry? first));
        Assert.Equal([1], first.ToInt32Array());
        Assert.False(read.TryGetTensor("third", out _));
        Assert.Contains("'third'", Assert.Throws<KeyNotFoundException>(() => read["third"]).Message);
    }

    [Fact]
    public void ReadsFromForwardOnlyStreams()
    {
        byte[] file = SafeTensors.Serialize([SafeTensorEntry.FromFloat32("w", [3], [1f, 2f, 3f])]);

        Assert.Equal([1f, 2f, 3f], SafeTensors.Read(new ForwardOnlyStream(file), "forward")["w"].ToFloat32Array());

        var truncated = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new ForwardOnlyStream(file[..^2]), "forward"));
        Assert.Contains("tensor 'w'", truncated.Message);
        Assert.Contains("the file is truncated", truncated.Message);

        var trailing = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new ForwardOnlyStream([.. file, 9]), "forward"));
        Assert.Contains("expected no bytes after the last tensor", trailing.Message);
    }

    [Fact]
    public void RejectsHeaderLengthAboveTheLimit()
    {
        byte[] file = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (16 << 20) + 1);

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(file, "big.safetensors"));

        Assert.Equal("safetensors file 'big.safetensors': the header length is 16777217 bytes: expected at most 16777216.", e.Message);

        BinaryPrimitives.WriteUInt64LittleEndian(file, ulong.MaxValue);
        Assert.Contains("18446744073709551615", Assert.Throws<InvalidDataException>(() => SafeTensors.Read(file, "max")).Message);
    }

    [Fact]
    public void RejectsHeaderLengthBeyondTheFile()
    {
        byte[] file = new byte[50];
        BinaryPrimitives.WriteUInt64LittleEndian(file, 1000);
        string path = Path.Combine(_temp.FullName, "short.safetensors");
        System.IO.File.WriteAllBytes(path, file);

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));

        Assert.Equal($"safetensors file '{path}': the header length is 1000 bytes but only 42 bytes follow the length field.", e.Message);
    }

    [Fact]
    public void RejectsFilesShorterThanTheLengthField()
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new byte[5], "tiny"));

        Assert.Contains("the file holds 5 bytes, too few for the 8-byte header length", e.Message);
    }

    [Theory]
    [InlineData("[-4,4]", "data_offsets [-4,4]: expected two non-negative integers")]
    [InlineData("[0,-8]", "data_offsets [0,-8]: expected two non-negative integers")]
    [InlineData("[0,1.5]", "data_offsets [0,1.5]: expected two non-negative integers")]
    [InlineData("[0]", "data_offsets is [0] (a JSON Array): expected an array of two")]
    [InlineData("\"0,8\"", "data_offsets is \"0,8\" (a JSON String): expected an array of two")]
    [InlineData("[8,0]", "data_offsets [8, 0] end before they begin")]
    [InlineData("[0,1000]", "data_offsets [0, 1000] reach past the end of the data buffer, which holds 8 bytes")]
    [InlineData("[0,99999999999999999999]", "expected two non-negative integers [begin, end] below 2^63")]
    public void RejectsBadOffsets(string offsets, string message)
    {
        byte[] file = File($"{{\"w\":{{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{offsets}}}}}", new byte[8]);

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(file, "offsets"));

        Assert.StartsWith("safetensors file 'offsets', tensor 'w': ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void RejectsLengthThatDoesNotMatchShape()
    {
        byte[] file = File("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]);

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(file, "m"));

        Assert.Equal("safetensors file 'm', tensor 'w': shape [3] of F32 needs 12 bytes but data_offsets [0, 8] span 8.", e.Message);
    }

    [Fact]
    public void RejectsOverlappingTensors()
    {
        byte[] file = File(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
            new byte[12]);

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(file, "overlap"));

        Assert.Equal(
            "safetensors file 'overlap', tensor 'b': data_offsets [4, 12] overlap tensor 'a' at [0, 8]: expected disjoint regions.",
            e.Message);
    }

    [Fact]
    public void RejectsGapsAndUncoveredBytes()
    {
        byte[] gap = File(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
            new byte[12]);
        Assert.Contains("tensor 'b': data_offsets [8, 12] leave bytes 4 to 8 of the data buffer unused",
            Assert.Throws<InvalidDataException>(() => SafeTensors.Read(gap, "gap")).Message);

        byte[] tail = File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[6]);
        Assert.Equal(
            "safetensors file 'tail': the data buffer holds 6 bytes but the tensors cover only the first 4: expected no bytes after the last tensor.",
            Assert.Throws<InvalidDataException>(() => SafeTensors.Read(tail, "tail")).Message);
    }

    [Theory]
    [InlineData("{not json", "the header is not valid JSON")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}", "the header is not valid JSON")]
    [InlineData("[1,2]", "the header starts with 0x5B: expected a JSON object")]
    [InlineData(" {}", "the header starts with 0x20: expected a JSON object")]
    [InlineData("{\"w\":[1]}", "tensor 'w': the header entry is a JSON Array: expected an object")]
    [InlineData("{\"w\":{\"shape\":[],\"data_offsets\":[0,0]}}", "tensor 'w': the header entry has no dtype")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,0]}}", "tensor 'w': shape is missing: expected an array")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,0]}}", "tensor 'w': shape [2,-1] has dimension 1 = -1: expected a non-negative integer")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,0]}}", "tensor 'w': shape [\"2\"] has dimension 0 = \"2\"")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", "tensor 'w': shape [4294967296, 4294967296] of F32 holds more than")]
    [InlineData("{\"__metadata__\":{\"k\":1}}", "'__metadata__' value for key 'k' is a JSON Number: expected a string")]
    [InlineData("{\"__metadata__\":[\"k\"]}", "'__metadata__' is a JSON Array: expected an object of strings")]
    [InlineData("{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}", "tensor 'w' appears twice")]
    public void RejectsMalformedHeaders(string json, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(File(json, []), "bad.safetensors"));

        Assert.StartsWith("safetensors file 'bad.safetensors'", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void RejectsHeaderThatIsNotUtf8()
    {
        byte[] file = File("{\"w\":1}", []);
        file[10] = 0xFF;

        Assert.Contains("the header is not valid UTF-8", Assert.Throws<InvalidDataException>(() => SafeTensors.Read(file, "utf8")).Message);
    }

    [Theory]
    [InlineData("F17")]
    [InlineData("f32")]
    [InlineData("F4")]
    public void RejectsUnknownDtype(string dtype)
    {
        byte[] file = File($"{{\"w\":{{\"dtype\":\"{dtype}\",\"shape\":[1],\"data_offsets\":[0,4]}}}}", new byte[4]);

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(file, "dtype"));

        Assert.Equal(
            $"safetensors file 'dtype', tensor 'w': dtype '{dtype}' is not supported: expected one of " +
            "BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64.",
            e.Message);
    }

    [Fact]
    public void RejectsTruncatedFile()
    {
        byte[] whole = SafeTensors.Serialize(
            [SafeTensorEntry.FromFloat32("a", [4], [1, 2, 3, 4]), SafeTensorEntry.FromFloat32("b", [2], [5, 6])]);
        string path = Path.Combine(_temp.FullName, "cut.safetensors");
        System.IO.File.WriteAllBytes(path, whole[..^3]);

        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));

        Assert.Equal(
            $"safetensors file '{path}', tensor 'b': data_offsets [16, 24] reach past the end of the data buffer, which holds 21 bytes (the file may be truncated).",
            e.Message);
    }

    [Fact]
    public void HugeDeclaredTensorInTinyStreamFailsWithoutHugeAllocation()
    {
        byte[] file = File("{\"w\":{\"dtype\":\"F32\",\"shape\":[500000000],\"data_offsets\":[0,2000000000]}}", [1, 2, 3, 4]);
        Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new ForwardOnlyStream(file), "warm-up"));

        foreach (Func<Stream> open in new Func<Stream>[] { () => new MemoryStream(file), () => new ForwardOnlyStream(file) })
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(open(), "huge"));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Contains("tensor 'w'", e.Message);
            Assert.True(allocated < 4 << 20, $"Allocated {allocated} bytes reading a {file.Length}-byte file.");
        }
    }

    [Fact]
    public void ReplacesAnExistingFile()
    {
        string path = Path.Combine(_temp.FullName, "model.safetensors");
        SafeTensors.Write(path, [SafeTensorEntry.FromFloat32("old", [1], [1f])]);

        SafeTensors.Write(path, [SafeTensorEntry.FromFloat32("new", [2], [2f, 3f])], new Dictionary<string, string> { ["v"] = "2" });

        SafeTensorsContent read = SafeTensors.Read(path);
        Assert.Equal(["new"], read.Tensors.Select(t => t.Name));
        Assert.Equal("2", read.Metadata["v"]);
        Assert.Equal(["model.safetensors"], _temp.GetFiles().Select(f => f.Name));
    }

    [Fact]
    public void FailedWriteLeavesTheExistingFileAndNoTemporaryFile()
    {
        string path = Path.Combine(_temp.FullName, "model.safetensors");
        SafeTensors.Write(path, [SafeTensorEntry.FromFloat32("kept", [2], [4f, 5f])]);
        byte[] original = System.IO.File.ReadAllBytes(path);

        // The tensor data cannot be read once the header is written: the write fails half-way through the file.
        var failing = new FailingMemory(16);
        var broken = new SafeTensorEntry("broken", SafeTensorDType.Float32, [4], failing.CreateMemory());
        var io = Assert.Throws<IOException>(() => SafeTensors.Write(path, [SafeTensorEntry.FromFloat32("a", [1], [1f]), broken]));
        Assert.Equal(FailingMemory.Message, io.Message);

        // Invalid input fails before anything is written.
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(
            path, [SafeTensorEntry.FromFloat32("twice", [1], [1f]), SafeTensorEntry.FromFloat32("twice", [1], [2f])]));

        Assert.Equal(original, System.IO.File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], _temp.GetFiles().Select(f => f.Name));
        Assert.Equal([4f, 5f], SafeTensors.Read(path)["kept"].ToFloat32Array());
    }

    [Fact]
    public void EntryRejectsDataThatDoesNotMatchItsShape()
    {
        var e = Assert.Throws<ArgumentException>(() => SafeTensorEntry.FromFloat32("w", [2, 3], [1f, 2f]));
        Assert.Contains("Tensor 'w': shape [2, 3] of F32 needs 24 bytes but the data holds 8", e.Message);

        Assert.Throws<ArgumentException>(() => new SafeTensorEntry("w", SafeTensorDType.UInt8, [-1], Array.Empty<byte>()));
        Assert.Throws<ArgumentException>(() => new SafeTensorEntry("w", SafeTensorDType.Float64, [long.MaxValue, 2], Array.Empty<byte>()));
        Assert.Throws<ArgumentException>(() => new SafeTensorEntry("__metadata__", SafeTensorDType.UInt8, [0], Array.Empty<byte>()));
        Assert.Throws<ArgumentException>(() => new SafeTensorEntry("w", (SafeTensorDType)99, [0], Array.Empty<byte>()));
    }

    [Fact]
    public void ConversionRequiresTheMatchingDtype()
    {
        SafeTensorEntry entry = SafeTensorEntry.FromInt64("steps", [1], [3]);

        var e = Assert.Throws<InvalidOperationException>(() => entry.ToFloat32Array());

        Assert.Equal("Tensor 'steps': expected F32 elements but the tensor holds I64.", e.Message);
    }

    [Fact]
    public void DtypeCodesAndSizes()
    {
        Assert.Equal("F32", SafeTensors.DTypeCode(SafeTensorDType.Float32));
        Assert.Equal("BF16", SafeTensors.DTypeCode(SafeTensorDType.BFloat16));
        Assert.Equal(8, SafeTensors.ElementSize(SafeTensorDType.Int64));
        Assert.Equal(1, SafeTensors.ElementSize(SafeTensorDType.Bool));
        Assert.True(SafeTensors.TryParseDType("F8_E4M3", out SafeTensorDType parsed));
        Assert.Equal(SafeTensorDType.Float8E4M3, parsed);
        Assert.False(SafeTensors.TryParseDType("C64", out _));
    }

    /// <summary>A file with the given header JSON (padded with spaces to a multiple of 8 when asked) and data.</summary>
    private static byte[] File(string json, byte[] data, bool pad = false)
    {
        byte[] header = Encoding.UTF8.GetBytes(json);
        int length = pad ? (header.Length + 7) / 8 * 8 : header.Length;
        byte[] file = new byte[8 + length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)length);
        file.AsSpan(8, length).Fill((byte)' ');
        header.CopyTo(file, 8);
        data.CopyTo(file, 8 + length);
        return file;
    }

    /// <summary>Memory whose contents cannot be read, standing in for a storage failure during a write.</summary>
    private sealed class FailingMemory(int length) : MemoryManager<byte>
    {
        public const string Message = "Simulated read failure.";

        public Memory<byte> CreateMemory() => CreateMemory(length);

        public override Span<byte> GetSpan() => throw new IOException(Message);

        public override MemoryHandle Pin(int elementIndex = 0) => throw new IOException(Message);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }

    /// <summary>A stream that can only be read forward, with no known length.</summary>
    private sealed class ForwardOnlyStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }
    }
}
