using Striate.Imaging;

namespace Striate.Data;

/// <summary>
/// A folder of images with one sub-folder per class, as torchvision's ImageFolder reads it: the class names are
/// the sub-folder names sorted ordinally (label i is the i-th name), and every PNG, JPEG or BMP file below a
/// class folder, at any depth, in sorted order, is one image of that class. Images are decoded in managed code
/// (<see cref="ImageFile"/>) as gray or RGB and resized bilinearly to one size.
/// </summary>
public static class ImageFolder
{
    /// <summary>The file extensions read (compared case-insensitively).</summary>
    public static IReadOnlyList<string> Extensions { get; } = Array.AsReadOnly([".bmp", ".jpeg", ".jpg", ".png"]);

    /// <summary>The class names of <paramref name="root"/>: its sub-folder names, sorted ordinally.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">The folder has no sub-folders.</exception>
    public static IReadOnlyList<string> FindClasses(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"Image folder '{root}' does not exist (looked at {Path.GetFullPath(root)}).");
        var names = Directory.GetDirectories(root).Select(Path.GetFileName).Select(n => n!).Order(StringComparer.Ordinal).ToList();
        if (names.Count == 0)
            throw new InvalidDataException($"Image folder '{root}' has no classes: expected one sub-folder per class holding PNG, JPEG or BMP files, found none.");
        return names;
    }

    /// <summary>Every image file of one class folder, at any depth, in sorted order.</summary>
    public static IReadOnlyList<string> FindImages(string classFolder)
    {
        var found = new List<string>();
        void Walk(string dir)
        {
            foreach (var f in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
                if (Extensions.Contains(Path.GetExtension(f).ToLowerInvariant())) found.Add(f);
            foreach (var d in Directory.GetDirectories(dir).Order(StringComparer.Ordinal)) Walk(d);
        }
        Walk(classFolder);
        return found;
    }

    /// <summary>The most pixels the first image may have when it alone sets the size of every image.</summary>
    public const long MaxSidePixels = 1L << 20;

    /// <summary>
    /// Loads every image below <paramref name="root"/> as float CHW planes in [0, 1] of one size.
    /// </summary>
    /// <param name="root">The folder with one sub-folder per class.</param>
    /// <param name="channels">1 (gray) or 3 (RGB); images are converted to it.</param>
    /// <param name="height">The height every image is resized to; null takes the first image's.</param>
    /// <param name="width">The width every image is resized to; null takes the first image's.</param>
    /// <param name="onBadImage">Fail on a file that cannot be decoded, or skip it.</param>
    /// <param name="onSkipped">Sees the path and the reason of every skipped file.</param>
    /// <param name="classNames">When given, the folder's classes must be exactly these (a test folder beside a training folder).</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">There are no classes, a class has no images (or none that decode), the classes
    /// differ from <paramref name="classNames"/>, or (with <see cref="BadImagePolicy.Fail"/>) a file cannot be decoded.</exception>
    public static ImageDataset Load(string root, int channels, int? height = null, int? width = null, BadImagePolicy onBadImage = BadImagePolicy.Fail,
        Action<string, string>? onSkipped = null, IReadOnlyList<string>? classNames = null)
    {
        if (channels is not (1 or 3)) throw new ArgumentException($"ImageFolder: channels must be 1 (gray) or 3 (RGB), got {channels}.");
        if (height is < 1 || width is < 1) throw new ArgumentException($"ImageFolder: the image size must be positive, got {height}x{width}.");
        var classes = FindClasses(root);
        if (classNames is not null && !classes.SequenceEqual(classNames, StringComparer.Ordinal))
            throw new InvalidDataException($"Image folder '{root}' has the classes [{string.Join(", ", classes)}]; expected [{string.Join(", ", classNames)}].");
        var files = new List<(string Path, int Label)>();
        for (int c = 0; c < classes.Count; c++)
        {
            var images = FindImages(Path.Combine(root, classes[c]));
            if (images.Count == 0)
                throw new InvalidDataException($"Image folder '{root}': class '{classes[c]}' ({Path.Combine(root, classes[c])}) has no PNG, JPEG or BMP images.");
            files.AddRange(images.Select(p => (p, c)));
        }

        // Without a size given, the first image that decodes sets it (for every split read with this call).
        int? outH = height, outW = width;
        for (int i = 0; outH is null && i < files.Count; i++)
        {
            try
            {
                var (_, _, h, w) = ImageFile.Load(files[i].Path, channels);
                if ((long)h * w > MaxSidePixels)
                    throw new InvalidDataException($"Image folder '{root}': its first image '{files[i].Path}' is {w}x{h} pixels, which would set the size of every image; give the size to use (--image-size) for images over {MaxSidePixels} pixels.");
                (outH, outW) = (h, w);
            }
            catch (InvalidDataException) when (onBadImage == BadImagePolicy.Skip)
            {
                // skipped below, with the others that fail
            }
        }
        if (outH is null)
            throw new InvalidDataException($"Image folder '{root}': none of its {files.Count} images could be decoded.");
        int size = channels * outH.Value * outW!.Value;
        ImageDataset.CheckSize(files.Count, channels, outH.Value, outW.Value);

        // Decoded and resized in parallel (each full-size image is dropped as soon as it is resized), gathered in file
        // order: the dataset does not depend on the thread count.
        var decoded = new (float[]? Pixels, string? Error)[files.Count];
        Parallel.For(0, files.Count, i =>
        {
            try
            {
                var (p, _, h, w) = ImageFile.Load(files[i].Path, channels);
                decoded[i] = (h == outH && w == outW ? p : ImageFile.Resize(p, channels, h, w, outH.Value, outW.Value), null);
            }
            catch (InvalidDataException e)
            {
                decoded[i] = (null, e.Message);
            }
        });

        var labels = new List<int>(files.Count);
        var perClass = new int[classes.Count];
        var kept = new List<int>(files.Count);
        for (int i = 0; i < files.Count; i++)
        {
            if (decoded[i].Error is string error)
            {
                if (onBadImage == BadImagePolicy.Fail) throw new InvalidDataException(error);
                onSkipped?.Invoke(files[i].Path, error);
                continue;
            }
            kept.Add(i);
            perClass[files[i].Label]++;
        }
        int empty = Array.IndexOf(perClass, 0);
        if (empty >= 0)
            throw new InvalidDataException($"Image folder '{root}': class '{classes[empty]}' has no image that could be decoded.");

        var pixels = new float[(long)kept.Count * size];
        Parallel.For(0, kept.Count, k => decoded[kept[k]].Pixels!.CopyTo(pixels.AsSpan(k * size, size)));
        foreach (int i in kept) labels.Add(files[i].Label);
        return ImageDataset.FromFloats(pixels, labels.ToArray(), channels, outH.Value, outW.Value, classes);
    }
}
