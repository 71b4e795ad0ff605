using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Striate.Data;
using Striate.Imaging;
using Striate.Runs;

namespace Striate.Cli;

/// <summary>
/// <c>striate segment --model M IMAGE -o OUT.png</c>: each pixel's class by a segmentation model (striate train
/// --task segment), drawn as the image beside its colour-coded mask and a legend; <c>--json</c> prints each class's
/// pixel count instead. <c>scene:N</c> names test scene N of the seeded scenes, drawn with its true mask beside.
/// </summary>
public static partial class SegmentCommand
{
    [GeneratedRegex(@"^scene:(?<index>\d+)$", RegexOptions.IgnoreCase)]
    private static partial Regex ScenePattern();

    public static Command Create(TextWriter stdout)
    {
        var cmd = new Command("segment", "Label every pixel of images with a segmentation model (striate train --task segment): a PNG of the image beside its colour-coded mask and a legend, or the classes' pixel counts as JSON.");
        var model = new Option<string>("--model", "-m") { Description = "The model file striate train --task segment wrote.", Required = true };
        var output = new Option<string?>("--output", "-o") { Description = "The PNG to write (with several images, one per image: OUT-1.png, OUT-2.png, ...)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per image: its size and each class's pixel count (and, for a scene, the pixel accuracy against its true mask)." };
        var data = new Option<string?>("--data") { Description = "Folder with the IDX files the scene:N and test:N images come from (default: the bundled data)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the scenes scene:N draws (the seed striate train --task segment was given; its test scenes are these).", DefaultValueFactory = _ => 1 };
        var sceneSize = new Option<int>("--scene-size") { Description = "Side of the scenes scene:N draws.", DefaultValueFactory = _ => 64 }.Within(32, 1024);
        var images = new Argument<string[]>("IMAGE") { Description = "PNG, JPEG or BMP file (read as gray or RGB, as the model was trained), test:N / train:N for an image of the bundled data, or scene:N for test scene N (drawn with its true mask).", Arity = ArgumentArity.OneOrMore };
        foreach (var o in new Option[] { model, output, json, data, seed, sceneSize }) cmd.Options.Add(o);
        cmd.Arguments.Add(images);
        cmd.SetAction(r =>
        {
            string path = Arguments.ExistingFile(r.GetValue(model)!);
            if (!SegmentationFile.IsSegmentation(path))
                throw new CliUsageException($"'{path}' is not a segmentation model; segment takes the file striate train --task segment writes.");
            var (net, name, channels, classes) = SegmentationFile.Load(path);
            int multiple = SegmentationModels.SizeMultiple(name);
            var inputs = r.GetValue(images)!;
            bool asJson = r.GetValue(json);
            string? png = r.GetValue(output);
            if (!asJson && png is null) throw new CliUsageException("give -o OUT.png for the picture, or --json for the pixel counts.");
            if (png is not null) Output.CheckWritable(png, "--output");
            SegmentationSet? scenes = null;
            for (int i = 0; i < inputs.Length; i++)
            {
                var (image, truth) = Load(inputs[i], channels, r.GetValue(data), r.GetValue(seed), r.GetValue(sceneSize), ref scenes);
                var mask = SegmentationModels.Predict(net, image.Pixels, image.Channels, image.Height, image.Width, multiple);
                if (mask.Any(c => c >= classes.Count))
                    throw new InvalidDataException($"'{path}': the model gives {mask.Max() + 1} classes but its metadata names {classes.Count}.");
                var counts = new long[classes.Count];
                foreach (int c in mask) counts[c]++;
                if (asJson)
                {
                    double? accuracy = truth is null ? null : Enumerable.Range(0, mask.Length).Count(p => mask[p] == truth[p]) / (double)mask.Length;
                    Output.Json(stdout, new
                    {
                        input = inputs[i],
                        height = image.Height,
                        width = image.Width,
                        pixels = classes.Select((n, c) => new { @class = n, index = c, count = counts[c] }).Where(x => x.count > 0),
                        pixel_accuracy = accuracy,
                    });
                }
                if (png is null) continue;
                var panels = new List<(string, int[])> { ("predicted", mask) };
                if (truth is not null) panels.Add(("true", truth));
                string target = inputs.Length == 1 ? png : Numbered(png, i + 1);
                Output.Png(SegmentationPicture.Panel(image, panels, classes), target, asJson ? TextWriter.Null : stdout);
                if (!asJson)
                {
                    string found = counts.Skip(1).Any(n => n > 0)
                        ? string.Join(", ", counts.Select((n, c) => (n, c)).Where(t => t.n > 0 && t.c > 0).Select(t => string.Create(CultureInfo.InvariantCulture, $"{classes[t.c]} {t.n} px")))
                        : "background only";
                    stdout.WriteLine($"  {inputs[i]}: {image.Width}x{image.Height}, {found}");
                }
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>OUT.png -> OUT-2.png.</summary>
    private static string Numbered(string path, int n) =>
        Path.Combine(Path.GetDirectoryName(path) ?? "", $"{Path.GetFileNameWithoutExtension(path)}-{n.ToString(CultureInfo.InvariantCulture)}{Path.GetExtension(path)}");

    // An image (gray), and the true mask when it is a scene.
    private static (Image Image, int[]? Truth) Load(string text, int channels, string? dataFolder, ulong seed, int size, ref SegmentationSet? scenes)
    {
        var m = ScenePattern().Match(text);
        if (File.Exists(text) || !m.Success) return (ImageInputs.Load(text, channels), null);
        if (!int.TryParse(m.Groups["index"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index >= 100_000)
            throw new CliUsageException($"'{text}': scene numbers run from 0 to 99999.");
        if (scenes is null || scenes.Count <= index)
        {
            var test = Datasets.LoadIdx(DataLocator.Resolve(dataFolder), train: false);
            try
            {
                scenes = SegmentationScenes.Generate(test, index + 1, SegmentationScenes.TestSeed(seed), new SceneOptions { Size = size });
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException(e.Message);
            }
        }
        var scene = new Image(scenes.Image(index).ToArray(), 1, scenes.Height, scenes.Width);
        return (channels == 3 ? scene.ToRgb() : scene, scenes.Mask(index).ToArray());
    }
}
