using System.Globalization;

namespace Striate.Runs;

/// <summary>
/// The dataset classes a run trained on, as its checkpoint keeps them (metadata "classes", "5,6,7"): embedding runs
/// (the identities) and fine-tuning runs (the classes relabelled 0..k-1 in that order) write it, and evaluation reads
/// it to pick the same classes of a test set.
/// </summary>
public static class TrainedClasses
{
    /// <summary>The metadata key.</summary>
    public const string Key = "classes";

    /// <summary>The classes as the metadata value.</summary>
    public static string Format(IEnumerable<int> classes) => string.Join(",", classes);

    /// <summary>The classes a checkpoint's metadata names, or null when it does not say.</summary>
    /// <exception cref="InvalidDataException">The stored value is not a list of class numbers.</exception>
    public static int[]? Read(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue(Key, out var text)) return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var classes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out classes[i]))
                throw new InvalidDataException($"the model's classes '{text}' are not a list of class numbers.");
        return classes;
    }
}
