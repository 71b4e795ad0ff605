using System.CommandLine;
using Striate.Data;
using Striate.Runs;
using Striate.Training;
using Striate.Visualization;

namespace Striate.Cli;

/// <summary><c>striate report --model M [--log LOG] -o run.html</c>: one self-contained HTML page about a trained model.</summary>
public static class ReportCommand
{
    public static Command Create(TextWriter stdout)
    {
        var cmd = new Command("report", "Write one self-contained HTML page (pictures inline) with a run's settings, curves, confusion matrix, misclassified images, first-layer filters and summary.");
        var model = new Option<string>("--model", "-m") { Description = "Checkpoint written by striate train.", Required = true };
        var log = new Option<string?>("--log") { Description = "The run's CSV log (default: the checkpoint's path with .csv)." };
        var data = new Option<string?>("--data") { Description = "Data folder whose test images are measured: IDX, CIFAR or an image folder (default: the bundled data)." };
        var testLimit = new Option<int>("--test-limit") { Description = "Use the first N test images only (0: all)." };
        var output = new Option<string>("--out", "-o") { Description = "HTML file to write (its folder is created).", Required = true };
        foreach (var o in new Option[] { model, log, data, testLimit, output }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            string path = EvaluateCommand.CheckFile(r.GetValue(model)!);
            if (r.GetValue(testLimit) < 0) throw new CliUsageException($"--test-limit must be >= 0, got {r.GetValue(testLimit)}.");
            var ck = Checkpoint.Load(path);
            var test = Datasets.LoadTestFor(ck, DataLocator.Resolve(r.GetValue(data)));
            Write(ck, path, r.GetValue(log) ?? new RunFiles(path).Csv, test, r.GetValue(testLimit), r.GetValue(output)!, stdout);
            return 0;
        });
        return cmd;
    }

    /// <summary>
    /// Builds the report of checkpoint <paramref name="ck"/> (read from, or just written to, <paramref name="model"/>)
    /// with log <paramref name="log"/> and writes it to <paramref name="output"/>.
    /// </summary>
    internal static void Write(Checkpoint ck, string model, string log, ImageDataset test, int testLimit, string output, TextWriter stdout)
    {
        if (!File.Exists(log)) throw new CliUsageException($"training log '{log}' does not exist; give it with --log (striate train writes it beside the checkpoint).");
        if (test.Channels != ck.Spec.InChannels || test.Height != ck.Spec.InputHeight || test.Width != ck.Spec.InputWidth)
            throw new CliUsageException($"the model takes {ck.Spec.InChannels}x{ck.Spec.InputHeight}x{ck.Spec.InputWidth} images; the test images are {test.Channels}x{test.Height}x{test.Width}.");
        if (test.ClassCount > ck.Spec.NumClasses)
            throw new CliUsageException($"the data has {test.ClassCount} classes but the model predicts {ck.Spec.NumClasses}.");
        if (testLimit > 0 && testLimit < test.Count) test = test.Subset(Enumerable.Range(0, testLimit).ToArray());
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
