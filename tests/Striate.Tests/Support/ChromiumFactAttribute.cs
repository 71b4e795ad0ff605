namespace Striate.Tests.Support;

/// <summary>
/// A test that needs a headless Chromium (Debian's <c>chromium</c> package, which .ci/run installs when it can); it
/// is reported as skipped, with the reason, where no browser is installed.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (Browser is null)
            Skip = "no headless Chromium found (looked for chromium, chromium-browser, google-chrome on PATH): install Debian's 'chromium' package to run the HTML report check";
    }

    /// <summary>The browser's full path, or null.</summary>
    public static string? Browser { get; } = Find();

    private static string? Find()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome" })
            foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                string f = Path.Combine(dir, name);
                if (File.Exists(f)) return f;
            }
        return null;
    }
}
