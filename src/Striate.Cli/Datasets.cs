using Striate.Data;

namespace Striate.Cli;

/// <summary>
/// Loads the dataset a <c>--data</c> folder holds, recognised by its files: CIFAR-10 (data_batch_1.bin ...
/// test_batch.bin) or CIFAR-100 (train.bin, test.bin), directly or in their archives' folders; an image folder
/// (train/ and test/, each with one sub-folder per class); otherwise the four IDX files of (Fashion-)MNIST.
/// </summary>
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

    /// <summary>
    /// The test images of <paramref name="folder"/> for the model of <paramref name="checkpoint"/>: an image folder is
    /// read at the model's size with its class names; other data must already have that size. Only the test images of
    /// <paramref name="classes"/> are kept, relabelled in that order, when given; otherwise, for a classifier trained
    /// on some of the data's classes (a fine-tuned one), the classes its checkpoint names.
    /// </summary>
    /// <exception cref="CliUsageException">The images have another number of channels or another size, or a class is not in the data.</exception>
    public static ImageDataset LoadTestFor(Training.Checkpoint checkpoint, string folder, int[]? classes = null)
    {
        var spec = checkpoint.Spec;
        var test = Load(folder, train: false, new DataOptions(spec.InChannels, spec.InputHeight, spec.InputWidth),
            DataFolder.Recognize(folder) == DataFolderKind.ImageFolder ? checkpoint.ClassNames : null);
        if (test.Channels != spec.InChannels || test.Height != spec.InputHeight || test.Width != spec.InputWidth)
            throw new CliUsageException($"the model takes {spec.InChannels}x{spec.InputHeight}x{spec.InputWidth} images; the test images in '{folder}' are {test.Channels}x{test.Height}x{test.Width}.");
        classes ??= !spec.IsEmbedding && test.ClassCount != spec.NumClasses && Runs.TrainedClasses.Read(checkpoint.Extra) is { } trained && trained.Length == spec.NumClasses
            ? trained : null;
        if (classes is null) return test;
        try
        {
            return ClassSelection.Select(test, classes);
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException($"--classes: {e.Message}");
        }
    }

    /// <summary>
    /// Loads the training or test split of <paramref name="folder"/>; an image folder's test split must have
    /// <paramref name="classNames"/> (the training classes) when given.
    /// </summary>
    public static ImageDataset Load(string folder, bool train, DataOptions options, IReadOnlyList<string>? classNames = null)
    {
        switch (DataFolder.Recognize(folder))
        {
            case DataFolderKind.Cifar10:
                return Cifar.Load10(folder, train);
            case DataFolderKind.Cifar100:
                return Cifar.Load100(folder, train);
            case DataFolderKind.ImageFolder:
                {
                    string split = Path.Combine(folder, train ? "train" : "test");
                    try
                    {
                        return ImageFolder.Load(split, options.Channels ?? 3, options.Height, options.Width, options.OnBadImage,
                            (path, why) => options.Log?.WriteLine($"warning: skipped {path}: {why}"), classNames);
                    }
                    catch (InvalidDataException e) when (options.OnBadImage == BadImagePolicy.Fail && e.Message.StartsWith("Image file", StringComparison.Ordinal))
                    {
                        throw new InvalidDataException(e.Message + " (--on-bad-image skip leaves such files out)", e);
                    }
                }
            default:
                if (DataFolder.HasOneSplit(folder))
                    throw new CliUsageException($"data folder '{folder}' has only one of train/ and test/; an image folder needs both, each with one sub-folder per class.");
                return LoadIdx(folder, train);
        }
    }
}
