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
    public static void Report(Checkpoint ck, string model, string log, ImageDataset test, int testLimit, string output, TextWriter stdout) =>
        Report([(ck, model, log)], [test], testLimit, output, stdout);

    /// <summary>
    /// Builds the report of one run, or the page comparing several (each with its checkpoint, the path it was read
    /// from, its log, and its test set <paramref name="tests"/>[i]), and writes it to <paramref name="output"/>. A
    /// run's per-step log is drawn when it lies beside its checkpoint.
    /// </summary>
    public static void Report(IReadOnlyList<(Checkpoint Checkpoint, string Model, string Log)> runs, IReadOnlyList<ImageDataset> tests, int testLimit, string output, TextWriter stdout)
    {
        var stems = runs.Select(r => Path.GetFileNameWithoutExtension(r.Model)).ToList();
        bool unique = stems.Distinct(StringComparer.Ordinal).Count() == stems.Count;
        var reportRuns = new List<ReportRun>();
        var fitted = new List<ImageDataset>();
        for (int i = 0; i < runs.Count; i++)
        {
            var (ck, model, log) = runs[i];
            if (!File.Exists(log)) throw new CliUsageException($"training log '{log}' does not exist; give it with --log (striate train writes it beside the checkpoint).");
            var test = tests[i];
            if (testLimit > 0 && testLimit < test.Count) test = test.Subset(Enumerable.Range(0, testLimit).ToArray());
            test = Datasets.FitTo(ck, test);
            if (test.Channels != ck.Spec.InChannels || test.Height != ck.Spec.InputHeight || test.Width != ck.Spec.InputWidth)
                throw new CliUsageException($"{model}: the model takes {ck.Spec.InChannels}x{ck.Spec.InputHeight}x{ck.Spec.InputWidth} images; the test images are {test.Channels}x{test.Height}x{test.Width}.");
            if (test.ClassCount > ck.Spec.NumClasses)
                throw new CliUsageException($"{model}: the data has {test.ClassCount} classes but the model predicts {ck.Spec.NumClasses}.");
            string steps = new RunFiles(model).Steps;
            reportRuns.Add(new ReportRun(unique ? stems[i] : model, ck, TrainingLog.Read(log), File.Exists(steps) ? StepLog.Read(steps) : null));
            fitted.Add(test);
        }
        string html = reportRuns.Count == 1
            ? RunReport.Build(runs[0].Checkpoint, reportRuns[0].Log, fitted[0], $"{runs[0].Checkpoint.Spec.Architecture}: {Path.GetFileName(runs[0].Model)}", reportRuns[0].Steps)
            : RunReport.Compare(reportRuns, fitted, $"{reportRuns.Count} runs compared: {string.Join(", ", reportRuns.Select(r => r.Name))}");
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
