using System.Text.Encodings.Web;
using System.Text.Json;
using Striate.Data;
using Striate.Imaging;
using Striate.Runs;
using Striate.Training;
using Striate.Visualization;

namespace Striate.Cli;

/// <summary>What the verbs write: JSON lines, PNG files, HTML reports; a file that cannot be written is a usage error naming it.</summary>
public static class Output
{
    // JSON as people read it: non-ASCII text and HTML-sensitive characters stay as they are (the output is JSON, not HTML).
    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes <paramref name="value"/> as one line of JSON.</summary>
    public static void Json(TextWriter stdout, object value) => stdout.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>Refuses, before any work, an output <paramref name="path"/> (given by <paramref name="flag"/>) that cannot be written.</summary>
    public static void CheckWritable(string path, string flag)
    {
        try
        {
            IO.AtomicFile.CheckWritable(path);
        }
        catch (IOException e)
        {
            throw new CliUsageException($"{flag} '{path}' cannot be written: {e.Message}");
        }
    }

    /// <summary>Writes <paramref name="image"/> as a PNG file (creating the folder) and prints where.</summary>
    public static void Png(Image image, string path, TextWriter stdout)
    {
        try
        {
            image.SavePng(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"cannot write '{path}': {e.Message}");
        }
        stdout.WriteLine($"wrote {Path.GetFullPath(path)} ({image.Width}x{image.Height})");
    }

    /// <summary>
    /// Builds the report of checkpoint <paramref name="ck"/> (read from, or just written to, <paramref name="model"/>)
    /// with log <paramref name="log"/> and writes it to <paramref name="output"/>.
    /// </summary>
    public static void Report(Checkpoint ck, string model, string log, ImageDataset test, int testLimit, string output, TextWriter stdout)
    {
        if (!File.Exists(log)) throw new CliUsageException($"training log '{log}' does not exist; give it with --log (striate train writes it beside the checkpoint).");
        if (testLimit > 0 && testLimit < test.Count) test = test.Subset(Enumerable.Range(0, testLimit).ToArray());
        if (ck.Extra.ContainsKey(TrainingOptions.ImageSizeKey) && test.Channels == ck.Spec.InChannels) test = Datasets.FitTo(ck.Spec, test);
        if (test.Channels != ck.Spec.InChannels || test.Height != ck.Spec.InputHeight || test.Width != ck.Spec.InputWidth)
            throw new CliUsageException($"the model takes {ck.Spec.InChannels}x{ck.Spec.InputHeight}x{ck.Spec.InputWidth} images; the test images are {test.Channels}x{test.Height}x{test.Width}.");
        if (test.ClassCount > ck.Spec.NumClasses)
            throw new CliUsageException($"the data has {test.ClassCount} classes but the model predicts {ck.Spec.NumClasses}.");
        string html = RunReport.Build(ck, TrainingLog.Read(log), test, $"{ck.Spec.Architecture}: {Path.GetFileName(model)}");
        try
        {
            RunReport.Write(output, html);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"cannot write '{output}': {e.Message}");
        }
        stdout.WriteLine($"wrote {Path.GetFullPath(output)} ({html.Length / 1024} KiB)");
    }
}
