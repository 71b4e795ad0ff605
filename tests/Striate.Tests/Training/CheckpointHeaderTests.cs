using Striate.Serialization;
using Striate.Tests.Support;
using Striate.Training;

namespace Striate.Tests.Training;

/// <summary>A checkpoint's header tells its spec and settings without reading the weights or building the model.</summary>
public class CheckpointHeaderTests
{
    private static string Fixture => Path.Combine(Repo.Root, "tests", "Striate.Tests", "Fixtures", "Compat", "classifier.safetensors");

    [Fact]
    public void TheHeaderSaysWhatLoadSays()
    {
        var header = Checkpoint.ReadHeader(Fixture);
        var full = Checkpoint.Load(Fixture);
        Assert.Equal(full.Spec, header.Spec);
        Assert.Equal(full.Epoch, header.Epoch);
        Assert.Equal(full.ClassNames, header.ClassNames);
        Assert.Equal(full.Mean, header.Mean);
        Assert.Equal(full.Std, header.Std);
        Assert.Equal(full.Optimizer, header.Optimizer);
        Assert.Equal(full.Seed, header.Seed);
        Assert.Equal(full.Extra.OrderBy(kv => kv.Key), header.Extra.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void TheHeaderReadsNoTensorData()
    {
        // The same header in front of a data buffer cut short: Load must fail on the data, the header read must not.
        string dir = Repo.TempDir(), cut = Path.Combine(dir, "cut.safetensors");
        byte[] bytes = File.ReadAllBytes(Fixture);
        File.WriteAllBytes(cut, bytes[..^1000]);
        Assert.Throws<InvalidDataException>(() => Checkpoint.Load(cut));
        var header = SafeTensors.ReadHeader(Fixture);
        Assert.Contains(header.Tensors, t => t.Name == "conv1.weight" && t.Count == 6 * 1 * 5 * 5);
        Assert.Equal("striate-checkpoint", header.Metadata["format"]);
    }

    [Fact]
    public void AFileThatIsNotACheckpointIsNamed()
    {
        string path = Path.Combine(Repo.TempDir(), "plain.safetensors");
        SafeTensors.Write(path, [SafeTensorEntry.FromFloat32("w", [1], new float[] { 1f })]);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadHeader(path));
        Assert.Contains($"Checkpoint '{path}': expected format 'striate-checkpoint'", e.Message);
    }
}
