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

    private static readonly Lazy<string> s_runDir = new(CreateRunDir);

    /// <summary>
    /// A fresh empty folder under this test process's own folder in the system temp folder. The process folder is
    /// deleted when the process exits, and folders left by test processes that no longer run (killed ones) are swept
    /// when the next one starts, so test runs do not fill the disk.
    /// </summary>
    public static string TempDir()
    {
        string d = Path.Combine(s_runDir.Value, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    private static string CreateRunDir()
    {
        string root = Path.Combine(Path.GetTempPath(), "striate-tests");
        Directory.CreateDirectory(root);
        foreach (var old in Directory.EnumerateDirectories(root))
        {
            string name = Path.GetFileName(old);
            int dash = name.IndexOf('-');
            bool alive = dash > 0 && int.TryParse(name.AsSpan(0, dash), out int pid) && IsRunning(pid);
            if (!alive)
                try { Directory.Delete(old, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        string dir = Path.Combine(root, $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        return dir;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}
