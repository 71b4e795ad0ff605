using System.Buffers.Binary;
using System.IO.Compression;
using Striate.Data;

namespace Striate.Tests.Data;

public sealed class IdxTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("striate-idx-");

    public void Dispose() => _temp.Delete(recursive: true);

    internal static string RepoRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Striate.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No folder containing Striate.slnx above '{AppContext.BaseDirectory}'.");
    }

    private static string FashionFolder => Path.Combine(RepoRoot(), "data", "fashion-mnist");

    [Fact]
    public void LoadsBundledTrainingSet()
    {
        LabeledImageSet set = FashionMnist.Load(FashionFolder, train: true);

        Assert.Equal(60_000, set.Count);
        Assert.Equal(FashionMnist.TrainCount, set.Count);
        Assert.Equal(28, set.Height);
        Assert.Equal(28, set.Width);
        Assert.Equal(10, set.ClassCount);
        Assert.Equal(60_000 * 28 * 28, set.Images.Length);
        Assert.Equal(60_000, set.Labels.Length);
        Assert.Equal(9, set.Labels[0]);
        Assert.Equal("Ankle boot", FashionMnist.ClassNames[set.Labels[0]]);
        Assert.Equal(Enumerable.Repeat(6000, 10), Histogram(set.Labels));

        // Images are not blank: the first one has ink and has a zero background.
        ReadOnlySpan<byte> first = set.Image(0);
        Assert.Equal(28 * 28, first.Length);
        Assert.True(first.ToArray().Max() > 100);
        Assert.Equal(0, first.ToArray().Min());
    }

    [Fact]
    public void LoadsBundledTestSet()
    {
        LabeledImageSet set = FashionMnist.Load(FashionFolder, train: false);

        Assert.Equal(10_000, set.Count);
        Assert.Equal(28, set.Height);
        Assert.Equal(28, set.Width);
        Assert.Equal(Enumerable.Repeat(1000, 10), Histogram(set.Labels));
    }

    [Fact]
    public void ClassNamesAreTheTenFashionMnistClasses()
    {
        Assert.Equal(
            ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
            FashionMnist.ClassNames);
    }

    [Fact]
    public void ReadsBundledGzipFileDirectly()
    {
        IdxArray images = Idx.Read(Path.Combine(FashionFolder, "t10k-images-idx3-ubyte.gz"));

        Assert.Equal(IdxElementType.UnsignedByte, images.ElementType);
        Assert.Equal([10_000, 28, 28], images.Shape);
        Assert.Equal(10_000L * 28 * 28, images.ElementCount);
        Assert.Equal(1, images.ElementSize);
    }

    [Fact]
    public void RawAndGzipFilesGiveTheSameData()
    {
        foreach (string name in new[] { "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
        {
            using var gzip = new GZipStream(File.OpenRead(Path.Combine(FashionFolder, name + ".gz")), CompressionMode.Decompress);
            using FileStream raw = File.Create(Path.Combine(_temp.FullName, name));
            gzip.CopyTo(raw);
        }

        LabeledImageSet fromRaw = FashionMnist.Load(_temp.FullName, train: false);
        LabeledImageSet fromGzip = FashionMnist.Load(FashionFolder, train: false);

        Assert.Equal(fromGzip.Images, fromRaw.Images);
        Assert.Equal(fromGzip.Labels, fromRaw.Labels);
    }

    [Fact]
    public void FindsDottedFileNames()
    {
        WriteFile("train-images.idx3-ubyte", Idx3(2, 1, 3, [1, 2, 3, 4, 5, 6]));
        WriteFile("train-labels.idx1-ubyte", Idx1([7, 3]));

        LabeledImageSet set = FashionMnist.Load(_temp.FullName, train: true);

        Assert.Equal(2, set.Count);
        Assert.Equal(1, set.Height);
        Assert.Equal(3, set.Width);
        Assert.Equal([4, 5, 6], set.Image(1).ToArray());
        Assert.Equal([7, 3], set.Labels);
    }

    [Fact]
    public void ReadsMultiByteElementsAsLittleEndian()
    {
        byte[] file = [0, 0, 0x0C, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0x01, 0x02, 0x03, 0x04, 0xFF, 0xFF, 0xFF, 0xFE];
        IdxArray ints = Idx.Read(new MemoryStream(file), "ints");
        Assert.Equal(IdxElementType.Int32, ints.ElementType);
        Assert.Equal([1, 2], ints.Shape);
        Assert.Equal(0x01020304, BitConverter.ToInt32(ints.Data, 0));
        Assert.Equal(-2, BitConverter.ToInt32(ints.Data, 4));

        byte[] floats = new byte[4 + 4 + 4];
        floats[2] = 0x0D;
        floats[3] = 1;
        BinaryPrimitives.WriteInt32BigEndian(floats.AsSpan(4), 1);
        BinaryPrimitives.WriteSingleBigEndian(floats.AsSpan(8), 1.5f);
        Assert.Equal(1.5f, BitConverter.ToSingle(Idx.Read(new MemoryStream(floats), "floats").Data, 0));

        byte[] doubles = [0, 0, 0x0E, 1, 0, 0, 0, 1, .. BitConverter.GetBytes(-0.25).Reverse()];
        Assert.Equal(-0.25, BitConverter.ToDouble(Idx.Read(new MemoryStream(doubles), "doubles").Data, 0));

        byte[] shorts = [0, 0, 0x0B, 1, 0, 0, 0, 1, 0x80, 0x01];
        Assert.Equal(unchecked((short)0x8001), BitConverter.ToInt16(Idx.Read(new MemoryStream(shorts), "shorts").Data, 0));

        byte[] signed = [0, 0, 0x09, 1, 0, 0, 0, 1, 0xFF];
        IdxArray sbytes = Idx.Read(new MemoryStream(signed), "sbytes");
        Assert.Equal(IdxElementType.SignedByte, sbytes.ElementType);
        Assert.Equal(-1, (sbyte)sbytes.Data[0]);
    }

    [Fact]
    public void RejectsBadMagicNumber()
    {
        string path = WriteFile("bad-magic", [0x01, 0x02, 0x08, 0x01, 0, 0, 0, 1, 5]);

        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(path));

        Assert.Contains(path, e.Message);
        Assert.Contains("magic number 0x01020801 is not an IDX magic number", e.Message);
        Assert.Contains("expected two zero bytes", e.Message);
    }

    [Fact]
    public void RejectsUnknownElementType()
    {
        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(new MemoryStream([0, 0, 0x0A, 1, 0, 0, 0, 1, 5]), "wrong-type"));

        Assert.Contains("IDX file 'wrong-type'", e.Message);
        Assert.Contains("element type code 0x0A", e.Message);
        Assert.Contains("0x08 (unsigned byte)", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(255)]
    public void RejectsRankOutOfRange(byte rank)
    {
        byte[] file = [0, 0, 0x08, rank, .. new byte[4 * rank], 1];

        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(new MemoryStream(file), "rank"));

        Assert.Contains($"declares {rank} dimensions: expected 1 to 4", e.Message);
    }

    [Fact]
    public void RejectsZeroDimension()
    {
        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(new MemoryStream([0, 0, 8, 2, 0, 0, 0, 3, 0, 0, 0, 0]), "zero"));

        Assert.Contains("dimension 1 of 2 is 0", e.Message);
    }

    [Fact]
    public void RejectsTooShortInputs()
    {
        var empty = Assert.Throws<InvalidDataException>(() => Idx.Read(new MemoryStream([]), "empty"));
        Assert.Contains("holds 0 bytes, too few for the 4-byte magic number", empty.Message);

        var dims = Assert.Throws<InvalidDataException>(() => Idx.Read(new MemoryStream([0, 0, 8, 3, 0, 0, 0, 1, 0, 0]), "dims"));
        Assert.Contains("declares 3 dimensions (12 bytes of sizes) but only 6 bytes follow", dims.Message);
    }

    [Fact]
    public void RejectsTruncatedRawFile()
    {
        byte[] file = Idx3(100, 28, 28, new byte[100 * 28 * 28]);
        string path = WriteFile("train-images-idx3-ubyte", file.AsSpan(0, 16 + 1234).ToArray());

        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(path));

        Assert.Equal($"IDX file '{path}': header declares 100 x 28 x 28 = 78400 bytes of data but only 1234 remain.", e.Message);
    }

    [Fact]
    public void RejectsTruncatedGzipContent()
    {
        // A complete gzip stream whose decompressed IDX data is short.
        byte[] file = Idx3(100, 28, 28, new byte[100 * 28 * 28]);
        string path = WriteFile("short.gz", Gzip(file.AsSpan(0, 16 + 1234).ToArray()));

        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(path));

        Assert.Equal($"IDX file '{path}': header declares 100 x 28 x 28 = 78400 bytes of data but only 1234 remain.", e.Message);
    }

    [Fact]
    public void RejectsTruncatedGzipStream()
    {
        // The real labels file with its compressed stream cut in half.
        byte[] whole = File.ReadAllBytes(Path.Combine(FashionFolder, "t10k-labels-idx1-ubyte.gz"));
        string path = WriteFile("t10k-labels-idx1-ubyte.gz", whole.AsSpan(0, whole.Length / 2).ToArray());

        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(path));

        Assert.StartsWith($"IDX file '{path}': ", e.Message);
        Assert.True(
            e.Message.Contains("header declares 10000 = 10000 bytes of data but only", StringComparison.Ordinal)
            || e.Message.Contains("gzip data is corrupt", StringComparison.Ordinal),
            e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(8)]
    public void RejectsGzipFileCutInsideItsTrailer(int cut)
    {
        // The decompressor accepts a missing or partial trailer; the reader must not.
        byte[] whole = File.ReadAllBytes(Path.Combine(FashionFolder, "t10k-labels-idx1-ubyte.gz"));
        string path = WriteFile("t10k-labels-idx1-ubyte.gz", whole.AsSpan(0, whole.Length - cut).ToArray());

        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(path));

        Assert.StartsWith($"IDX file '{path}': the gzip data does not end with the CRC-32 and length of its last member", e.Message);
        Assert.Contains("matching the 10008 decompressed bytes", e.Message);
    }

    [Fact]
    public void RejectsBytesAfterTheGzipStream()
    {
        byte[] whole = File.ReadAllBytes(Path.Combine(FashionFolder, "t10k-labels-idx1-ubyte.gz"));

        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(new MemoryStream([.. whole, 0, 0, 0, 0]), "padded.gz"));

        Assert.Contains("the gzip data does not end with the CRC-32 and length of its last member", e.Message);
    }

    [Fact]
    public void ReadsConcatenatedGzipMembers()
    {
        byte[] file = Idx1([.. Enumerable.Range(0, 300).Select(i => (byte)(i % 10))]);
        foreach (int split in new[] { 3, 8, 100 })
        {
            byte[] gzip = [.. Gzip(file[..split]), .. Gzip(file[split..])];

            IdxArray labels = Idx.Read(new MemoryStream(gzip), "members.gz");

            Assert.Equal(file[8..], labels.Data);
        }
    }

    [Fact]
    public void Crc32MatchesTheStandardCheckValue()
    {
        byte[] check = "123456789"u8.ToArray();
        Assert.Equal(0xCBF43926u, Striate.IO.Crc32.Append(0, check));
        Assert.Equal(0xCBF43926u, Striate.IO.Crc32.Append(Striate.IO.Crc32.Append(0, check[..5]), check[5..]));
        Assert.Equal(0u, Striate.IO.Crc32.Append(0, []));
    }

    [Fact]
    public void RejectsCorruptGzipStream()
    {
        byte[] file = Gzip(Idx1(new byte[5000]));
        for (int i = 12; i < file.Length - 8; i++)
        {
            file[i] ^= 0x5A;
        }

        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(new MemoryStream(file), "corrupt.gz"));

        Assert.StartsWith("IDX file 'corrupt.gz': ", e.Message);
    }

    [Fact]
    public void RejectsTrailingData()
    {
        byte[] file = [.. Idx1([1, 2, 3]), 0xAA, 0xBB];

        var raw = Assert.Throws<InvalidDataException>(() => Idx.Read(WriteFile("trailing", file)));
        Assert.Contains("header declares 3 = 3 bytes of data but 5 remain: 2 bytes of trailing data", raw.Message);

        var gzip = Assert.Throws<InvalidDataException>(() => Idx.Read(WriteFile("trailing.gz", Gzip(file))));
        Assert.Contains("header declares 3 = 3 bytes of data but more follow: expected no trailing data", gzip.Message);

        var stream = Assert.Throws<InvalidDataException>(() => Idx.Read(new ForwardOnlyStream(file), "forward"));
        Assert.Contains("but more follow", stream.Message);
    }

    [Fact]
    public void AGzipFileWithTrailingDataIsRefusedWithoutDecompressingTheRest()
    {
        // 3 bytes of data, then 64 MiB of zeros: about 64 KiB compressed.
        byte[] bomb = Gzip([.. Idx1([1, 2, 3]), .. new byte[64 << 20]]);
        var source = new MemoryStream(bomb);
        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(source, "bomb.gz"));
        Assert.Contains("but more follow", e.Message);
        Assert.True(source.Position < bomb.Length / 4, $"read {source.Position} of {bomb.Length} compressed bytes");
    }

    [Fact]
    public void RejectsDimensionBeyondInt32()
    {
        byte[] file = [0, 0, 8, 1, 0x80, 0, 0, 0, 1, 2, 3];

        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(new MemoryStream(file), "labels"));

        Assert.Contains("dimension 0 of 1 is 2147483648: expected a size from 1 to 2147483647", e.Message);
    }

    [Fact]
    public void RejectsDataBeyondLargestArray()
    {
        // 2^20 x 2^10 x 2^10 = 2^40 bytes.
        byte[] file = [0, 0, 8, 3, 0, 0x10, 0, 0, 0, 0, 4, 0, 0, 0, 4, 0, 1];

        var e = Assert.Throws<InvalidDataException>(() => Idx.Read(new MemoryStream(file), "huge"));

        Assert.Contains("header declares 1048576 x 1024 x 1024 (or more) bytes of data: expected at most 1073741824", e.Message);
    }

    [Fact]
    public void HugeDeclaredSizeInTinyFileFailsWithoutHugeAllocation()
    {
        // 2^30 - 100 one-byte elements: a valid size, but the file holds 3 bytes of data.
        byte[] file = [0, 0, 8, 1, 0x3F, 0xFF, 0xFF, 0x9B, 1, 2, 3];
        string rawPath = WriteFile("huge-raw", file);
        string gzipPath = WriteFile("huge.gz", Gzip(file));

        // Warm up (JIT, file system caches) so the measurement sees only the reads themselves.
        Assert.Throws<InvalidDataException>(() => Idx.Read(rawPath));
        Assert.Throws<InvalidDataException>(() => Idx.Read(gzipPath));
        Assert.Throws<InvalidDataException>(() => Idx.Read(new ForwardOnlyStream(file), "forward"));

        foreach (Func<IdxArray> read in new Func<IdxArray>[]
                 {
                     () => Idx.Read(rawPath),
                     () => Idx.Read(gzipPath),
                     () => Idx.Read(new ForwardOnlyStream(file), "forward"),
                 })
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<InvalidDataException>(read);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Contains("header declares 1073741723 = 1073741723 bytes of data but only 3 remain", e.Message);
            Assert.True(allocated < 4 << 20, $"Allocated {allocated} bytes reading a {file.Length}-byte file.");
        }
    }

    [Fact]
    public void RejectsLabelCountMismatch()
    {
        WriteFile("train-images-idx3-ubyte", Idx3(3, 2, 2, new byte[12]));
        string labels = WriteFile("train-labels-idx1-ubyte", Idx1([0, 1, 2, 3]));

        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_temp.FullName, train: true));

        Assert.Contains(labels, e.Message);
        Assert.Contains("holds 4 labels", e.Message);
        Assert.Contains("holds 3 images", e.Message);
    }

    [Fact]
    public void RejectsLabelOutOfRange()
    {
        WriteFile("t10k-images-idx3-ubyte", Idx3(3, 1, 1, [1, 2, 3]));
        WriteFile("t10k-labels-idx1-ubyte.gz", Gzip(Idx1([0, 10, 2])));

        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_temp.FullName, train: false));

        Assert.Contains("label 1 is 10: expected 0 to 9", e.Message);
    }

    [Fact]
    public void RejectsImagesThatAreNotThreeDimensional()
    {
        WriteFile("t10k-images-idx3-ubyte", Idx1([1, 2, 3]));
        WriteFile("t10k-labels-idx1-ubyte", Idx1([0, 1, 2]));

        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_temp.FullName, train: false));

        Assert.Contains("expected images as unsigned bytes (0x08) of shape N x H x W but found UnsignedByte (0x08) of shape 3", e.Message);
    }

    [Fact]
    public void MissingFolderListsEveryPathLookedAt()
    {
        string folder = Path.Combine(_temp.FullName, "nowhere");

        var e = Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Load(folder, train: true));

        Assert.Contains(folder, e.Message);
        foreach (string name in MnistFormat.FileNames(train: true, labels: false).Concat(MnistFormat.FileNames(train: true, labels: true)))
        {
            Assert.Contains(Path.Combine(folder, name), e.Message);
        }

        Assert.Contains("train-images-idx3-ubyte.gz", e.Message);
        Assert.Contains("train-labels-idx1-ubyte", e.Message);
    }

    [Fact]
    public void MissingFileListsEveryPathLookedAt()
    {
        WriteFile("t10k-images-idx3-ubyte", Idx3(1, 1, 1, [1]));

        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(_temp.FullName, train: false));

        Assert.Contains("test labels", e.Message);
        foreach (string name in new[] { "t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte", "t10k-labels-idx1-ubyte.gz" })
        {
            Assert.Contains(Path.Combine(_temp.FullName, name), e.Message);
        }
    }

    private static int[] Histogram(byte[] labels)
    {
        int[] counts = new int[10];
        foreach (byte label in labels)
        {
            counts[label]++;
        }

        return counts;
    }

    private static byte[] Idx1(byte[] values)
    {
        byte[] file = new byte[8 + values.Length];
        file[2] = 0x08;
        file[3] = 1;
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(4), values.Length);
        values.CopyTo(file, 8);
        return file;
    }

    private static byte[] Idx3(int count, int height, int width, byte[] pixels)
    {
        byte[] file = new byte[16 + pixels.Length];
        file[2] = 0x08;
        file[3] = 3;
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(8), height);
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(12), width);
        pixels.CopyTo(file, 16);
        return file;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private string WriteFile(string name, byte[] contents)
    {
        string path = Path.Combine(_temp.FullName, name);
        File.WriteAllBytes(path, contents);
        return path;
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
