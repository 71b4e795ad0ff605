using System.Collections.ObjectModel;

namespace Striate.Serialization;

/// <summary>
/// What a safetensors file holds: its tensors, in the order of their data in the file, and its string metadata.
/// </summary>
public sealed class SafeTensorsContent
{
    private readonly Dictionary<string, SafeTensorEntry> _byName;

    /// <summary>Creates a content object from tensors and metadata.</summary>
    /// <param name="tensors">The tensors; names must be unique.</param>
    /// <param name="metadata">The <c>__metadata__</c> map; null for none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tensors"/> or one of its items is null.</exception>
    /// <exception cref="ArgumentException">Two tensors share a name.</exception>
    public SafeTensorsContent(IReadOnlyList<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        _byName = new Dictionary<string, SafeTensorEntry>(tensors.Count, StringComparer.Ordinal);
        foreach (SafeTensorEntry? entry in tensors)
        {
            ArgumentNullException.ThrowIfNull(entry, nameof(tensors));
            if (!_byName.TryAdd(entry.Name, entry))
            {
                throw new ArgumentException($"Expected unique tensor names but '{entry.Name}' appears twice.", nameof(tensors));
            }
        }

        Tensors = Array.AsReadOnly(tensors.ToArray());
        Metadata = new ReadOnlyDictionary<string, string>(
            metadata is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(metadata, StringComparer.Ordinal));
    }

    /// <summary>The tensors, in the order of their data in the file.</summary>
    public IReadOnlyList<SafeTensorEntry> Tensors { get; }

    /// <summary>The <c>__metadata__</c> map; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public SafeTensorEntry this[string name] =>
        _byName.TryGetValue(name, out SafeTensorEntry? entry)
            ? entry
            : throw new KeyNotFoundException($"Expected a tensor named '{name}' but found only {Tensors.Count} others: {string.Join(", ", _byName.Keys.Take(20).Select(k => $"'{k}'"))}{(Tensors.Count > 20 ? ", ..." : string.Empty)}.");

    /// <summary>Finds the tensor named <paramref name="name"/>.</summary>
    /// <returns><see langword="true"/> if it exists.</returns>
    public bool TryGetTensor(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SafeTensorEntry? entry) =>
        _byName.TryGetValue(name, out entry);
}
