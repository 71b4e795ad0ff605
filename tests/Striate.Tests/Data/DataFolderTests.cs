using Striate.Data;
using Striate.Tests.Support;

namespace Striate.Tests.Data;

/// <summary>A data folder is recognised by its files, as an enum.</summary>
public class DataFolderTests
{
    private static string Folder(params string[] entries)
    {
        string dir = Repo.TempDir();
        foreach (var e in entries)
        {
            string path = Path.Combine(dir, e);
            if (e.EndsWith('/')) Directory.CreateDirectory(path);
            else
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, []);
            }
        }
        return dir;
    }

    [Fact]
    public void EachKindIsRecognisedByItsFiles()
    {
        Assert.Equal(DataFolderKind.Idx, DataFolder.Recognize(Repo.FashionMnist));
        Assert.Equal(DataFolderKind.ImageFolder, DataFolder.Recognize(Folder("train/", "test/")));
        Assert.Equal(DataFolderKind.Cifar10, DataFolder.Recognize(Folder("cifar-10-batches-bin/test_batch.bin")));
        Assert.Equal(DataFolderKind.Cifar100, DataFolder.Recognize(Folder("test.bin")));
        Assert.Equal(DataFolderKind.Cifar100, DataFolder.Recognize(Folder("cifar-100-binary/test.bin")));
    }

    [Fact]
    public void AFolderWithOneSplitIsAnImageFolderMissingOne()
    {
        string one = Folder("train/");
        Assert.Equal(DataFolderKind.Idx, DataFolder.Recognize(one));
        Assert.True(DataFolder.HasOneSplit(one));
        Assert.False(DataFolder.HasOneSplit(Folder("train/", "test/")));
        Assert.Equal("image-folder", DataFolder.Name(DataFolderKind.ImageFolder));
    }
}
