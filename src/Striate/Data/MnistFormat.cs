namespace Striate.Data;

/// <summary>
/// Loads image classification sets stored the way MNIST and Fashion-MNIST are: a folder holding an images IDX file
/// (unsigned bytes, N x H x W) and a labels IDX file (unsigned bytes, N) for each split, under the standard names
/// <c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c> and
/// <c>t10k-labels-idx1-ubyte</c>, each raw, with a <c>.gz</c> suffix (gzip) or with a dot before <c>idx</c>
/// (<c>train-images.idx3-ubyte</c>).
/// </summary>
public static class MnistFormat
{
    /// <summary>
    /// The file names tried for one split's images or labels, in the order they are tried: uncompressed first.
    /// </summary>
    /// <param name="train"><see langword="true"/> for the training split (<c>train-</c>), <see langword="false"/> for
    /// the test split (<c>t10k-</c>).</param>
    /// <param name="labels"><see langword="true"/> for the labels file, <see langword="false"/> for the images file.</param>
    public static IReadOnlyList<string> FileNames(bool train, bool labels)
    {
        string prefix = train ? "train" : "t10k";
        string kind = labels ? "labels" : "images";
        string idx = labels ? "idx1" : "idx3";
        return [$"{prefix}-{kind}-{idx}-ubyte", $"{prefix}-{kind}.{idx}-ubyte", $"{prefix}-{kind}-{idx}-ubyte.gz"];
    }

    /// <summary>Loads one split from <paramref name="folder"/>, finding its two files by their standard names.</summary>
    /// <param name="folder">The folder holding the IDX files.</param>
    /// <param name="train"><see langword="true"/> for the training split, <see langword="false"/> for the test split.</param>
    /// <param name="classCount">The number of classes (1 to 256): every label must be below it.</param>
    /// <returns>The images and labels.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="folder"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is out of range.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist; the message lists every path looked for.</exception>
    /// <exception cref="FileNotFoundException">The images or labels file is missing; the message lists every path looked at.</exception>
    /// <exception cref="InvalidDataException">A file is not a valid IDX file, the images are not N x H x W unsigned
    /// bytes, the labels are not N unsigned bytes, the counts differ, or a label is out of range.</exception>
    public static LabeledImageSet Load(string folder, bool train, int classCount)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classCount, 256);

        string split = train ? "training" : "test";
        string[] imageCandidates = [.. FileNames(train, labels: false).Select(n => Path.Combine(folder, n))];
        string[] labelCandidates = [.. FileNames(train, labels: true).Select(n => Path.Combine(folder, n))];
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException(
                $"Folder '{Path.GetFullPath(folder)}' does not exist; looked for the {split} images at " +
                $"{string.Join(", ", imageCandidates)} and the {split} labels at {string.Join(", ", labelCandidates)}.");
        }

        string imagesPath = FindFirst(imageCandidates, $"{split} images");
        string labelsPath = FindFirst(labelCandidates, $"{split} labels");
        return LoadFiles(imagesPath, labelsPath, classCount);
    }

    /// <summary>Loads a set from an images IDX file and a labels IDX file, raw or gzip-compressed.</summary>
    /// <param name="imagesPath">The images file: unsigned bytes, N x H x W.</param>
    /// <param name="labelsPath">The labels file: unsigned bytes, N, each below <paramref name="classCount"/>.</param>
    /// <param name="classCount">The number of classes (1 to 256).</param>
    /// <returns>The images and labels.</returns>
    /// <exception cref="ArgumentNullException">A path is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classCount"/> is out of range.</exception>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">See <see cref="Load"/>.</exception>
    public static LabeledImageSet LoadFiles(string imagesPath, string labelsPath, int classCount)
    {
        ArgumentNullException.ThrowIfNull(imagesPath);
        ArgumentNullException.ThrowIfNull(labelsPath);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classCount, 256);

        IdxArray images = Idx.Read(imagesPath);
        if (images.ElementType != IdxElementType.UnsignedByte || images.Rank != 3)
        {
            throw new InvalidDataException(
                $"IDX file '{imagesPath}': expected images as unsigned bytes (0x08) of shape N x H x W but found " +
                $"{images.ElementType} (0x{(byte)images.ElementType:X2}) of shape {string.Join(" x ", images.Shape)}.");
        }

        IdxArray labels = Idx.Read(labelsPath);
        if (labels.ElementType != IdxElementType.UnsignedByte || labels.Rank != 1)
        {
            throw new InvalidDataException(
                $"IDX file '{labelsPath}': expected labels as unsigned bytes (0x08) of shape N but found " +
                $"{labels.ElementType} (0x{(byte)labels.ElementType:X2}) of shape {string.Join(" x ", labels.Shape)}.");
        }

        int count = images.Shape[0];
        if (labels.Shape[0] != count)
        {
            throw new InvalidDataException(
                $"IDX file '{labelsPath}' holds {labels.Shape[0]} labels but images file '{imagesPath}' holds {count} images: expected one label per image.");
        }

        if (classCount < 256)
        {
            int bad = labels.Data.AsSpan().IndexOfAnyInRange((byte)classCount, byte.MaxValue);
            if (bad >= 0)
            {
                throw new InvalidDataException(
                    $"IDX file '{labelsPath}': label {bad} is {labels.Data[bad]}: expected 0 to {classCount - 1}.");
            }
        }

        return new LabeledImageSet(images.Data, labels.Data, count, images.Shape[1], images.Shape[2], classCount);
    }

    private static string FindFirst(string[] candidates, string what)
    {
        foreach (string path in candidates)
        {
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FileNotFoundException($"No {what} file found; looked at {string.Join(", ", candidates)}.", candidates[0]);
    }
}
