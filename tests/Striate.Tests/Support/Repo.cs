using Striate.Data;

namespace Striate.Tests.Support;

/// <summary>Paths in the repository and the bundled data, loaded once per test run.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string FashionMnist => Path.Combine(Root, "data", "fashion-mnist");

    private static readonly Lazy<ImageDataset> s_train = new(() => Load(true));
    private static readonly Lazy<ImageDataset> s_test = new(() => Load(false));

    /// <summary>The 60,000 training images scaled to [0, 1].</summary>
    public static ImageDataset Train => s_train.Value;

    /// <summary>The 10,000 test images scaled to [0, 1].</summary>
    public static ImageDataset Test => s_test.Value;

    private static ImageDataset Load(bool train)
    {
        var s = Striate.Data.FashionMnist.Load(FashionMnist, train);
        return ImageDataset.FromBytes(s.Images, s.Labels, s.Count, 1, s.Height, s.Width, Striate.Data.FashionMnist.ClassNames);
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Striate.slnx"))) return d.FullName;
        throw new InvalidOperationException("Cannot find the repository root (Striate.slnx) above " + AppContext.BaseDirectory);
    }

    /// <summary>A fresh empty folder under the system temp folder.</summary>
    public static string TempDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "striate-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }
}
