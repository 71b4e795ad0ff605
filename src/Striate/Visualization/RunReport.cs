using System.Globalization;
using System.Net;
using System.Text;
using Striate.Data;
using Striate.Models;
using Striate.Nn;
using Striate.Tensors;
using Striate.Training;
using Striate.Imaging;

namespace Striate.Visualization;

/// <summary>One run in a report: the name it is shown under, its checkpoint, its per-epoch log and, when written, its per-step log.</summary>
public sealed record ReportRun(string Name, Checkpoint Checkpoint, IReadOnlyList<EpochRecord> Log, IReadOnlyList<StepRecord>? Steps = null);

/// <summary>
/// One self-contained HTML page about a trained model, or comparing several: the runs' settings as a table, their
/// loss, accuracy, learning-rate and throughput curves as SVG charts with real text (per step and per epoch), the
/// confusion matrix with class names, misclassified test images, the first convolution's filters and the model
/// summary. Pictures are inline (SVG, or PNG data URIs), so the file can be mailed or archived alone.
/// </summary>
public static class RunReport
{
    /// <summary>The most misclassified images shown.</summary>
    public const int MaxMisclassified = 32;

    /// <summary>The most points a per-step line has; longer logs are drawn as the means of consecutive steps.</summary>
    public const int MaxStepPoints = 1500;

    private const string Style = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:960px;color:#222}h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}" +
        "table{border-collapse:collapse;max-width:100%}td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #eee;vertical-align:top;overflow-wrap:anywhere}th{white-space:nowrap}img{image-rendering:pixelated;max-width:100%}" +
        "figure{margin:0.5em 0}.charts{display:flex;flex-wrap:wrap;gap:12px 24px}.differs th,.differs td{background:#fff6d6}" +
        "pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}";

    /// <summary>
    /// Builds the page for <paramref name="checkpoint"/>, with curves from <paramref name="log"/> (and
    /// <paramref name="steps"/> when the run wrote them) and the test-set pictures from <paramref name="test"/>
    /// (unnormalised images; the checkpoint's normalisation is applied).
    /// </summary>
    public static string Build(Checkpoint checkpoint, IReadOnlyList<EpochRecord> log, ImageDataset test, string title, IReadOnlyList<StepRecord>? steps = null)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(test);
        var spec = checkpoint.Spec;
        var model = checkpoint.Model;
        var names = Names(checkpoint, test);
        var (confusion, correct, wrong) = Measure(checkpoint, test);
        var inv = CultureInfo.InvariantCulture;

        var html = Begin(title);
        html.Append("<p>Test accuracy <b>").Append(Enc(((double)correct / Math.Max(test.Count, 1)).ToString("P2", inv))).Append("</b> on ")
            .Append(test.Count.ToString("N0", inv)).Append(" images after ").Append(checkpoint.Epoch.ToString(inv)).Append(" epochs.</p>\n");

        AppendSettings(html, [new ReportRun(title, checkpoint, log, steps)]);
        AppendCurves(html, log, steps);
        html.Append("<h2>Confusion matrix</h2>\n<figure id=\"confusion\">").Append(SvgChart.Confusion(confusion, names)).Append("</figure>\n");
        html.Append("<h2>Misclassified test images</h2>\n<p>The first ").Append(wrong.Count.ToString(inv))
            .Append(" in test-set order; T is the true class, P the prediction.</p>\n");
        Img(html, "misclassified", "misclassified test images", TrainingCharts.Misclassified(wrong, names));

        var firstConv = model.NamedModules().FirstOrDefault(m => m.Module is Conv2d);
        if (firstConv.Module is Conv2d conv)
        {
            html.Append("<h2>First-layer filters (").Append(Enc(firstConv.Name)).Append(")</h2>\n<p>")
                .Append(conv.OutChannels.ToString(inv)).Append(" filters, each scaled on its own: mid-gray is zero.</p>\n");
            Img(html, "filters", "first-layer filters", FilterBank.Picture(conv, firstConv.Name));
        }
        if (model is Models.RowRecurrentNet rows && test.Count > 0)
        {
            // The gradient through time at the checkpoint's weights, on the first test images.
            var normalized = test.Normalize(checkpoint.Mean, checkpoint.Std);
            int n = Math.Min(256, normalized.Count);
            var norms = TimeGradientsOf(rows, normalized, n);
            html.Append("<h2>Gradient through time</h2>\n<p>The norm of the loss's gradient with respect to the hidden state at each of the ")
                .Append(norms.Length.ToString(inv)).Append(" steps (rows), mean over the first ").Append(n.ToString(inv))
                .Append(" test images, at the checkpoint's weights; the first step's is ").Append(Enc((norms[0] / norms[^1]).ToString("E2", inv)))
                .Append(" of the last's (<code>striate visualize time-gradients</code> compares models early in training).</p>\n");
            Img(html, "time-gradients", "gradient norm by step", TimeGradients.Draw([(spec.Architecture, norms)]));
        }
        html.Append("<h2>Model summary</h2>\n<pre>").Append(Enc(ModelSummary.Of(model, spec.InChannels, spec.InputHeight, spec.InputWidth, spec.Architecture).ToString()))
            .Append("</pre>\n</body></html>\n");
        return html.ToString();
    }

    private static double[] TimeGradientsOf(Models.RowRecurrentNet model, ImageDataset set, int n)
    {
        var images = Tensor.Empty(n, set.Channels, set.Height, set.Width);
        for (int i = 0; i < n; i++) set.Image(i).CopyTo(images.Data.Slice(i * set.ImageSize, set.ImageSize));
        bool training = model.IsTraining;
        model.Eval();
        try
        {
            return TimeGradients.Measure(model, images, set.Labels[..n]);
        }
        finally
        {
            if (training) model.Train();
        }
    }

    /// <summary>
    /// One page comparing <paramref name="runs"/>, each measured on its own test set <paramref name="tests"/>[i]: a
    /// table of results, the settings side by side (rows that differ marked), every curve with one line per run, and
    /// each run's confusion matrix.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two runs, or not one test set per run.</exception>
    public static string Compare(IReadOnlyList<ReportRun> runs, IReadOnlyList<ImageDataset> tests, string title)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentNullException.ThrowIfNull(tests);
        if (runs.Count < 2) throw new ArgumentException($"RunReport.Compare: expected at least two runs, got {runs.Count}.");
        if (tests.Count != runs.Count) throw new ArgumentException($"RunReport.Compare: expected one test set per run ({runs.Count}), got {tests.Count}.");
        var inv = CultureInfo.InvariantCulture;
        var measured = runs.Select((r, i) => Measure(r.Checkpoint, tests[i])).ToList();
        var html = Begin(title);
        html.Append("<table id=\"results\"><tr><th>run</th><th>model</th><th>epochs</th><th>test accuracy</th><th>best logged test accuracy</th><th>parameters</th><th>training time</th></tr>\n");
        for (int i = 0; i < runs.Count; i++)
        {
            var r = runs[i];
            double acc = (double)measured[i].Correct / Math.Max(tests[i].Count, 1);
            double? best = r.Log.Max(e => e.TestAccuracy);
            html.Append("<tr><td><span style=\"color:").Append(SvgChart.Palette[i % SvgChart.Palette.Length]).Append("\">&#9632;</span> ").Append(Enc(r.Name))
                .Append("</td><td>").Append(Enc(r.Checkpoint.Spec.Architecture)).Append("</td><td>").Append(r.Checkpoint.Epoch.ToString(inv))
                .Append("</td><td><b>").Append(acc.ToString("P2", inv)).Append("</b> on ").Append(tests[i].Count.ToString("N0", inv))
                .Append("</td><td>").Append(Pct(best)).Append("</td><td>").Append(r.Checkpoint.Model.ParameterCount().ToString("N0", inv))
                .Append("</td><td>").Append(r.Log.Sum(e => e.Seconds).ToString("F1", inv)).Append(" s</td></tr>\n");
        }
        html.Append("</table>\n");
        AppendSettings(html, runs);

        string Colour(int i) => SvgChart.Palette[i % SvgChart.Palette.Length];
        ChartSeries PerEpoch(int i, Func<EpochRecord, double?> value) =>
            new(runs[i].Name, Colour(i), runs[i].Log.Select(e => ((double)e.Epoch, value(e) ?? double.NaN)).ToList());
        var all = Enumerable.Range(0, runs.Count).ToList();
        html.Append("<h2>Curves</h2>\n<div class=\"charts\">\n");
        Chart(html, "test-accuracy", "test accuracy per epoch", "epoch", "accuracy", all.Select(i => PerEpoch(i, e => e.TestAccuracy)).ToList(), percent: true);
        Chart(html, "validation-accuracy", "validation accuracy per epoch", "epoch", "accuracy", all.Select(i => PerEpoch(i, e => e.ValidationAccuracy)).ToList(), percent: true);
        Chart(html, "train-loss", "training loss per epoch", "epoch", "loss", all.Select(i => PerEpoch(i, e => e.TrainLoss)).ToList(), fromZero: true);
        Chart(html, "step-loss", "training loss per step", "epoch", "loss",
            all.Where(i => runs[i].Steps is { Count: > 0 }).Select(i => new ChartSeries(runs[i].Name, Colour(i), StepPoints(runs[i].Steps!, s => s.Loss), Markers: false, Width: 1)).ToList(), fromZero: true);
        Chart(html, "learning-rate", "learning rate", "epoch", "learning rate", all.Select(i => LearningRate(runs[i].Log, runs[i].Steps, Colour(i), runs[i].Name)).ToList(), fromZero: true);
        Chart(html, "throughput", "training throughput", "epoch", "images per second", all.Select(i => PerEpoch(i, e => e.ImagesPerSecond)).ToList(), fromZero: true);
        html.Append("</div>\n<h2>Confusion matrices</h2>\n");
        for (int i = 0; i < runs.Count; i++)
            html.Append("<h3>").Append(Enc(runs[i].Name)).Append("</h3>\n<figure class=\"confusion\">").Append(SvgChart.Confusion(measured[i].Confusion, Names(runs[i].Checkpoint, tests[i]))).Append("</figure>\n");
        html.Append("</body></html>\n");
        return html.ToString();
    }

    internal static StringBuilder Begin(string title)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(Enc(title)).Append("</title>\n<style>").Append(Style)
            .Append("</style></head><body>\n<h1>").Append(Enc(title)).Append("</h1>\n");
        return html;
    }

    private static IReadOnlyList<string> Names(Checkpoint checkpoint, ImageDataset test) => checkpoint.ClassNames.Count > 0 ? checkpoint.ClassNames : test.ClassNames;

    // The confusion matrix [true, predicted] of the checkpoint's model on the test set, the count right, and the first misclassified images.
    private static (long[,] Confusion, long Correct, List<(Image, int, int)> Wrong) Measure(Checkpoint checkpoint, ImageDataset test)
    {
        var predicted = Predict(checkpoint.Model, test.Normalize(checkpoint.Mean, checkpoint.Std));
        int k = Math.Max(checkpoint.Spec.NumClasses, test.ClassCount);
        var confusion = new long[k, k];
        var wrong = new List<(Image, int, int)>();
        for (int i = 0; i < test.Count; i++)
        {
            confusion[test.Labels[i], predicted[i]]++;
            if (predicted[i] != test.Labels[i] && wrong.Count < MaxMisclassified)
                wrong.Add((new Image(test.Image(i).ToArray(), test.Channels is 1 or 3 ? test.Channels : 1, test.Height, test.Width), test.Labels[i], predicted[i]));
        }
        long correct = 0;
        for (int c = 0; c < k; c++) correct += confusion[c, c];
        return (confusion, correct, wrong);
    }

    // The settings of every run as a table, one column per run; with several runs, the rows whose values differ are marked.
    private static void AppendSettings(StringBuilder html, IReadOnlyList<ReportRun> runs)
    {
        var columns = runs.Select(r => Settings(r.Checkpoint)).ToList();
        var keys = new List<string>();
        foreach (var c in columns)
            foreach (var (key, _) in c)
                if (!keys.Contains(key)) keys.Add(key);
        html.Append("<h2>Settings</h2>\n<table id=\"settings\">\n");
        if (runs.Count > 1)
        {
            html.Append("<tr><th></th>");
            foreach (var r in runs) html.Append("<th>").Append(Enc(r.Name)).Append("</th>");
            html.Append("</tr>\n");
        }
        foreach (var key in keys)
        {
            var values = columns.Select(c => c.FirstOrDefault(kv => kv.Key == key).Value ?? "").ToList();
            bool differs = runs.Count > 1 && values.Distinct(StringComparer.Ordinal).Count() > 1;
            html.Append(differs ? "<tr class=\"differs\"><th>" : "<tr><th>").Append(Enc(key)).Append("</th>");
            foreach (var v in values) html.Append("<td>").Append(Enc(v)).Append("</td>");
            html.Append("</tr>\n");
        }
        html.Append("</table>\n");
    }

    private static List<KeyValuePair<string, string>> Settings(Checkpoint checkpoint)
    {
        var inv = CultureInfo.InvariantCulture;
        var spec = checkpoint.Spec;
        var settings = new List<KeyValuePair<string, string>>
        {
            new("model", spec.Architecture), new("input", $"{spec.InChannels}x{spec.InputHeight}x{spec.InputWidth}"), new("classes", spec.NumClasses.ToString(inv)),
            new("parameters", checkpoint.Model.ParameterCount().ToString("N0", inv)), new("epochs", checkpoint.Epoch.ToString(inv)), new("seed", checkpoint.Seed.ToString(inv)),
            new("optimizer", checkpoint.Optimizer?.ToJson() ?? "unknown"),
            new("normalisation", $"mean {string.Join(", ", checkpoint.Mean.Select(v => v.ToString("G4", inv)))}; std {string.Join(", ", checkpoint.Std.Select(v => v.ToString("G4", inv)))}"),
        };
        // The checkpoint's other metadata (schedule, augmentation, ...), less what the rows above already show.
        // "rng" (dropout generator offsets) is resume state, not a setting.
        string[] shown = ["format", "format_version", "model_spec", "class_names", "normalization", "optimizer", "seed", "epoch", "rng"];
        settings.AddRange(checkpoint.Extra.Where(kv => !shown.Contains(kv.Key)).OrderBy(kv => kv.Key, StringComparer.Ordinal));
        return settings;
    }

    private static void AppendCurves(StringBuilder html, IReadOnlyList<EpochRecord> log, IReadOnlyList<StepRecord>? steps)
    {
        var inv = CultureInfo.InvariantCulture;
        const string train = "#1f77b4", validation = "#ff7f0e", test = "#2ca02c";
        ChartSeries PerEpoch(string name, string colour, Func<EpochRecord, double?> value) => new(name, colour, log.Select(e => ((double)e.Epoch, value(e) ?? double.NaN)).ToList());
        html.Append("<h2>Loss and accuracy</h2>\n<div class=\"charts\">\n");
        var loss = new List<ChartSeries>();
        if (steps is { Count: > 0 }) loss.Add(new ChartSeries("train, per step", train, StepPoints(steps, s => s.Loss), Markers: false, Width: 1, Opacity: 0.35));
        loss.Add(PerEpoch("train", train, e => e.TrainLoss));
        loss.Add(PerEpoch("validation", validation, e => e.ValidationLoss));
        loss.Add(PerEpoch("test", test, e => e.TestLoss));
        Chart(html, "loss", "loss", "epoch", "cross-entropy", loss, fromZero: true);
        Chart(html, "accuracy", "accuracy", "epoch", "accuracy",
            [PerEpoch("train", train, e => e.TrainAccuracy), PerEpoch("validation", validation, e => e.ValidationAccuracy), PerEpoch("test", test, e => e.TestAccuracy)], percent: true);
        Chart(html, "learning-rate", "learning rate", "epoch", "learning rate", [LearningRate(log, steps, train, steps is { Count: > 0 } ? "per step" : "per epoch")], fromZero: true);
        Chart(html, "throughput", "training throughput", "epoch", "images per second", [PerEpoch("train", train, e => e.ImagesPerSecond)], fromZero: true);
        html.Append("</div>\n");
        html.Append("<table><tr><th>epoch</th><th>train loss</th><th>train acc</th><th>val acc</th><th>test acc</th><th>lr</th><th>images/s</th><th>seconds</th></tr>\n");
        foreach (var r in log)
            html.Append(string.Create(inv, $"<tr><td>{r.Epoch}</td><td>{r.TrainLoss:F4}</td><td>{r.TrainAccuracy:P2}</td><td>{Pct(r.ValidationAccuracy)}</td><td>{Pct(r.TestAccuracy)}</td><td>{r.LearningRate:G4}</td><td>{r.ImagesPerSecond:F0}</td><td>{r.Seconds:F1}</td></tr>\n"));
        html.Append("</table>\n");
    }

    // The learning rate per step when the run logged its steps, else per epoch (the rate at the epoch's end).
    private static ChartSeries LearningRate(IReadOnlyList<EpochRecord> log, IReadOnlyList<StepRecord>? steps, string colour, string name) =>
        steps is { Count: > 0 }
            ? new ChartSeries(name, colour, StepPoints(steps, s => s.LearningRate), Markers: false)
            : new ChartSeries(name, colour, log.Select(e => ((double)e.Epoch, e.LearningRate)).ToList());

    // Per-step values on the epoch axis; past MaxStepPoints, the means of runs of consecutive steps (skipped steps left out).
    internal static List<(double X, double Y)> StepPoints(IReadOnlyList<StepRecord> steps, Func<StepRecord, double?> value)
    {
        int every = (steps.Count + MaxStepPoints - 1) / MaxStepPoints;
        var points = new List<(double, double)>();
        for (int start = 0; start < steps.Count; start += every)
        {
            double sum = 0, x = 0;
            int n = 0;
            for (int i = start; i < Math.Min(start + every, steps.Count); i++)
                if (value(steps[i]) is double v && double.IsFinite(v)) { sum += v; x += steps[i].Position; n++; }
            if (n > 0) points.Add((x / n, sum / n));
        }
        return points;
    }

    // A chart in its own figure; a chart none of whose series has a value (no validation set, say) is left out.
    private static void Chart(StringBuilder html, string id, string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series, bool percent = false, bool fromZero = false)
    {
        if (!series.Any(s => s.Points.Any(p => double.IsFinite(p.X) && double.IsFinite(p.Y)))) return;
        html.Append("<figure id=\"").Append(id).Append("\">").Append(SvgChart.Lines(title, xLabel, yLabel, series, percent, fromZero)).Append("</figure>\n");
    }

    /// <summary>Writes <paramref name="html"/> atomically (temporary file in the same folder, then rename), creating the folder.</summary>
    public static void Write(string path, string html) => IO.AtomicFile.WriteAllBytes(path, new UTF8Encoding(false).GetBytes(html));

    private static string Pct(double? v) => v is double d ? d.ToString("P2", CultureInfo.InvariantCulture) : "";

    internal static string Enc(string s) => WebUtility.HtmlEncode(s);

    internal static void Img(StringBuilder html, string id, string alt, Image image) =>
        html.Append("<p><img id=\"").Append(id).Append("\" alt=\"").Append(Enc(alt)).Append("\" width=\"").Append(image.Width.ToString(CultureInfo.InvariantCulture))
            .Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(ImageFile.EncodePng(image))).Append("\"></p>\n");

    private static int[] Predict(Module model, ImageDataset data)
    {
        var predicted = new int[data.Count];
        int size = data.Channels * data.Height * data.Width;
        for (int start = 0; start < data.Count; start += 500)
        {
            int n = Math.Min(500, data.Count - start);
            var batch = Tensor.Persistent(new Shape(n, data.Channels, data.Height, data.Width));
            for (int i = 0; i < n; i++) data.Image(start + i).CopyTo(batch.Data.Slice(i * size, size));
            var probs = Trainer.PredictProbabilities(model, batch);
            int k = probs.Shape[1];
            for (int i = 0; i < n; i++) predicted[start + i] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(probs.Data.Slice(i * k, k));
        }
        return predicted;
    }
}
