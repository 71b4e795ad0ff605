namespace Striate.IO;

/// <summary>The closest valid name to a misspelt one, for "did you mean" hints.</summary>
public static class Spelling
{
    /// <summary>
    /// The name in <paramref name="names"/> closest to <paramref name="given"/> when it is a likely misspelling: the
    /// same letters and digits in any case (resnet-18 for resnet18), or at most max(2, length / 4) edits away; null
    /// otherwise.
    /// </summary>
    public static string? Closest(string given, IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(given);
        ArgumentNullException.ThrowIfNull(names);
        var list = names.ToList();
        string key = Letters(given);
        if (list.FirstOrDefault(n => Letters(n) == key) is { } same) return same;
        if (list.Count == 0) return null;
        var closest = list.MinBy(n => Distance(n.ToLowerInvariant(), given.ToLowerInvariant()))!;
        return Distance(closest.ToLowerInvariant(), given.ToLowerInvariant()) <= Math.Max(2, given.Length / 4) ? closest : null;
    }

    /// <summary>The Levenshtein distance: insertions, deletions and substitutions that turn one text into the other.</summary>
    public static int Distance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int next = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = row[j];
                row[j] = next;
            }
        }
        return row[b.Length];
    }

    private static string Letters(string s) => string.Concat(s.Where(char.IsLetterOrDigit)).ToLowerInvariant();
}
