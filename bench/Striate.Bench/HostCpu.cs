using System.Globalization;

namespace Striate.Bench;

/// <summary>
/// The host's processor as /proc/cpuinfo names it: vendor, family and model numbers, model name and whether it has
/// AVX-512. Results are recorded with these, since ratios (and libtorch's float32 faults) differ between CPU families.
/// </summary>
public sealed record HostCpu(string Vendor, int? Family, int? Model, string ModelName, bool Avx512)
{
    /// <summary>The first processor of /proc/cpuinfo, or an unknown CPU where the file cannot be read.</summary>
    public static HostCpu Read()
    {
        try
        {
            return Parse(File.ReadAllText("/proc/cpuinfo"));
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return new HostCpu("unknown", null, null, "unknown", false);
    }

    /// <summary>Reads the first processor's block of a /proc/cpuinfo text ("key\t: value" lines, blocks split by blank lines).</summary>
    public static HostCpu Parse(string cpuinfo)
    {
        ArgumentNullException.ThrowIfNull(cpuinfo);
        string vendor = "unknown", name = "unknown";
        int? family = null, model = null;
        bool avx512 = false;
        foreach (string raw in cpuinfo.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0)
            {
                if (vendor != "unknown" || name != "unknown") break; // the end of the first processor's block
                continue;
            }
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "vendor_id": vendor = value; break;
                case "cpu family": family = Number(value); break;
                case "model": model = Number(value); break;
                case "model name": name = value; break;
                case "flags": avx512 = value.Split(' ').Contains("avx512f"); break;
            }
        }
        return new HostCpu(vendor, family, model, name, avx512);

        static int? Number(string s) => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : null;
    }

    /// <summary>"AMD EPYC (AuthenticAMD, family 25, model 17, AVX-512)".</summary>
    public override string ToString() =>
        $"{ModelName} ({Vendor}, family {Family?.ToString(CultureInfo.InvariantCulture) ?? "?"}, " +
        $"model {Model?.ToString(CultureInfo.InvariantCulture) ?? "?"}{(Avx512 ? ", AVX-512" : "")})";
}
