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
        test = FitTo(checkpoint, test);
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
    /// <paramref name="set"/> as the run of <paramref name="checkpoint"/> saw its images: converted to the model's
    /// channels when it was trained with --channels, resized to its height and width when trained with --image-size
    /// (on data of one size: IDX, CIFAR). Any other model takes its test images as they are.
    /// </summary>
    /// <exception cref="CliUsageException">The images cannot be converted, or would not fit in one dataset.</exception>
    public static ImageDataset FitTo(Training.Checkpoint checkpoint, ImageDataset set)
    {
        var spec = checkpoint.Spec;
        if (checkpoint.Extra.ContainsKey(Runs.TrainingOptions.ChannelsKey) && set.Channels != spec.InChannels)
        {
            if (set.Channels is not (1 or 3))
                throw new CliUsageException($"the model takes {spec.InChannels}x{spec.InputHeight}x{spec.InputWidth} images; {set.Channels}-channel images cannot be converted to them.");
            set = set.WithChannels(spec.InChannels);
        }
        return checkpoint.Extra.ContainsKey(Runs.TrainingOptions.ImageSizeKey) && set.Channels == spec.InChannels ? FitTo(spec, set) : set;
    }

    /// <summary>
    /// <paramref name="set"/> at the model's height and width: every image resized (bilinear, as a run with
    /// --image-size resized its batches); the set itself when the sizes agree.
    /// </summary>
    /// <exception cref="CliUsageException">The resized images would not fit in one dataset.</exception>
    private static ImageDataset FitTo(Models.ModelSpec spec, ImageDataset set)
    {
        int height = spec.InputHeight, width = spec.InputWidth;
        if (set.Height == height && set.Width == width) return set;
        long values = (long)set.Count * set.Channels * height * width;
        if (values > ImageDataset.MaxValues)
            throw new CliUsageException($"the {set.Count:N0} test images at {set.Channels}x{height}x{width} would take {values * sizeof(float) / (1L << 20):N0} MiB; evaluate fewer (--test-limit where the verb has it).");
        var resize = new Striate.Data.Transforms.Resize(height, width);
        int size = set.Channels * height * width;
        var pixels = new float[values];
        for (int i = 0; i < set.Count; i++)
            resize.Apply(set.Image(i), pixels.AsSpan(i * size, size), set.Channels, set.Height, set.Width, 0);
        return ImageDataset.FromFloats(pixels, set.Labels, set.Channels, height, width, set.ClassNames);
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
