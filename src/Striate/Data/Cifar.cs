using System.Globalization;

namespace Striate.Data;

/// <summary>
/// The CIFAR-10 and CIFAR-100 binary formats (Krizhevsky, 2009; https://www.cs.toronto.edu/~kriz/cifar.html):
/// 32 x 32 RGB images stored as records of label bytes followed by 3072 pixel bytes, the 1024 red values, then
/// the green, then the blue, each plane row-major (already CHW). CIFAR-10 records have one label byte and live in
/// data_batch_1.bin to data_batch_5.bin (training) and test_batch.bin; CIFAR-100 records have a coarse and a fine
/// label byte and live in train.bin and test.bin. The files are checked against the record size and every label
/// against its class count before any image is used.
/// </summary>
public static class Cifar
{
    /// <summary>Pixel bytes per image: 3 x 32 x 32.</summary>
    public const int ImageBytes = 3 * 32 * 32;

    /// <summary>Files larger than this are refused before reading (a real CIFAR file is about 150 MB at most).</summary>
    public const long MaxFileBytes = 1L << 30;

    /// <summary>CIFAR-10's class names by label, as in batches.meta.txt.</summary>
    public static IReadOnlyList<string> Cifar10ClassNames { get; } =
        Array.AsReadOnly(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]);

    /// <summary>The CIFAR-10 training files, in reading order.</summary>
    public static IReadOnlyList<string> Cifar10TrainFiles { get; } =
        Array.AsReadOnly(["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"]);

    /// <summary>The CIFAR-10 test file.</summary>
    public const string Cifar10TestFile = "test_batch.bin";

    /// <summary>The folder that holds CIFAR-10's files: <paramref name="folder"/> or its cifar-10-batches-bin; null when neither does.</summary>
    public static string? FindCifar10(string folder) => FindWith(folder, "cifar-10-batches-bin", Cifar10TestFile);

    /// <summary>The folder that holds CIFAR-100's files: <paramref name="folder"/> or its cifar-100-binary; null when neither does.</summary>
    public static string? FindCifar100(string folder) => FindWith(folder, "cifar-100-binary", "test.bin");

    private static string? FindWith(string folder, string subfolder, string marker)
    {
        foreach (var dir in new[] { folder, Path.Combine(folder, subfolder) })
            if (File.Exists(Path.Combine(dir, marker))) return dir;
        return null;
    }

    /// <summary>Loads CIFAR-10's training (five batches) or test images, scaled to [0, 1].</summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is truncated or holds a label of 10 or more.</exception>
    public static ImageDataset Load10(string folder, bool train)
    {
        string dir = FindCifar10(folder) ?? folder;
        var files = train ? Cifar10TrainFiles : [Cifar10TestFile];
        var names = ReadNames(Path.Combine(dir, "batches.meta.txt"), 10) ?? Cifar10ClassNames;
        var parts = files.Select(f => ReadRecords(Path.Combine(dir, f), labelBytes: 1, labelIndex: 0, classCount: 10)).ToList();
        return Concat(parts, names);
    }

    /// <summary>Loads CIFAR-100's training or test images with their fine (100) or coarse (20) labels.</summary>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="InvalidDataException">The file is truncated or holds a label out of range.</exception>
    public static ImageDataset Load100(string folder, bool train, bool coarse = false)
    {
        string dir = FindCifar100(folder) ?? folder;
        int classes = coarse ? 20 : 100;
        var names = ReadNames(Path.Combine(dir, coarse ? "coarse_label_names.txt" : "fine_label_names.txt"), classes)
            ?? Enumerable.Range(0, classes).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        var part = ReadRecords(Path.Combine(dir, train ? "train.bin" : "test.bin"), labelBytes: 2, labelIndex: coarse ? 0 : 1, classCount: classes);
        return Concat([part], names);
    }

    /// <summary>
    /// Reads one binary file of records: <paramref name="labelBytes"/> label bytes, then <see cref="ImageBytes"/> pixels.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="labelBytes">1 for CIFAR-10, 2 for CIFAR-100 (coarse, fine).</param>
    /// <param name="labelIndex">Which label byte is the label.</param>
    /// <param name="classCount">Labels must be below this.</param>
    /// <returns>The pixels (count x 3072 bytes) and labels (count bytes).</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, too large, not a whole number of records, or holds a label out of range.</exception>
    public static (byte[] Pixels, byte[] Labels) ReadRecords(string path, int labelBytes, int labelIndex, int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(labelBytes, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(labelIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(labelIndex, labelBytes);
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"CIFAR file '{path}' does not exist (looked at {Path.GetFullPath(path)}).", path);
        int record = labelBytes + ImageBytes;
        if (info.Length > MaxFileBytes)
            throw new InvalidDataException($"CIFAR file '{path}' is {info.Length} bytes; the limit is {MaxFileBytes}.");
        if (info.Length == 0 || info.Length % record != 0)
            throw new InvalidDataException($"CIFAR file '{path}' is {info.Length} bytes, not a whole number of {record}-byte records " +
                $"({labelBytes} label byte{(labelBytes == 1 ? "" : "s")} + {ImageBytes} pixels); is it truncated?");
        int count = (int)(info.Length / record);
        var pixels = new byte[(long)count * ImageBytes];
        var labels = new byte[count];
        var buffer = new byte[record];
        using var stream = File.OpenRead(path);
        for (int i = 0; i < count; i++)
        {
            stream.ReadExactly(buffer);
            byte label = buffer[labelIndex];
            if (label >= classCount)
                throw new InvalidDataException($"CIFAR file '{path}': record {i} has label {label}; expected 0 to {classCount - 1}.");
            labels[i] = label;
            buffer.AsSpan(labelBytes).CopyTo(pixels.AsSpan(i * ImageBytes, ImageBytes));
        }
        return (pixels, labels);
    }

    private const long MaxNamesBytes = 1 << 16;

    private static List<string>? ReadNames(string path, int count)
    {
        if (!File.Exists(path)) return null;
        // A names file is a few kilobytes; a longer one is not read at all.
        if (new FileInfo(path).Length > MaxNamesBytes)
            throw new InvalidDataException($"CIFAR class names file '{path}' is {new FileInfo(path).Length:N0} bytes; expected at most {MaxNamesBytes:N0}.");
        var names = File.ReadLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).Take(count + 1).ToList();
        return names.Count == count ? names : null;
    }

    private static ImageDataset Concat(List<(byte[] Pixels, byte[] Labels)> parts, IReadOnlyList<string> names)
    {
        ImageDataset.CheckSize(parts.Sum(p => (long)p.Labels.Length), 3, 32, 32);
        var pixels = new byte[parts.Sum(p => (long)p.Pixels.Length)];
        var labels = new byte[parts.Sum(p => p.Labels.Length)];
        long offset = 0;
        int n = 0;
        foreach (var (p, l) in parts)
        {
            p.CopyTo(pixels, offset);
            l.CopyTo(labels, n);
            offset += p.Length;
            n += l.Length;
        }
        return ImageDataset.FromBytes(pixels, labels, labels.Length, 3, 32, 32, names);
    }
}
