using Striate.Data;

namespace Striate.Cli;

/// <summary>Loads an IDX folder as an image dataset, turning file problems into usage errors.</summary>
public static class Datasets
{
    public static ImageDataset LoadIdx(string folder, bool train)
    {
        var set = FashionMnist.Load(folder, train);
        var names = set.ClassCount == FashionMnist.ClassNames.Count && IsFashion(folder) ? FashionMnist.ClassNames
            : Enumerable.Range(0, Math.Max(set.ClassCount, set.Labels.DefaultIfEmpty().Max() + 1)).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        return ImageDataset.FromBytes(set.Images, set.Labels, set.Count, 1, set.Height, set.Width, names);
    }

    private static bool IsFashion(string folder) => !Path.GetFileName(Path.GetFullPath(folder).TrimEnd('/')).Equals("mnist", StringComparison.OrdinalIgnoreCase);
}
