namespace Striate.Cli;

/// <summary>Finds the bundled Fashion-MNIST folder when --data is not given.</summary>
public static class DataLocator
{
    /// <summary>The environment variable that overrides where the bundled data is looked for.</summary>
    public const string EnvironmentVariable = "STRIATE_DATA";

    /// <summary>The data folder: the explicit one, else $STRIATE_DATA, else data/fashion-mnist above the current or program folder.</summary>
    /// <exception cref="CliUsageException">No folder exists; the message lists every place looked at.</exception>
    public static string Resolve(string? explicitFolder)
    {
        if (explicitFolder is not null)
        {
            if (Directory.Exists(explicitFolder)) return explicitFolder;
            throw new CliUsageException($"data folder '{explicitFolder}' does not exist (looked at {Path.GetFullPath(explicitFolder)}).");
        }
        var tried = new List<string>();
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env)
        {
            tried.Add(Path.GetFullPath(env));
            if (Directory.Exists(env)) return env;
        }
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "data", "fashion-mnist");
                if (tried.Contains(candidate)) continue;
                tried.Add(candidate);
                if (Directory.Exists(candidate)) return candidate;
            }
        }
        throw new CliUsageException("no data folder found; pass --data DIR. Looked in: " + string.Join(", ", tried));
    }
}
