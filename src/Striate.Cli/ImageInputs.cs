using System.Globalization;
using System.Text.RegularExpressions;
using Striate.Data;
using Striate.Imaging;

namespace Striate.Cli;

/// <summary>
/// An image the verbs take: a PNG, JPEG or BMP file, or an item of the bundled data (or $STRIATE_DATA) written
/// <c>test:N</c> or <c>train:N</c>, so the image verbs can be tried without image files of one's own.
/// </summary>
public static partial class ImageInputs
{
    /// <summary>The help text's words for an image argument.</summary>
    public const string Help = "PNG, JPEG or BMP file, or test:N / train:N for image N of the bundled data (--index N is test:N)";

    [GeneratedRegex(@"^(?<split>test|train):(?<index>\d+)$", RegexOptions.IgnoreCase)]
    private static partial Regex ItemPattern();

    /// <summary>True when <paramref name="text"/> names a dataset item (and no file of that name exists).</summary>
    public static bool IsItem(string text) => !File.Exists(text) && ItemPattern().IsMatch(text);

    /// <summary>The image <paramref name="text"/> names, with <paramref name="channels"/> channels (1 gray, 3 RGB).</summary>
    /// <exception cref="CliUsageException">No such file, or a dataset item out of range.</exception>
    public static Image Load(string text, int channels)
    {
        if (!IsItem(text)) return Arguments.Image(text, channels);
        var m = ItemPattern().Match(text);
        bool train = m.Groups["split"].Value.Equals("train", StringComparison.OrdinalIgnoreCase);
        var set = Split(train);
        if (!int.TryParse(m.Groups["index"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int i) || i >= set.Count)
            throw new CliUsageException($"'{text}': the {(train ? "training" : "test")} set has {set.Count} images (0 to {set.Count - 1}).");
        var image = new Image(set.Image(i).ToArray(), set.Channels, set.Height, set.Width);
        return channels == image.Channels ? image : channels == 3 ? image.ToRgb() : image.ToGray();
    }

    // The last split read, kept so that several test:N arguments of one command read the data once.
    private static (string Folder, bool Train, ImageDataset Set)? s_last;
    private static readonly Lock s_lock = new();

    private static ImageDataset Split(bool train)
    {
        string folder = DataLocator.Resolve(null);
        lock (s_lock)
        {
            if (s_last is { } last && last.Folder == folder && last.Train == train) return last.Set;
            var set = Datasets.Load(folder, train, new DataOptions());
            s_last = (folder, train, set);
            return set;
        }
    }
}
