using System.CommandLine;
using System.Globalization;
using Striate.Data;

namespace Striate.Cli;

/// <summary>The options that say how image files in a <c>--data</c> folder are read: --channels, --image-size, --on-bad-image.</summary>
public sealed class ImageOptions
{
    private readonly Option<int?> _channels = new Option<int?>("--channels") { Description = "1 (gray) or 3 (RGB): image folders are read so (default RGB); gray IDX data is repeated into RGB, and RGB CIFAR data reduced to luma, as batches are assembled." }.Must(c => c is null or 1 or 3, "1 (gray) or 3 (RGB)");
    private readonly Option<string?> _size = new Option<string?>("--image-size") { Description = "Resize every image to N or HxW pixels: image folders as they are read (default: the first image's size), IDX and CIFAR as batches are assembled." }.Choice(ParseSize);
    private readonly Option<string> _onBad = new Option<string>("--on-bad-image") { Description = "Image folders: fail on an undecodable image, or skip it with a warning naming the file.", DefaultValueFactory = _ => "fail" }.Choice(Policy);

    /// <summary>Adds the options to <paramref name="cmd"/>.</summary>
    public static ImageOptions Add(Command cmd)
    {
        var o = new ImageOptions();
        cmd.Options.Add(o._channels);
        cmd.Options.Add(o._size);
        cmd.Options.Add(o._onBad);
        return o;
    }

    /// <summary>Reads the options (their validators refused bad values at parse time); skipped files are reported on <paramref name="log"/>.</summary>
    public DataOptions Read(ParseResult r, TextWriter log)
    {
        var (h, w) = ParseSize(r.GetValue(_size));
        return new DataOptions(r.GetValue(_channels), h, w, Policy(r.GetValue(_onBad)!), log);
    }

    /// <summary>
    /// Refuses --on-bad-image (given explicitly) when <paramref name="folder"/> is not an image folder: IDX and CIFAR
    /// data decode nothing, so the option would do nothing. (--image-size and --channels apply to every source: IDX and
    /// CIFAR images are resized and converted as their batches are assembled.)
    /// </summary>
    public void RejectUnlessImageFolder(ParseResult r, string folder)
    {
        var kind = DataFolder.Recognize(folder);
        // A folder with only one of train/ and test/ is an image folder missing a split: the loader says so.
        if (kind == DataFolderKind.ImageFolder || DataFolder.HasOneSplit(folder)) return;
        if (r.GetResult(_onBad) is { Implicit: false })
            throw new CliUsageException($"--on-bad-image applies to image folders; '{folder}' holds {DataFolder.Name(kind)} data, which decodes no image files.");
    }

    private static BadImagePolicy Policy(string text) => IO.EnumText.Parse<BadImagePolicy>(text, "bad-image policy", "policies");

    private static (int?, int?) ParseSize(string? text)
    {
        if (text is null) return (null, null);
        var parts = text.ToLowerInvariant().Split('x');
        var dims = parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : -1).ToArray();
        if (dims.Length is not (1 or 2) || dims.Any(d => d < 1))
            throw new CliUsageException($"--image-size: expected N or HxW with positive whole numbers, got '{text}'.");
        return (dims[0], dims[^1]);
    }
}
