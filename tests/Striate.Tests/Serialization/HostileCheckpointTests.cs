using System.Text;
using Striate.Models;
using Striate.Optim;
using Striate.Serialization;
using Striate.Tensors;
using Striate.Tests.Support;
using Striate.Training;

namespace Striate.Tests.Serialization;

/// <summary>
/// Checkpoints and safetensors files whose metadata or header lies: each is an <see cref="InvalidDataException"/>
/// naming what was expected and found, before any large allocation, never another exception type.
/// </summary>
public class HostileCheckpointTests
{
    private static readonly string[] s_names = Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray();

    // A valid LeNet-5 checkpoint, then the same tensors written again with one metadata entry changed.
    private static string Rewrite(string key, Func<string, string> change, Func<IReadOnlyList<SafeTensorEntry>, IReadOnlyList<SafeTensorEntry>>? tensors = null)
    {
        string dir = Repo.TempDir(), good = Path.Combine(dir, "good.safetensors"), bad = Path.Combine(dir, "bad.safetensors");
        var spec = new ModelSpec("lenet5", 10, 1, 28, 28);
        new Checkpoint { Spec = spec, Model = ModelZoo.Create(spec, new Generator(1)), ClassNames = s_names, Mean = [0.3f], Std = [0.35f], Optimizer = new OptimizerConfig(OptimizerKind.Adam, 1e-3f) }.Save(good);
        var content = SafeTensors.Read(good);
        var meta = content.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
        meta[key] = change(meta[key]);
        SafeTensors.Write(bad, tensors?.Invoke(content.Tensors) ?? content.Tensors, meta);
        return bad;
    }

    [Fact]
    public void ASpecAskingForAHugeModelIsRefusedBeforeItIsBuilt()
    {
        // (Without class names, which would have to number 20 million too.)
        string path = Rewrite("model_spec", s => s.Replace("\"num_classes\":10", "\"num_classes\":20000000"));
        var content = SafeTensors.Read(path);
        SafeTensors.Write(path, content.Tensors, content.Metadata.ToDictionary(kv => kv.Key, kv => kv.Key == "class_names" ? "[]" : kv.Value));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        Assert.Contains("far larger than", e.Message);
        // LeNet-5's head alone would be 84 x 20,000,000 floats (6.7 GB); the refusal allocates a few megabytes.
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 200_000_000, "allocated before refusing");
        // An input no file-borne model may take (predict would resize every image to it).
        Assert.Contains("4096 pixels a side", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(Rewrite("model_spec", s => s.Replace("\"input_height\":28", "\"input_height\":20000")))).Message);
    }

    [Theory]
    [InlineData("{\"mean\":[],\"std\":[0.3]}", "1 finite means")]
    [InlineData("{\"mean\":[0.3,0.3],\"std\":[0.3,0.3]}", "1 finite means")]
    [InlineData("{\"mean\":[0.3],\"std\":[0]}", "positive finite deviations")]
    [InlineData("{\"mean\":[1e39],\"std\":[0.3]}", "finite means")]
    public void NormalisationThatCannotNormaliseIsRefused(string normalization, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(Rewrite("normalization", _ => normalization)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void NullClassNamesAndUnusableTensorShapesAreRefused()
    {
        Assert.Contains("null", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(Rewrite("class_names", _ => "[null,\"a\"]"))).Message);
        // An extra tensor of no elements whose shape no tensor can take.
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(Rewrite("epoch", v => v,
            ts => [.. ts, SafeTensorEntry.FromFloat32("z", [2147483647, 2147483647, 0], [])])));
        Assert.Contains("'z'", e.Message);
    }

    [Fact]
    public void AnUnpairedSurrogateOrAHugeRankInTheHeaderIsInvalidData()
    {
        string dir = Repo.TempDir();
        foreach (var (file, header) in new[]
        {
            ("name.safetensors", "{\"a\\udc00\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}"),
            ("meta.safetensors", "{\"__metadata__\":{\"k\":\"\\ud800\"}}"),
            ("rank.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[" + string.Join(",", Enumerable.Repeat("1", 100)) + "],\"data_offsets\":[0,4]}}"),
        })
        {
            string path = Path.Combine(dir, file);
            var h = Encoding.UTF8.GetBytes(header);
            File.WriteAllBytes(path, [.. BitConverter.GetBytes((long)h.Length), .. h, 0, 0, 0, 0]);
            var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
            Assert.Contains(file == "rank.safetensors" ? "expected at most 64" : "not valid Unicode", e.Message);
        }
    }

    [Theory]
    [InlineData("1;2;3")]
    [InlineData("1;99999999999;3;1")]
    [InlineData("1;2;3;0")]
    [InlineData("1;-2;3;0.5")]
    public void ABadPlateauStateIsAFormatError(string state) =>
        Assert.Throws<FormatException>(() => new PlateauSchedule().Restore(state));

    [Fact]
    public void AllocationLimitsNestAndLeaveNothingBehind()
    {
        using (AllocationLimit.Open(1000))
        {
            Tensor.Zeros(10, 10);
            using (AllocationLimit.Open(50))
                Assert.Throws<AllocationLimitExceededException>(() => Tensor.Zeros(10, 10));
            Tensor.Zeros(800);
            Assert.Throws<AllocationLimitExceededException>(() => Tensor.Zeros(200));
        }
        Assert.Equal(1_000_000, Tensor.Zeros(1000, 1000).Numel);
    }
}
