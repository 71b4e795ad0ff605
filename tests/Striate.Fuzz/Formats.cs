using System.IO.Compression;
using System.Text;
using Striate.Data;
using Striate.Embeddings;
using Striate.Imaging;
using Striate.Optim;
using Striate.Serialization;
using Striate.Training;
using StbImageWriteSharp;

namespace Striate.Fuzz;

/// <summary>
/// One format Striate reads: its seeds, the file name a mutated input is written under (in a folder of its own,
/// beside any companion files the loader needs), the loader, and the most a load may allocate for a file of n bytes.
/// </summary>
public sealed record Format(string Name, string FileName, IReadOnlyList<Seed> Seeds, Action<string, string> Load, Func<long, long> Budget, Action<string>? Prepare = null);

/// <summary>The formats fuzzed, each with seeds made by Striate's own writers (or by hand where Striate writes none).</summary>
public static class Formats
{
    private const long MiB = 1 << 20;

    public static IReadOnlyList<Format> All(string scratch)
    {
        var formats = new List<Format>
        {
            new("safetensors", "x.safetensors", [SafeTensorsSeed(scratch, "tensors", metadata: true), SafeTensorsSeed(scratch, "empty", metadata: false)],
                (dir, path) => SafeTensors.Read(path), n => 8 * n + 8 * MiB),
            new("checkpoint", "x.safetensors", [CheckpointSeed(scratch)],
                (dir, path) => Checkpoint.Load(path), n => 8 * n + 64 * MiB),
            new("idx", "t10k-images-idx3-ubyte", [Seed("idx3", Idx3(10), [0, 4, 8, 12, 16, 16 + 784, 16 + 5 * 784], (0, 16))],
                (dir, path) => Idx.Read(path), n => 8 * n + 4 * MiB),
            // Deflate expands at most about 1032 times: a gzip file may hold that much.
            new("idx-gzip", "t10k-images-idx3-ubyte.gz", [Seed("idx3.gz", Gzip(Idx3(10)), [0, 10, 20, 40], (0, 40))],
                (dir, path) => Idx.Read(path), n => 1100 * n + 4 * MiB),
            new("mnist-pair", "t10k-images-idx3-ubyte", [Seed("idx3+labels", Idx3(10), [0, 4, 8, 12, 16, 16 + 784], (0, 16))],
                (dir, path) => FashionMnist.Load(dir, train: false), n => 16 * n + 4 * MiB,
                Prepare: dir => File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte"), Idx1(10))),
            new("mnist-labels", "t10k-labels-idx1-ubyte", [Seed("idx1", Idx1(10), [0, 4, 8, 9], (0, 8))],
                (dir, path) => FashionMnist.Load(dir, train: false), n => 16 * n + 8 * MiB,
                Prepare: dir => File.WriteAllBytes(Path.Combine(dir, "t10k-images-idx3-ubyte"), Idx3(10))),
            new("cifar10", "test_batch.bin", [Seed("cifar10", Cifar(10, 1), [0, 1, 3073, 3074, 2 * 3073], (0, 8))],
                (dir, path) => Striate.Data.Cifar.Load10(dir, train: false), n => 16 * n + 4 * MiB,
                Prepare: dir => { foreach (var f in Striate.Data.Cifar.Cifar10TrainFiles) File.WriteAllBytes(Path.Combine(dir, f), Cifar(2, 1)); }),
            new("cifar100", "test.bin", [Seed("cifar100", Cifar(10, 2), [0, 2, 3074, 3076], (0, 8))],
                (dir, path) => Striate.Data.Cifar.Load100(dir, train: false), n => 16 * n + 4 * MiB,
                Prepare: dir => File.WriteAllBytes(Path.Combine(dir, "train.bin"), Cifar(2, 2))),
            new("png", "x.png", [PngSeed(16, 16, 3), PngSeed(24, 8, 1)], (dir, path) => ImageFile.Load(path, 3), ImageBudget),
            new("jpeg", "x.jpg", [JpegSeed(16, 12, 3, 90), JpegSeed(32, 32, 1, 50)], (dir, path) => ImageFile.Load(path, 3), ImageBudget),
            new("bmp", "x.bmp", [BmpSeed(16, 12)], (dir, path) => ImageFile.Load(path, 1), ImageBudget),
            new("enrolment", "faces.db", [EnrolmentSeed(scratch)], (dir, path) => EnrollmentDatabase.Load(path), n => 8 * n + 8 * MiB),
            new("deepface-head", "head.safetensors", [HeadSeed(scratch)], (dir, path) => DeepFaceHeadFile.Load(path), n => 8 * n + 8 * MiB),
            new("training-log", "run.csv", [TextSeed("log", LogText(scratch))], (dir, path) => TrainingLog.Read(path), n => 16 * n + 2 * MiB),
            new("step-log", "run.steps.csv", [TextSeed("steps", StepsText(scratch))], (dir, path) => StepLog.Read(path), n => 16 * n + 2 * MiB),
            // Read and bound as a module (every node bound, every input checked); an operator Striate lacks is refused
            // as NotSupportedException, which names it, and counts as a refusal here.
            new("onnx", "model.onnx", [OnnxSeed("small", SmallNet(), (1, 8, 8)), OnnxSeed("lenet5", Striate.Models.ModelZoo.Create(new Striate.Models.ModelSpec("lenet5", 10, 1, 28, 28), new Striate.Tensors.Generator(1)), (1, 28, 28)),
                    OnnxSeed("shapes", ShapeGraph()), OnnxSeed("gru-rows", Striate.Models.ModelZoo.Create(new Striate.Models.ModelSpec("gru-rows", 10, 1, 28, 28), new Striate.Tensors.Generator(1)), (1, 28, 28)),
                    .. RealOnnxSeeds()],
                (dir, path) =>
                {
                    try
                    {
                        Striate.Onnx.OnnxModule.Load(path);
                    }
                    catch (NotSupportedException e)
                    {
                        throw new InvalidDataException(e.Message, e);
                    }
                }, n => 8 * n + 8 * MiB),
            // PyTorch's files: the zip and legacy fixtures Debian's PyTorch wrote (tests/Striate.Tests/Fixtures/pth).
            new("pth", "x.pth", [.. PthSeeds()], (dir, path) => PthFile.Read(path), n => 8 * n + 8 * MiB),
        };
        return formats;
    }

    private static IEnumerable<Seed> PthSeeds()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Striate.slnx"))) root = root.Parent;
        string dir = Path.Combine(root?.FullName ?? throw new InvalidOperationException("no Striate.slnx above " + AppContext.BaseDirectory), "tests", "Striate.Tests", "Fixtures", "pth");
        foreach (var file in new[] { "lenet_zip.pth", "lenet_legacy.pth", "hard_zip.pth", "hard_legacy.pth", "checkpoint_nested.pth" })
        {
            byte[] b = File.ReadAllBytes(Path.Combine(dir, file));
            yield return new Seed("pth " + file, b, [0, 4, 30, b.Length / 4, b.Length / 2, b.Length - 22, b.Length - 8], (0, b.Length));
        }
    }

    // An image decodes to at most its pixel budget: three bytes a pixel from the decoder, twelve as floats.
    private static long ImageBudget(long n) => 16 * ImageFile.PixelBudget(n) + 4 * n + 8 * MiB;

    private static Seed Seed(string name, byte[] bytes, int[] boundaries, (int, int) hot) => new(name, bytes, boundaries, hot);

    private static Striate.Nn.Module SmallNet() => new Striate.Nn.Sequential(
        new Striate.Nn.Conv2d(1, 2, 3, generator: new Striate.Tensors.Generator(2)), new Striate.Nn.BatchNorm2d(2), new Striate.Nn.ReLU(),
        new Striate.Nn.MaxPool2d(2), new Striate.Nn.Flatten(), new Striate.Nn.Linear(18, 3, generator: new Striate.Tensors.Generator(3)));

    // An exported model; the structure (everything but the weights' bytes) is where most mutations aim.
    private static Seed OnnxSeed(string name, Striate.Nn.Module model, (int, int, int) input) => OnnxSeed(name, Striate.Onnx.OnnxExport.ToModel(model, input).ToBytes());

    private static Seed OnnxSeed(string name, Striate.Onnx.OnnxModel model) => OnnxSeed(name, model.ToBytes());

    private static Seed OnnxSeed(string name, byte[] b)
    {
        int hot = Math.Min(b.Length, 2048);
        return new Seed("onnx " + name, b, [0, 2, b.Length / 4, b.Length / 2, b.Length - 64, b.Length - 16], (0, hot));
    }

    // Shape arithmetic and Resize as PyTorch writes them: x.view(x.size(0), -1) after a 2x upsampling whose sizes are
    // computed from the input's shape, with Constant nodes of several value attributes.
    private static Striate.Onnx.OnnxModel ShapeGraph()
    {
        static Striate.Onnx.OnnxNode N(string op, string[] inputs, string output, params Striate.Onnx.OnnxAttribute[] attributes) =>
            new() { OpType = op, Inputs = inputs, Outputs = [output], Name = output, Attributes = attributes };
        return new Striate.Onnx.OnnxModel
        {
            IrVersion = 8,
            Opsets = new Dictionary<string, long> { [""] = 13 },
            Graph = new Striate.Onnx.OnnxGraph
            {
                Nodes =
                [
                    N("Constant", [], "two", Striate.Onnx.OnnxAttribute.IntList("value_ints", 1, 1, 2, 2)),
                    N("Constant", [], "minus_one", Striate.Onnx.OnnxAttribute.Tensor("value", Striate.Onnx.OnnxTensor.FromInt64s("", [1], [-1]))),
                    N("Shape", ["x"], "shape"),
                    N("Mul", ["shape", "two"], "sizes"),
                    N("Resize", ["x", "", "", "sizes"], "up", Striate.Onnx.OnnxAttribute.Text("mode", "linear")),
                    N("Slice", ["shape", "zero", "one"], "batch"),
                    N("Concat", ["batch", "minus_one"], "flat_shape", Striate.Onnx.OnnxAttribute.Int("axis", 0)),
                    N("Reshape", ["up", "flat_shape"], "y"),
                ],
                Initializers = [Striate.Onnx.OnnxTensor.FromInt64s("zero", [1], [0]), Striate.Onnx.OnnxTensor.FromInt64s("one", [1], [1])],
                Inputs = [new("x", Striate.Onnx.OnnxDataType.Float, [new(null, "batch"), new(2, null), new(4, null), new(4, null)])],
                Outputs = [new("y", Striate.Onnx.OnnxDataType.Float, null)],
            },
        };
    }

    // The small real models of the ONNX tests (CNTK's preprocessing graph, tf2onnx's BlazeFace) when scripts/fetch-models
    // has filled its cache.
    private static IEnumerable<Seed> RealOnnxSeeds()
    {
        string cache = Striate.Bench.ModelCache.Folder;
        foreach (var file in new[] { "ResNetPreprocess.onnx", "face_detection_front_128x128_barracuda.onnx" })
        {
            string path = Path.Combine(cache, file);
            if (File.Exists(path)) yield return OnnxSeed(Path.GetFileNameWithoutExtension(file), File.ReadAllBytes(path));
            else Console.Error.WriteLine($"onnx: no seed {file} ({path} is missing; scripts/fetch-models fetches it)");
        }
    }

    private static Seed TextSeed(string name, string text)
    {
        byte[] b = Encoding.UTF8.GetBytes(text);
        var lines = new List<int> { 0 };
        for (int i = 0; i < b.Length; i++) if (b[i] == '\n') lines.Add(i + 1);
        return new Seed(name, b, [.. lines], (0, b.Length));
    }

    // A safetensors file's seed: boundaries at the length prefix, the header and each tensor; the header is JSON.
    private static Seed FromSafeTensors(string name, byte[] bytes)
    {
        int n = (int)BitConverter.ToUInt64(bytes, 0);
        var content = SafeTensors.Read(bytes, name);
        var bounds = new List<int> { 0, 4, 8, 8 + n / 2, 8 + n };
        long offset = 8 + n;
        foreach (var t in content.Tensors) bounds.Add((int)(offset += t.Data.Length));
        return new Seed(name, bytes, [.. bounds], (0, 8 + n), (0, 8, 8 + n));
    }

    private static byte[] WrittenBy(string scratch, string name, Action<string> write)
    {
        string path = Path.Combine(scratch, "seed-" + name);
        write(path);
        return File.ReadAllBytes(path);
    }

    private static Seed SafeTensorsSeed(string scratch, string name, bool metadata) =>
        FromSafeTensors(name, WrittenBy(scratch, name + ".safetensors", p => SafeTensors.Write(p, metadata
            ?
            [
                SafeTensorEntry.FromFloat32("conv.weight", [2, 1, 3, 3], Enumerable.Range(0, 18).Select(i => i * 0.1f).ToArray()),
                SafeTensorEntry.FromInt64("steps", [1], [42]),
                SafeTensorEntry.FromFloat64("scale", [2], [0.5, -2]),
            ]
            : [SafeTensorEntry.FromFloat32("empty", [0], [])],
            metadata ? new Dictionary<string, string> { ["format"] = "pt", ["note"] = "seed" } : null)));

    private static Seed CheckpointSeed(string scratch)
    {
        var spec = new Striate.Models.ModelSpec("lenet5", 10, 1, 28, 28);
        return FromSafeTensors("lenet5", WrittenBy(scratch, "checkpoint.safetensors", p => new Checkpoint
        {
            Spec = spec,
            Model = Striate.Models.ModelZoo.Create(spec, new Striate.Tensors.Generator(1)),
            Epoch = 3,
            ClassNames = [.. Enumerable.Range(0, 10).Select(i => $"class {i}")],
            Mean = [0.286f],
            Std = [0.353f],
            Optimizer = new OptimizerConfig(OptimizerKind.Adam, 0.002f),
            Seed = 1,
        }.Save(p)));
    }

    private static Seed EnrolmentSeed(string scratch)
    {
        var db = new EnrollmentDatabase(8, "lenet5 64", "abc");
        db.Enroll("ann", [1, 0, 0, 0, 0, 0, 0, 0]);
        db.Enroll("bob", [0, 1, 0, 0, 0, 0, 0, 0]);
        db.Enroll("cy", [0, 0, 0.6f, 0.8f, 0, 0, 0, 0]);
        return FromSafeTensors("faces", WrittenBy(scratch, "faces.db", db.Save));
    }

    private static Seed HeadSeed(string scratch)
    {
        var head = new DeepFaceSimilarity(8);
        for (int i = 0; i < 8; i++) head.Weight.Data[i] = 0.1f * i;
        return FromSafeTensors("head", WrittenBy(scratch, "head.safetensors", new DeepFaceHeadFile(head, 0.25, "digest").Save));
    }

    private static string LogText(string scratch)
    {
        string csv = Path.Combine(scratch, "seed.csv"), jsonl = Path.Combine(scratch, "seed.jsonl");
        TrainingLog.Append(csv, jsonl, new EpochRecord(1, 0.9, 0.6, 0.8, 0.62, 0.7, 0.7, 0.99, 1000, 2.5, 0.002), restart: true);
        TrainingLog.Append(csv, jsonl, new EpochRecord(2, 0.5, 0.8, null, null, 0.6, 0.78, 0.99, 1100, 2.4, 0.001), restart: false);
        return File.ReadAllText(csv);
    }

    private static string StepsText(string scratch)
    {
        string path = Path.Combine(scratch, "seed.steps.csv");
        using (var log = new StepLog(path, restart: true))
            for (int b = 1; b <= 4; b++) log.Add(new BatchProgress(0, b, 4, 0, 0, 0, TimeSpan.Zero, b == 3 ? null : 2.0 / b, 0.01));
        return File.ReadAllText(path);
    }

    private static byte[] Idx3(int count)
    {
        var b = new byte[16 + count * 784];
        b[2] = 0x08; b[3] = 3;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), count);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(8), 28);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(12), 28);
        for (int i = 16; i < b.Length; i++) b[i] = (byte)(i * 31);
        return b;
    }

    private static byte[] Idx1(int count)
    {
        var b = new byte[8 + count];
        b[2] = 0x08; b[3] = 1;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), count);
        for (int i = 0; i < count; i++) b[8 + i] = (byte)(i % 10);
        return b;
    }

    private static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var z = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) z.Write(data);
        return ms.ToArray();
    }

    private static byte[] Cifar(int records, int labelBytes)
    {
        var b = new byte[records * (labelBytes + 3072)];
        for (int r = 0; r < records; r++)
        {
            int at = r * (labelBytes + 3072);
            for (int l = 0; l < labelBytes; l++) b[at + l] = (byte)(r % 10);
            for (int p = 0; p < 3072; p++) b[at + labelBytes + p] = (byte)(p * 7 + r);
        }
        return b;
    }

    private static float[] Gradient(int w, int h, int c)
    {
        var p = new float[c * h * w];
        for (int i = 0; i < p.Length; i++) p[i] = (i * 37 % 256) / 255f;
        return p;
    }

    private static Seed PngSeed(int w, int h, int c)
    {
        byte[] b = ImageFile.EncodePng(Gradient(w, h, c), c, h, w);
        var bounds = new List<int> { 0, 8 };
        for (int i = 8; i + 8 <= b.Length;)
        {
            int length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(i));
            bounds.Add(i + 8);
            i += 12 + length;
            bounds.Add(i);
        }
        return new Seed($"png {w}x{h}x{c}", b, [.. bounds], (0, 41));
    }

    private static Seed JpegSeed(int w, int h, int c, int quality)
    {
        var bytes = new byte[w * h * c];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(i * 7);
        var ms = new MemoryStream();
        new ImageWriter().WriteJpg(bytes, w, h, c == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue, ms, quality);
        byte[] b = ms.ToArray();
        var bounds = new List<int> { 0, 2 };
        for (int i = 2; i + 4 <= b.Length && b[i] == 0xFF;)
        {
            int length = (b[i + 2] << 8) | b[i + 3];
            bounds.Add(i + 4);
            if (b[i + 1] == 0xDA) { bounds.Add(i + 2 + length); break; }
            i += 2 + length;
            bounds.Add(i);
        }
        bounds.Add(b.Length - 2);
        int scan = bounds[^2];
        return new Seed($"jpeg {w}x{h}x{c}", b, [.. bounds], (0, scan));
    }

    private static Seed BmpSeed(int w, int h)
    {
        var bytes = new byte[w * h * 3];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(i * 5);
        var ms = new MemoryStream();
        new ImageWriter().WriteBmp(bytes, w, h, ColorComponents.RedGreenBlue, ms);
        byte[] b = ms.ToArray();
        return new Seed($"bmp {w}x{h}", b, [0, 2, 14, 18, 26, 30, 54, b.Length / 2], (0, 54));
    }
}
