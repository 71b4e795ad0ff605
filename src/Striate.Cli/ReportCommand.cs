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
        var testLimit = new Option<int>("--test-limit") { Description = "Use the first N test images only (0: all)." }.AtLeast(0);
        var output = new Option<string>("--out", "-o") { Description = "HTML file to write (its folder is created).", Required = true };
        foreach (var o in new Option[] { model, log, data, testLimit, output }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            string path = Arguments.ExistingFile(r.GetValue(model)!);
            var ck = Checkpoint.Load(path);
            var test = Datasets.LoadTestFor(ck, DataLocator.Resolve(r.GetValue(data)));
            Output.Report(ck, path, r.GetValue(log) ?? new RunFiles(path).Csv, test, r.GetValue(testLimit), r.GetValue(output)!, stdout);
            return 0;
        });
        return cmd;
    }
}
