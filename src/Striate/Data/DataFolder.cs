namespace Striate.Data;

/// <summary>Recognises a data folder by its files, the one place that decides what a folder holds.</summary>
public static class DataFolder
{
    /// <summary>
    /// CIFAR-10 or CIFAR-100 when their files are there (directly or in their archives' folders); an image folder when
    /// it has both train/ and test/; otherwise IDX files (whose loader says what is missing).
    /// </summary>
    public static DataFolderKind Recognize(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (Cifar.FindCifar10(folder) is not null) return DataFolderKind.Cifar10;
        if (Cifar.FindCifar100(folder) is not null) return DataFolderKind.Cifar100;
        if (Directory.Exists(Path.Combine(folder, "train")) && Directory.Exists(Path.Combine(folder, "test"))) return DataFolderKind.ImageFolder;
        return DataFolderKind.Idx;
    }

    /// <summary>True when the folder has exactly one of train/ and test/: an image folder missing a split.</summary>
    public static bool HasOneSplit(string folder) =>
        Directory.Exists(Path.Combine(folder, "train")) != Directory.Exists(Path.Combine(folder, "test"));

    /// <summary>The kind's name in messages: "idx", "cifar10", "cifar100" or "image-folder".</summary>
    public static string Name(DataFolderKind kind) => kind switch
    {
        DataFolderKind.Cifar10 => "cifar10",
        DataFolderKind.Cifar100 => "cifar100",
        DataFolderKind.ImageFolder => "image-folder",
        _ => "idx",
    };
}
