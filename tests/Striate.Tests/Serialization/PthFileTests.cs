using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Striate.Nn;
using Striate.Serialization;
using Striate.Tests.Support;

namespace Striate.Tests.Serialization;

/// <summary>
/// PyTorch's .pth files read without Python: fixtures written by Debian's PyTorch 1.13.1 (Fixtures/pth, with the
/// script that made them and the tensors each must give), and hand-made hostile pickles and archives.
/// </summary>
public class PthFileTests
{
    private static readonly string s_dir = Path.Combine(Repo.Root, "tests", "Striate.Tests", "Fixtures", "pth");

    private static readonly Lazy<JsonElement> s_expected = new(() => JsonDocument.Parse(File.ReadAllText(Path.Combine(s_dir, "expected.json"))).RootElement);

    private static readonly Dictionary<string, SafeTensorDType> s_types = new()
    {
        ["float32"] = SafeTensorDType.Float32, ["float16"] = SafeTensorDType.Float16, ["bfloat16"] = SafeTensorDType.BFloat16,
        ["float64"] = SafeTensorDType.Float64, ["int64"] = SafeTensorDType.Int64,
    };

    [Theory]
    [InlineData("lenet_zip.pth", "zip")]
    [InlineData("lenet_legacy.pth", "legacy")]
    [InlineData("hard_zip.pth", "zip")]
    [InlineData("hard_legacy.pth", "legacy")]
    [InlineData("checkpoint_nested.pth", "zip")]
    public void EveryTensorPyTorchWroteIsReadExactly(string file, string format)
    {
        var content = PthFile.Read(Path.Combine(s_dir, file));
        Assert.Equal(format, content.Format);
        var want = s_expected.Value.GetProperty(file);
        Assert.Equal(want.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal), content.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        foreach (var t in content.Tensors)
        {
            var w = want.GetProperty(t.Name);
            Assert.Equal(s_types[w.GetProperty("dtype").GetString()!], t.DType);
            Assert.Equal(w.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()), t.Shape);
            var values = w.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            if (t.DType == SafeTensorDType.Float64) Assert.Equal(values, t.ToFloat64Array());
            else if (t.DType == SafeTensorDType.Int64) Assert.Equal(values.Select(v => (long)v), t.ToInt64Array());
            // Half and bfloat16 values are exact in float32.
            Assert.Equal(values.Select(v => (float)v), t.ToFloat32Converted());
        }
    }

    [Fact]
    public void ACheckpointsNestedStateDictIsTakenAndDataParallelsPrefixStripped()
    {
        var content = PthFile.Read(Path.Combine(s_dir, "checkpoint_nested.pth"));
        Assert.Contains(content.Notes, n => n.Contains("took the state dict under 'state_dict'") && n.Contains("'epoch'") && n.Contains("'arch'"));
        Assert.Contains(content.Notes, n => n.Contains("stripped the 'module.' prefix (DataParallel) from all 9 keys"));
        Assert.Contains(content.Tensors, t => t.Name == "conv1.weight");
    }

    [Fact]
    public void AWholePickledModelIsRefusedSayingToSaveTheStateDict()
    {
        var e = Assert.Throws<InvalidDataException>(() => PthFile.Read(Path.Combine(s_dir, "whole_model.pth")));
        Assert.Contains("pickles 'torch.nn.modules.container.Sequential'", e.Message);
        Assert.Contains("save model.state_dict() instead", e.Message);
    }

    [Fact]
    public void AModuleLoadsAPthStateDictLikeSafetensors()
    {
        // The fixture's LeNet: conv1 (2x1x3x3), bn1 (2 channels), fc (8 -> 3).
        var model = new Sequential(("conv1", new Conv2d(1, 2, 3)), ("bn1", new BatchNorm2d(2)), ("fc", new Linear(8, 3)));
        foreach (var file in new[] { "lenet_zip.pth", "lenet_legacy.pth", "checkpoint_nested.pth" })
        {
            model.Load(Path.Combine(s_dir, file));
            var want = s_expected.Value.GetProperty("lenet_zip.pth");
            foreach (var (key, t) in model.StateDict())
                Assert.Equal(want.GetProperty(key).GetProperty("values").EnumerateArray().Select(v => (float)v.GetDouble()), t.ToArray());
        }
    }

    [Fact]
    public void ConvertWritesSafetensorsThatLoadTheSame()
    {
        string dir = Repo.TempDir(), out32 = Path.Combine(dir, "hard32.safetensors"), outAs = Path.Combine(dir, "hard.safetensors");
        var (code, output, err) = CliRun.Run(["convert", Path.Combine(s_dir, "hard_zip.pth"), outAs]);
        Assert.True(code == 0, err);
        Assert.Contains("9 tensors (", output);
        Assert.Contains("F16", output);
        var kept = SafeTensors.Read(outAs);
        Assert.Equal(SafeTensorDType.BFloat16, kept.Tensors.Single(t => t.Name == "bfloat16").DType);
        (code, output, err) = CliRun.Run(["convert", Path.Combine(s_dir, "hard_zip.pth"), out32, "--float32"]);
        Assert.True(code == 0, err);
        var floats = SafeTensors.Read(out32);
        Assert.All(floats.Tensors, t => Assert.Equal(SafeTensorDType.Float32, t.DType));
        var want = s_expected.Value.GetProperty("hard_zip.pth");
        Assert.Equal(want.GetProperty("transposed").GetProperty("values").EnumerateArray().Select(v => (float)v.GetDouble()), floats.Tensors.Single(t => t.Name == "transposed").ToFloat32Array());
        (code, _, err) = CliRun.Run(["convert", Path.Combine(s_dir, "whole_model.pth"), Path.Combine(dir, "x.safetensors")]);
        Assert.Equal(2, code);
        Assert.Contains("save model.state_dict() instead", err);
        Assert.DoesNotContain("   at ", err);
    }

    // A pickle by hand: {'w': _rebuild_tensor_v2(storage(FloatStorage, '0', numel), offset, size, stride, False, OrderedDict())}.
    private static byte[] StateDictPickle(int numel, int offset, int[] size, int[] stride, string global = "torch._utils\n_rebuild_tensor_v2\n", bool memoMiss = false)
    {
        var b = new List<byte> { 0x80, 2, (byte)'}', (byte)'(' };
        void Text(string s)
        {
            var t = Encoding.UTF8.GetBytes(s);
            b.Add(0x8c);
            b.Add((byte)t.Length);
            b.AddRange(t);
        }
        void Global(string s)
        {
            b.Add((byte)'c');
            b.AddRange(Encoding.ASCII.GetBytes(s));
        }
        void Int(int v)
        {
            b.Add((byte)'K');
            b.Add((byte)v);
        }
        Text("w");
        Global(global);
        b.Add((byte)'(');
        b.Add((byte)'(');
        Text("storage");
        Global("torch\nFloatStorage\n");
        Text("0");
        Text("cpu");
        Int(numel);
        b.Add((byte)'t');
        b.Add((byte)'Q');
        Int(offset);
        b.Add((byte)'(');
        foreach (int s in size) Int(s);
        b.Add((byte)'t');
        b.Add((byte)'(');
        foreach (int s in stride) Int(s);
        b.Add((byte)'t');
        b.Add(0x89);
        if (memoMiss)
        {
            b.Add((byte)'h');
            b.Add(99);
        }
        else
        {
            Global("collections\nOrderedDict\n");
            b.Add((byte)')');
            b.Add((byte)'R');
        }
        b.Add((byte)'t');
        b.Add((byte)'R');
        b.Add((byte)'u');
        b.Add((byte)'.');
        return [.. b];
    }

    private static byte[] Zip(byte[] pickle, int storageFloats)
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] data)
            {
                using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                s.Write(data);
            }
            Add("archive/data.pkl", pickle);
            Add("archive/data/0", new byte[4 * storageFloats]);
        }
        return ms.ToArray();
    }

    [Fact]
    public void HostileFilesAreRefusedNamingWhatWasFound()
    {
        string Refused(byte[] bytes) => Assert.Throws<InvalidDataException>(() => PthFile.Read(bytes, "x.pth")).Message;
        // A well-formed file first: a 2x3 tensor read transposed from its storage.
        var ok = PthFile.Read(Zip(StateDictPickle(6, 0, [3, 2], [1, 3]), 6), "x.pth");
        Assert.Equal(new long[] { 3, 2 }, ok.Tensors.Single().Shape);
        Assert.Contains("reaches element 6 of storage '0', which has 6", Refused(Zip(StateDictPickle(6, 1, [2, 3], [3, 1]), 6)));
        Assert.Contains("reaches element 9 of storage '0'", Refused(Zip(StateDictPickle(6, 0, [2, 3], [5, 2]), 6)));
        Assert.Contains("storage '0' holds 4 elements; its tensors were saved with 6", Refused(Zip(StateDictPickle(6, 0, [2, 3], [3, 1]), 4)));
        Assert.Contains("pickles 'os.system', which Striate does not resolve", Refused(Zip(StateDictPickle(6, 0, [2, 3], [3, 1], global: "os\nsystem\n"), 6)));
        Assert.Contains("memo entry 99 does not exist", Refused(Zip(StateDictPickle(6, 0, [2, 3], [3, 1], memoMiss: true), 6)));
        var pickle = StateDictPickle(6, 0, [2, 3], [3, 1]);
        Assert.Contains("ends before its STOP opcode", Refused(Zip(pickle[..^1], 6)));
        Assert.Contains("(archive/data.pkl): pickle opcode at byte", Refused(Zip(pickle[..^10], 6)));
        var strange = pickle.ToArray();
        strange[2] = 0xff;
        Assert.Contains("opcode 0xff", Refused(Zip(strange, 6)));
        var zip = Zip(pickle, 6);
        Assert.Contains("zip archive cannot be read", Refused(zip[..(zip.Length / 2)]));
        Assert.Contains("is not a PyTorch file", Refused(Encoding.ASCII.GetBytes("{\"a\": 1}")));
        // The legacy format: a pickle that is not PyTorch's magic number.
        Assert.Contains("not PyTorch's magic number", Refused([0x80, 2, (byte)'K', 7, (byte)'.']));
    }
}
