namespace Striate.Cli;

/// <summary>Finds the bundled Fashion-MNIST folder when --data is not given.</summary>
public static class DataLocator
{
    /// <summary>The environment variable that overrides where the bundled data is looked for.</summary>
    public const string EnvironmentVariable = "STRIATE_DATA";

    /// <summary>The data folder: the explicit one, else $STRIATE_DATA, else data/fashion-mnist in or above the current folder, else beside the program.</summary>
    /// <exception cref="CliUsageException">No folder exists; the message says in one line how to give one.</exception>
    public static string Resolve(string? explicitFolder)
    {
        if (explicitFolder is not null)
        {
            if (Directory.Exists(explicitFolder)) return explicitFolder;
            throw new CliUsageException($"data folder '{explicitFolder}' does not exist (looked at {Path.GetFullPath(explicitFolder)}).");
        }
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env)
        {
            if (Directory.Exists(env)) return env;
            throw new CliUsageException($"{EnvironmentVariable} names the data folder '{env}', which does not exist (looked at {Path.GetFullPath(env)}).");
        }
        // The current folder and those above it (a clone of the repository), then the program's own folder (the tool
        // package carries the data beside the program).
        var starts = new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory };
        foreach (var start in starts)
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "data", "fashion-mnist");
                if (Directory.Exists(candidate)) return candidate;
            }
        }
        throw new CliUsageException($"no data: pass --data DIR (a folder with the four IDX files of MNIST or Fashion-MNIST, CIFAR-10's batches, or an image folder with train/ and test/) or set {EnvironmentVariable}.");
    }
}
