using Striate.IO;
using Striate.Serialization;
using Striate.Tests.Support;

namespace Striate.Tests.IO;

/// <summary>The one file writer: whole files or nothing, no temporary file left behind, the folder made when missing.</summary>
public class AtomicFileTests
{
    [Fact]
    public void AWriterThatFailsLeavesTheOldFileAndNoTemporaryFile()
    {
        string dir = Repo.TempDir(), path = Path.Combine(dir, "model.bin");
        AtomicFile.WriteAllBytes(path, [1, 2, 3]);
        var e = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write([9, 9, 9, 9, 9]);
            throw new InvalidOperationException("the writer failed half way");
        }));
        Assert.Equal("the writer failed half way", e.Message);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal(["model.bin"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void SafeTensorsWritesThroughItAndMakesTheFolder()
    {
        string path = Path.Combine(Repo.TempDir(), "new", "deeper", "w.safetensors");
        SafeTensors.Write(path, [new SafeTensorEntry("w", SafeTensorDType.Float32, [2], new byte[8])]);
        Assert.Equal("w", Assert.Single(SafeTensors.Read(path).Tensors).Name);
        Assert.Equal(["w.safetensors"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }
}
