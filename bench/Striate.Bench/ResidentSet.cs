using System.Globalization;

namespace Striate.Bench;

/// <summary>
/// The process's resident set as Linux reports it in /proc/self/status: VmRSS (now) and VmHWM (the high-water
/// mark, the largest VmRSS so far). Other platforms have no such pair of figures here, so they read as unavailable.
/// This file uses no TorchSharp type: the Striate side of a peak-memory measurement must not load it.
/// </summary>
public static class ResidentSet
{
    private const string StatusPath = "/proc/self/status";
    private const string ClearRefsPath = "/proc/self/clear_refs";
    private const string MapsPath = "/proc/self/maps";

    /// <summary>Why no figure can be read on this platform, or null where it can.</summary>
    public static string? Unavailable =>
        !OperatingSystem.IsLinux() ? $"no VmHWM on {System.Runtime.InteropServices.RuntimeInformation.OSDescription} (Linux /proc only)"
        : !File.Exists(StatusPath) ? $"{StatusPath} is missing"
        : null;

    /// <summary>The resident set now and its high-water mark, in bytes.</summary>
    /// <exception cref="PlatformNotSupportedException">The platform has no /proc/self/status (see <see cref="Unavailable"/>).</exception>
    public static (long Current, long Peak) Read()
    {
        if (Unavailable is { } why) throw new PlatformNotSupportedException(why);
        string status = File.ReadAllText(StatusPath);
        return (Field(status, "VmRSS"), Field(status, "VmHWM"));
    }

    /// <summary>
    /// Resets the high-water mark to the current resident set (writing 5 to /proc/self/clear_refs, Linux 4.0 and
    /// later), so a peak read afterwards belongs to what ran since. False where the kernel refused.
    /// </summary>
    public static bool TryResetPeak()
    {
        try
        {
            File.WriteAllText(ClearRefsPath, "5");
            return true;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>The distinct file names mapped into this process whose name contains any of <paramref name="fragments"/>.</summary>
    public static string[] MappedFiles(params string[] fragments)
    {
        if (!File.Exists(MapsPath)) return [];
        return File.ReadLines(MapsPath)
            .Select(line => line.IndexOf('/') is int i and >= 0 ? Path.GetFileName(line[i..]) : null)
            .OfType<string>()
            .Where(name => fragments.Any(f => name.Contains(f, StringComparison.OrdinalIgnoreCase)))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>
    /// Reads one "Name:   12345 kB" line of a /proc status text and returns the value in bytes.
    /// </summary>
    /// <exception cref="FormatException">The field is missing, or its value is not a whole number of kB.</exception>
    public static long Field(string status, string name)
    {
        ArgumentNullException.ThrowIfNull(status);
        foreach (var line in status.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length <= name.Length || line[name.Length] != ':')
                continue;
            string value = line[(name.Length + 1)..].Trim();
            if (!value.EndsWith(" kB", StringComparison.Ordinal)
                || !long.TryParse(value.AsSpan(0, value.Length - 3).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long kib)
                || kib > long.MaxValue / 1024)
                throw new FormatException($"/proc status field {name}: expected a whole number of kB such as '{name}:   12345 kB', found '{line.TrimEnd()}'.");
            return kib * 1024;
        }
        throw new FormatException($"/proc status text has no {name} line (expected '{name}:   12345 kB').");
    }
}
