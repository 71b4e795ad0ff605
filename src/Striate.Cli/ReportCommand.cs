using System.CommandLine;
using Striate.Data;
using Striate.Runs;
using Striate.Training;
using Striate.Visualization;

namespace Striate.Cli;

/// <summary>
/// <c>striate report RUN... -o run.html</c>: one self-contained HTML page about a trained model, or comparing several
/// runs on one page.
/// </summary>
public static class ReportCommand
{
    public static Command Create(TextWriter stdout)
    {
        var cmd = new Command("report", "Write one self-contained HTML page about a run (settings, curves per step and per epoch, confusion matrix, misclassified images, first-layer filters, summary), or comparing several runs: striate report RUN1 RUN2 ... -o page.html.");
        var runs = new Argument<string[]>("RUN") { Description = "Checkpoints written by striate train (or give one with --model); two or more are compared.", Arity = ArgumentArity.ZeroOrMore };
        var model = new Option<string?>("--model", "-m") { Description = "Checkpoint written by striate train (the same as one RUN)." };
        var log = new Option<string?>("--log") { Description = "The run's CSV log (default: the checkpoint's path with .csv); one run only." };
        var data = new Option<string?>("--data") { Description = "Data folder whose test images are measured: IDX, CIFAR or an image folder (default: the bundled data)." };
        var testLimit = new Option<int>("--test-limit") { Description = "Use the first N test images only (0: all)." }.AtLeast(0);
        var output = new Option<string>("--out", "-o") { Description = "HTML file to write (its folder is created).", Required = true };
        foreach (var o in new Option[] { model, log, data, testLimit, output }) cmd.Options.Add(o);
        cmd.Arguments.Add(runs);
        cmd.SetAction(r =>
        {
            var paths = (r.GetValue(runs) ?? []).ToList();
            if (r.GetValue(model) is { } m) paths.Insert(0, m);
            if (paths.Count == 0) throw new CliUsageException("give the checkpoint to report on: striate report RUN.safetensors -o report.html (several are compared).");
            if (r.GetValue(log) is not null && paths.Count > 1) throw new CliUsageException($"--log names one run's log; {paths.Count} runs were given (each run's log is found beside its checkpoint).");
            Output.CheckWritable(r.GetValue(output)!, "--out");
            var folder = DataLocator.Resolve(r.GetValue(data));
            var loaded = new List<(Checkpoint, string, string)>();
            var tests = new List<ImageDataset>();
            foreach (var p in paths)
            {
                string path = Arguments.ExistingFile(p);
                var ck = Arguments.Classifier(path, "report");
                loaded.Add((ck, path, r.GetValue(log) ?? new RunFiles(path).Csv));
                tests.Add(Datasets.LoadTestFor(ck, folder));
            }
            Output.Report(loaded, tests, r.GetValue(testLimit), r.GetValue(output)!, stdout);
            return 0;
        });
        return cmd;
    }
}
