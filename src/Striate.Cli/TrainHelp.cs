namespace Striate.Cli;

/// <summary>
/// <c>striate train --help</c> with its options under four headings (those of classification and every task, those
/// of the embedding tasks, those of the DeepFace task, those of the character-level language model) instead of one list of fifty.
/// </summary>
public static class TrainHelp
{
    /// <summary>The help text with the rows of the "Options:" section sorted under the task headings.</summary>
    public static string Regroup(string help)
    {
        var lines = help.Replace("\r\n", "\n").Split('\n');
        int start = Array.IndexOf(lines, "Options:");
        if (start < 0) return help;
        int end = start + 1;
        while (end < lines.Length && lines[end].Length > 0) end++;
        // A row starts with two spaces and a dash; longer descriptions continue on indented lines.
        var rows = new List<List<string>>();
        for (int i = start + 1; i < end; i++)
        {
            if (lines[i].StartsWith("  -", StringComparison.Ordinal) || rows.Count == 0) rows.Add([]);
            rows[^1].Add(lines[i]);
        }
        var embedding = EmbeddingTask.EmbeddingOptions.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var deepface = DeepFaceTask.Options.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var charlm = CharLmTask.Options.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var segment = SegmentTask.Options.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        string Group(List<string> row)
        {
            var names = row[0].TrimStart().Split("  ")[0].Split([',', ' '], StringSplitOptions.RemoveEmptyEntries);
            return names.Any(deepface.Contains) ? "deepface" : names.Any(embedding.Contains) ? "embedding" : names.Any(charlm.Contains) ? "charlm" : names.Any(segment.Contains) ? "segment" : "common";
        }
        var sb = new System.Text.StringBuilder();
        foreach (var line in lines[..start]) sb.Append(line).Append('\n');
        foreach (var (key, title) in new[]
        {
            ("common", "Options (classification, and those every task reads):"),
            ("embedding", "Options of --task triplet and contrastive (--classes and --pairs also of --task deepface):"),
            ("deepface", "Options of --task deepface (it also reads --classes, --pairs, --epochs, --lr, --seed, --limit, --data, --out, --json, --threads):"),
            ("charlm", "Options of --task charlm (it also reads --epochs (default 10), --batch-size (streams, default 32), --lr (default 0.003), --schedule (cosine or constant), --seed, --out, --validation (default 0.05), --clip-grad-norm (default 5), --json, --threads; --time-limit also serves --task segment):"),
            ("segment", "Options of --task segment (it also reads --model (unet-small, fcn32s-small, fcn16s-small, fcn8s-small), --data, --epochs (default 10), --batch-size (default 32), --lr (default 0.002), --seed, --out, --time-limit, --json, --threads):"),
        })
        {
            sb.Append(title).Append('\n');
            foreach (var row in rows.Where(r => Group(r) == key))
                foreach (var line in row) sb.Append(line).Append('\n');
            sb.Append('\n');
        }
        foreach (var line in lines[(end + 1)..]) sb.Append(line).Append('\n');
        return sb.ToString().TrimEnd('\n') + "\n";
    }
}
