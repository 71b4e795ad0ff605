using Striate.Tensors;

namespace Striate.Data;

/// <summary>
/// Picks some classes of a labelled dataset and relabels them 0..k-1 in the order given (classes 5-9 of
/// Fashion-MNIST become a five-class problem), optionally keeping a seeded sample of N images per class.
/// </summary>
public static class ClassSelection
{
    /// <summary>
    /// The images of <paramref name="classes"/>, labelled by their position in that list. With
    /// <paramref name="perClass"/> &gt; 0, only that many images of each class, drawn in a random order from
    /// <paramref name="seed"/>; images keep their dataset order otherwise.
    /// </summary>
    /// <exception cref="ArgumentException">A class is out of range or repeated, or a class has fewer than <paramref name="perClass"/> images.</exception>
    public static ImageDataset Select(ImageDataset set, IReadOnlyList<int> classes, int perClass = 0, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Count == 0) throw new ArgumentException("ClassSelection: give at least one class.");
        var position = new Dictionary<int, int>();
        foreach (int c in classes)
        {
            if (c < 0 || c >= set.ClassCount)
                throw new ArgumentException($"ClassSelection: class {c} is out of range; the dataset has classes 0 to {set.ClassCount - 1}.");
            if (!position.TryAdd(c, position.Count)) throw new ArgumentException($"ClassSelection: class {c} is listed twice.");
        }
        var order = perClass > 0 ? new Generator(seed).Permutation(set.Count) : Enumerable.Range(0, set.Count).ToArray();
        var taken = new int[classes.Count];
        var indices = new List<int>();
        foreach (int i in order)
            if (position.TryGetValue(set.Labels[i], out int k) && (perClass <= 0 || taken[k] < perClass))
            {
                taken[k]++;
                indices.Add(i);
            }
        if (perClass > 0)
            for (int k = 0; k < classes.Count; k++)
                if (taken[k] < perClass)
                    throw new ArgumentException($"ClassSelection: class {classes[k]} has {taken[k]} images, fewer than the {perClass} asked for.");
        if (perClass > 0) indices.Sort();
        var pixels = new float[indices.Count * set.ImageSize];
        var labels = new int[indices.Count];
        for (int j = 0; j < indices.Count; j++)
        {
            set.Image(indices[j]).CopyTo(pixels.AsSpan(j * set.ImageSize, set.ImageSize));
            labels[j] = position[set.Labels[indices[j]]];
        }
        var names = classes.Select(c => set.ClassNames[c]).ToList();
        return ImageDataset.FromFloats(pixels, labels, set.Channels, set.Height, set.Width, names);
    }
}
