using System.Buffers.Binary;
using System.Globalization;
using Striate.Imaging;

namespace Striate.Data;

/// <summary>
/// Segmentation data of one's own, in a folder: <c>classes.txt</c> (one class name a line; line 1 is class 0,
/// usually the background), and for each split (<c>train/</c>, <c>test/</c>, or the folder itself) an
/// <c>images/</c> folder of PNG, JPEG or BMP files and a <c>masks/</c> folder with a PNG of the same name for each,
/// whose 8-bit gray values are the pixels' class indices. Every image of a split has one size and its mask that size.
/// Anything else is refused with the file and what was expected.
/// </summary>
public static class SegmentationFolder
{
    /// <summary>The class names file's name.</summary>
    public const string ClassesFile = "classes.txt";

    /// <summary>At most this many classes: a mask's pixel is one byte.</summary>
    public const int MaxClasses = 256;

    /// <summary>True when <paramref name="folder"/> looks like segmentation data (a classes file beside images/ or train/).</summary>
    public static bool Is(string folder) =>
        File.Exists(Path.Combine(folder, ClassesFile))
        && (Directory.Exists(Path.Combine(folder, "images")) || Directory.Exists(Path.Combine(folder, "train")) || Directory.Exists(Path.Combine(folder, "test")));

    /// <summary>The class names of <paramref name="folder"/>'s classes file.</summary>
    /// <exception cref="FileNotFoundException">There is no classes file.</exception>
    /// <exception cref="InvalidDataException">It names fewer than 2 or more than <see cref="MaxClasses"/> classes, an empty name, or a name twice.</exception>
    public static IReadOnlyList<string> ReadClasses(string folder)
    {
        string path = Path.Combine(folder, ClassesFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"segmentation data '{folder}' has no {ClassesFile} (one class name a line, class 0 first).", path);
        if (new FileInfo(path).Length > 1 << 20) throw new InvalidDataException($"'{path}' is {new FileInfo(path).Length} bytes; a classes file of at most {MaxClasses} names is far smaller.");
        var lines = File.ReadAllLines(path).Select(l => l.Trim()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        if (lines.Count < 2 || lines.Count > MaxClasses)
            throw new InvalidDataException($"'{path}' names {lines.Count} classes; expected 2 to {MaxClasses} (one a line, class 0 first).");
        for (int i = 0; i < lines.Count; i++)
        {
            if (lines[i].Length == 0) throw new InvalidDataException($"'{path}': line {i + 1} is empty; every class from 0 to {lines.Count - 1} needs a name.");
            int first = lines.IndexOf(lines[i]);
            if (first != i) throw new InvalidDataException($"'{path}': '{lines[i]}' names both class {first} (line {first + 1}) and class {i} (line {i + 1}).");
        }
        return lines;
    }

    /// <summary>
    /// The folder that holds <paramref name="split"/>'s images/ and masks/: <c>folder/split</c> when it exists, else
    /// (for the test split only) the folder itself when it has images/.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">Neither exists.</exception>
    public static string SplitFolder(string folder, string split)
    {
        string inside = Path.Combine(folder, split);
        if (Directory.Exists(Path.Combine(inside, "images"))) return inside;
        if (split == "test" && Directory.Exists(Path.Combine(folder, "images"))) return folder;
        throw new DirectoryNotFoundException($"segmentation data '{folder}' has no {split} images: expected {Path.Combine(inside, "images")}{(split == "test" ? $" or {Path.Combine(folder, "images")}" : "")} (and masks/ beside it).");
    }

    /// <summary>Reads <paramref name="split"/> ("train" or "test") of <paramref name="folder"/> with <paramref name="channels"/> channels (1 gray, 3 RGB).</summary>
    /// <exception cref="DirectoryNotFoundException">The folder or split does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is missing, undecodable, of another size, or a mask holds a class the classes file does not name.</exception>
    public static SegmentationSet Load(string folder, string split, int channels)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (channels is not (1 or 3)) throw new ArgumentException($"segmentation data: channels must be 1 or 3, got {channels}.");
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"segmentation data '{folder}' does not exist (looked at {Path.GetFullPath(folder)}).");
        var classes = ReadClasses(folder);
        string root = SplitFolder(folder, split), imageDir = Path.Combine(root, "images"), maskDir = Path.Combine(root, "masks");
        if (!Directory.Exists(maskDir)) throw new DirectoryNotFoundException($"segmentation data '{root}' has images/ but no masks/ folder beside it.");
        var images = Stems(imageDir, ImageFolder.Extensions, "images");
        var masks = Stems(maskDir, [".png"], "masks");
        if (images.Count == 0) throw new InvalidDataException($"'{imageDir}' holds no images (PNG, JPEG or BMP files).");
        foreach (var (stem, path) in images)
            if (!masks.ContainsKey(stem)) throw new InvalidDataException($"'{path}' has no mask: expected {Path.Combine(maskDir, stem + ".png")}.");
        foreach (var (stem, path) in masks)
            if (!images.ContainsKey(stem)) throw new InvalidDataException($"the mask '{path}' has no image of the same name in {imageDir}.");
        int count = images.Count, height = 0, width = 0;
        float[]? pixels = null;
        int[]? labels = null;
        string? firstPath = null;
        int i = 0;
        foreach (var (stem, path) in images.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var (px, _, h, w) = ImageFile.Load(path, channels);
            if (pixels is null)
            {
                (height, width, firstPath) = (h, w, path);
                ImageDataset.CheckSize(count, channels, height, width);
                pixels = new float[(long)count * channels * h * w];
                labels = new int[(long)count * h * w];
            }
            else if (h != height || w != width)
                throw new InvalidDataException($"'{path}' is {w}x{h} pixels; every image of a split has one size, and '{firstPath}' is {width}x{height}.");
            px.CopyTo(pixels.AsSpan(i * channels * h * w));
            ReadMask(masks[stem], h, w, path, classes, labels!.AsSpan(i * h * w, h * w));
            i++;
        }
        return new SegmentationSet(pixels!, labels!, count, channels, height, width, classes);
    }

    // The files of a folder by name without extension; two files of one name are refused.
    private static Dictionary<string, string> Stems(string dir, IReadOnlyList<string> extensions, string what)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
        {
            if (!extensions.Contains(Path.GetExtension(f).ToLowerInvariant())) continue;
            string stem = Path.GetFileNameWithoutExtension(f);
            if (found.TryGetValue(stem, out var other))
                throw new InvalidDataException($"{what}: '{other}' and '{f}' have one name; each image needs its own.");
            found[stem] = f;
        }
        return found;
    }

    /// <summary>Reads a mask PNG of 8-bit class indices into <paramref name="output"/>, checking its size and classes.</summary>
    private static void ReadMask(string path, int height, int width, string imagePath, IReadOnlyList<string> classes, Span<int> output)
    {
        var header = new byte[26];
        using (var stream = File.OpenRead(path))
            if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length || !header.AsSpan(0, 8).SequenceEqual((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
                throw new InvalidDataException($"the mask '{path}' is not a PNG file; masks are PNGs of 8-bit class indices.");
        int bitDepth = header[24], colourType = header[25];
        if (colourType == 3)
            throw new InvalidDataException($"the mask '{path}' is a palette PNG (as Pascal VOC's masks are); expected 8-bit gray values that are the class indices.");
        if (bitDepth != 8)
            throw new InvalidDataException($"the mask '{path}' has {bitDepth}-bit samples; expected 8-bit gray values that are the class indices.");
        int mh = (int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(20)), mw = (int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(16));
        if (mh != height || mw != width)
            throw new InvalidDataException($"the mask '{path}' is {mw}x{mh} pixels; its image '{imagePath}' is {width}x{height}.");
        bool colour = colourType is 2 or 6;
        var (px, _, h, w) = ImageFile.Load(path, colour ? 3 : 1);
        int hw = h * w;
        for (int p = 0; p < hw; p++)
        {
            int v = (int)MathF.Round(px[p] * 255f);
            if (colour && ((int)MathF.Round(px[hw + p] * 255f) != v || (int)MathF.Round(px[2 * hw + p] * 255f) != v))
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"the mask '{path}' has a colour at pixel ({p % w}, {p / w}); expected gray values that are the class indices."));
            if (v >= classes.Count)
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"the mask '{path}' holds class {v} at pixel ({p % w}, {p / w}); {ClassesFile} names {classes.Count} classes (0 to {classes.Count - 1})."));
            output[p] = v;
        }
    }
}
