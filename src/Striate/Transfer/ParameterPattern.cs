namespace Striate.Transfer;

/// <summary>
/// Matches parameter keys ("layer4.1.conv2.weight") against user patterns: a pattern names a parameter or
/// any module above it ("fc", "layer4", "features.0"), and '*' matches any run of characters ("*.bias",
/// "layer*.0.*").
/// </summary>
public static class ParameterPattern
{
    /// <summary>True if <paramref name="key"/> is named by <paramref name="pattern"/> or lies under the module it names.</summary>
    public static bool Matches(string key, string pattern)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        return Glob(key, 0, pattern, 0) || Glob(key, 0, pattern + ".*", 0);
    }

    private static bool Glob(string s, int i, string p, int j)
    {
        while (j < p.Length)
        {
            if (p[j] == '*')
            {
                for (int k = i; k <= s.Length; k++)
                    if (Glob(s, k, p, j + 1)) return true;
                return false;
            }
            if (i >= s.Length || s[i] != p[j]) return false;
            i++;
            j++;
        }
        return i == s.Length;
    }
}
