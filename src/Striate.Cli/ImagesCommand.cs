using System.CommandLine;
using System.Globalization;
using Striate.Imaging;

namespace Striate.Cli;

/// <summary><c>striate images -o DIR [--index N ...]</c>: dataset items as PNG files, to try the image verbs on.</summary>
public static class ImagesCommand
{
    public static Command Create(TextWriter stdout)
    {
        var cmd = new Command("images", "Write images of a dataset as PNG files named after their split, number and class (the image verbs also take test:N directly).");
        var data = new Option<string?>("--data") { Description = "Data folder: IDX, CIFAR or an image folder (default: the bundled Fashion-MNIST)." };
        var split = new Option<string>("--split") { Description = "test or train.", DefaultValueFactory = _ => "test" }
            .Choice(t => t.ToLowerInvariant() is "test" or "train" ? t : throw new ArgumentException($"expected test or train, got '{t}'."));
        var index = new Option<int[]>("--index") { Description = "Image numbers to write (default: the first --count).", AllowMultipleArgumentsPerToken = true };
        var count = new Option<int>("--count") { Description = "Without --index: write the first N images.", DefaultValueFactory = _ => 10 }.Within(1, 100_000);
        var output = new Option<string>("--out", "-o") { Description = "Folder to write into (created).", Required = true };
        foreach (var o in new Option[] { data, split, index, count, output }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            bool train = r.GetValue(split)!.Equals("train", StringComparison.OrdinalIgnoreCase);
            var set = Datasets.Load(DataLocator.Resolve(r.GetValue(data)), train, new DataOptions());
            var chosen = r.GetValue(index) is { Length: > 0 } given ? given : Enumerable.Range(0, Math.Min(r.GetValue(count), set.Count)).ToArray();
            foreach (int i in chosen)
                if (i < 0 || i >= set.Count)
                    throw new CliUsageException($"--index {i} is out of range: the {(train ? "training" : "test")} set has {set.Count} images (0 to {set.Count - 1}).");
            string folder = r.GetValue(output)!;
            foreach (int i in chosen)
            {
                var image = new Image(set.Image(i).ToArray(), set.Channels, set.Height, set.Width);
                string name = $"{(train ? "train" : "test")}-{i.ToString(CultureInfo.InvariantCulture)}-{Slug(set.ClassNames[set.Labels[i]])}.png";
                Output.Png(image, Path.Combine(folder, name), stdout);
            }
            return 0;
        });
        return cmd;
    }

    // A class name as part of a file name: letters and digits, the rest as single hyphens ("T-shirt/top" is t-shirt-top).
    private static string Slug(string name)
    {
        var s = new string(name.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray());
        while (s.Contains("--", StringComparison.Ordinal)) s = s.Replace("--", "-", StringComparison.Ordinal);
        return s.Trim('-') is { Length: > 0 } slug ? slug : "class";
    }
}
