using System.Buffers.Binary;
using System.IO.Compression;
using Striate.Cli;
using Striate.Embeddings;
using Striate.Imaging;
using Striate.Serialization;
using Striate.Tests.Support;
using Striate.Training;

namespace Striate.Tests.Robustness;

/// <summary>The faults a fuzzing run found in the loaders and the command line, each as it behaves now.</summary>
[Collection(nameof(SerialCollection))]
public class HostileInputFaultTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    private static long Allocated(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void AnEnrolmentDatabaseWithANullNameIsInvalidDataNamingTheFile()
    {
        string path = Path.Combine(Repo.TempDir(), "faces.db");
        SafeTensors.Write(path, [SafeTensorEntry.FromFloat32("embeddings", [2, 4], new float[8])],
            new Dictionary<string, string> { ["format"] = EnrollmentDatabase.Format, ["format_version"] = "1", ["names"] = "[\"ann\",null]" });
        var e = Assert.Throws<InvalidDataException>(() => EnrollmentDatabase.Load(path));
        Assert.Equal($"enrolment database '{path}': name 1 is null; every identity needs a name.", e.Message);

        SafeTensors.Write(path, [SafeTensorEntry.FromFloat32("embeddings", [1, 4], new float[4])],
            new Dictionary<string, string> { ["format"] = EnrollmentDatabase.Format, ["format_version"] = "2", ["names"] = "[\"ann\"]" });
        Assert.Contains("has format version '2'; this Striate reads version 1", Assert.Throws<InvalidDataException>(() => EnrollmentDatabase.Load(path)).Message);

        // A folder given as the database is refused at once, with exit code 2.
        string folder = Repo.TempDir();
        var (code, _, err) = Run("enroll", "--model", "none.safetensors", "--db", folder, "ann", "test:0");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains($"--db '{folder}' cannot be written: '{folder}' is a folder", err);
        (code, _, err) = Run("identify", "--model", "none.safetensors", "--db", folder, "test:0");
        Assert.Equal(StriateCli.UsageError, code);
    }

    [Fact]
    public void ADeepFaceHeadWithWeightsOfAnotherTypeIsInvalidDataNamingTheFile()
    {
        string path = Path.Combine(Repo.TempDir(), "head.safetensors");
        new DeepFaceHeadFile(new DeepFaceSimilarity(4), 0.5, "digest").Save(path);
        var content = SafeTensors.Read(path);
        var tensors = content.Tensors.Select(t => t.Name == "weight" ? new SafeTensorEntry("weight", SafeTensorDType.UInt32, [4], new byte[16]) : t).ToList();
        SafeTensors.Write(path, tensors, content.Metadata);
        var e = Assert.Throws<InvalidDataException>(() => DeepFaceHeadFile.Load(path));
        Assert.Equal($"'{path}' needs F32 tensors weight and bias; found U32 and F32.", e.Message);
    }

    // A baseline JPEG of one gray component whose frame declares height x width, with one byte of scan data.
    private static byte[] TinyJpeg(int height, int width) =>
    [
        0xFF, 0xD8,
        0xFF, 0xC0, 0, 11, 8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 1, 1, 0x11, 0,
        0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0,
        0x00,
        0xFF, 0xD9,
    ];

    private static byte[] Chunk(string type, ReadOnlySpan<byte> data, uint? declared = null)
    {
        var c = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(c, declared ?? (uint)data.Length);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(c, 4);
        data.CopyTo(c.AsSpan(8));
        return c; // the CRC is left zero: the checks here come before the decoder's
    }

    private static byte[] Png(uint width, uint height, byte[] idat, uint? idatLength = null)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // 8-bit gray
        return [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, .. Chunk("IHDR", ihdr), .. Chunk("IDAT", idat, idatLength), .. Chunk("IEND", [])];
    }

    [Fact]
    public void ATinyFileThatDeclaresAHugeImageIsRefusedBeforeDecoding()
    {
        string dir = Repo.TempDir(), jpeg = Path.Combine(dir, "tiny.jpg");
        File.WriteAllBytes(jpeg, TinyJpeg(8192, 8192));
        InvalidDataException? e = null;
        long bytes = Allocated(() => e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(jpeg, 3)));
        Assert.Contains($"declares 8192x8192 pixels in 28 bytes; a file of that size may declare at most {ImageFile.FreePixels}", e!.Message);
        Assert.True(bytes < 1 << 20, $"allocated {bytes} bytes");

        // An all-zero 8192x8192 PNG compresses to about 200 KB: still hundreds of pixels a byte.
        var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.SmallestSize, leaveOpen: true)) z.Write(new byte[8192 * 8193]);
        string png = Path.Combine(dir, "zeros.png");
        File.WriteAllBytes(png, Png(8192, 8192, raw.ToArray()));
        Assert.InRange(new FileInfo(png).Length, 50_000, 400_000);
        bytes = Allocated(() => e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(png, 1)));
        Assert.Contains("declares 8192x8192 pixels in", e!.Message);
        Assert.True(bytes < 2 * new FileInfo(png).Length + (1 << 20), $"allocated {bytes} bytes");

        // The same picture at 1024x1024 is within the free budget and decodes.
        raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.SmallestSize, leaveOpen: true)) z.Write(new byte[1024 * 1025]);
        File.WriteAllBytes(png, Png(1024, 1024, raw.ToArray()));
        Assert.Equal((1024, 1024), (ImageFile.Load(png, 1).Height, ImageFile.Load(png, 1).Width));

        // predict refuses the tiny JPEG with exit code 2 and the reason.
        var (code, _, err) = Run("predict", "--model", Visualization.TrainedLeNet.Model, jpeg);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("declares 8192x8192 pixels in 28 bytes", err);
    }

    [Fact]
    public void APngChunkLongerThanTheFileIsRefusedWithoutAllocatingIt()
    {
        string path = Path.Combine(Repo.TempDir(), "long-idat.png");
        File.WriteAllBytes(path, Png(16, 16, new byte[100], idatLength: 0x7FFFFFC7));
        InvalidDataException? e = null;
        long bytes = Allocated(() => e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(path, 3)));
        Assert.Equal($"Image file '{path}' is a truncated PNG: chunk 'IDAT' at byte 33 declares 2147483591 bytes, 112 remain.", e!.Message);
        Assert.True(bytes < 1 << 20, $"allocated {bytes} bytes");
    }

    [Fact]
    public void AValidPngTooLargeToDecodeSaysSoInsteadOfNotAnImage()
    {
        string path = Path.Combine(Repo.TempDir(), "wide.png");
        File.WriteAllBytes(path, Png(100_000, 100_000, new byte[64]));
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.Load(path, 3));
        Assert.Equal($"Image file '{path}' is 100000x100000 pixels; the limit is {ImageFile.MaxPixels} pixels.", e.Message);
        File.WriteAllBytes(path, Png(0, 5, new byte[64]));
        Assert.Contains("declares an image of 0x5 pixels", Assert.Throws<InvalidDataException>(() => ImageFile.Load(path, 3)).Message);
        // A PNG whose data the decoder cannot read says why (never a blank reason).
        File.WriteAllBytes(path, Png(4, 4, [1, 2, 3, 4, 5]));
        var bad = Assert.Throws<InvalidDataException>(() => ImageFile.Load(path, 3));
        Assert.Matches(@"could not be decoded as PNG: \S", bad.Message);
    }

    [Theory]
    [InlineData("evaluate --model m.safetensors --tta 2147483647", "--tta must be from 1 to 100")]
    [InlineData("visualize receptive-field -m lenet5 -l conv2 --samples 1000000 -o x.png", "--samples must be from 1 to 4096")]
    [InlineData("train --epochs 2147483647", "--epochs must be from 1 to 100000")]
    [InlineData("summary lenet5 --classes 2147483647", "--classes must be from 1 to 100000")]
    [InlineData("summary resnet152 --input 1000000x224x224", "expected at most 4096 channels and 8192 pixels a side, got 1000000x224x224")]
    [InlineData("visualize filters -m lenet5 --input 5000x28x28 -o x.png", "expected at most 4096 channels and 8192 pixels a side")]
    public void CountsAndSizesHaveUpperBounds(string command, string message)
    {
        var (code, output, err) = Run(command.Split(' '));
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains(message, err);
        Assert.Equal("", output);
    }

    [Fact]
    public void CheckpointsThatWouldGiveSilentlyWrongAnswersAreRefused()
    {
        string dir = Repo.TempDir(), good = Path.Combine(dir, "good.safetensors");
        var ck = new Checkpoint
        {
            Spec = new Striate.Models.ModelSpec("lenet5", 10, 1, 28, 28),
            Model = Striate.Models.ModelZoo.Create(new Striate.Models.ModelSpec("lenet5", 10, 1, 28, 28)),
            ClassNames = [.. Enumerable.Range(0, 10).Select(i => $"c{i}")],
            Mean = [0.5f],
            Std = [0.25f],
        };
        ck.Save(good);
        foreach (var (key, value, message) in new[]
        {
            ("class_names", "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]", "class_names lists 9 names for 10 classes"),
            ("class_names", $"[{string.Join(",", Enumerable.Range(0, 20).Select(i => $"\"n{i}\""))}]", "class_names lists 20 names for 10 classes"),
            ("format_version", "2", "has format version '2'; this Striate reads version 1"),
        })
        {
            var content = SafeTensors.Read(good);
            var meta = content.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
            meta[key] = value;
            string bad = Path.Combine(dir, "bad.safetensors");
            SafeTensors.Write(bad, content.Tensors, meta);
            Assert.Contains(message, Assert.Throws<InvalidDataException>(() => Checkpoint.Load(bad)).Message);
            var (code, _, err) = Run("predict", "--model", bad, "--index", "0");
            Assert.Equal(StriateCli.UsageError, code);
            Assert.Contains(message, err);
        }

        // An embedding model is not a classifier: predict, evaluate and report say what to use instead.
        string emb = Path.Combine(dir, "emb.safetensors");
        Assert.Equal(0, Run("train", "--task", "triplet", "--epochs", "1", "--limit", "300", "--trials", "1", "--out", emb).Code);
        foreach (var verb in new[] { "predict --index 0 --model", "evaluate --model", "report -o r.html --model" })
        {
            var (code, output, err) = Run([.. verb.Split(' '), emb]);
            Assert.Equal(StriateCli.UsageError, code);
            Assert.Contains("is an embedding model (64-value embeddings, no class scores)", err);
            Assert.DoesNotContain("accuracy", output);
        }
    }

    [Fact]
    public void ASafetensorsHeaderOfTooManyTensorsIsRefused()
    {
        var json = new System.Text.StringBuilder("{");
        for (int i = 0; i <= SafeTensors.MaxTensors; i++) json.Append(i == 0 ? "" : ",").Append($"\"t{i}\":{{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}");
        json.Append('}');
        byte[] header = System.Text.Encoding.UTF8.GetBytes(json.ToString());
        var file = new byte[8 + header.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(file, "many"));
        Assert.Contains($"the header lists more than {SafeTensors.MaxTensors} tensors", e.Message);
    }
}
