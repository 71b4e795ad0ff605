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

/// <summary>
/// One self-contained HTML page about a trained model: the run's settings, loss and accuracy curves, the confusion
/// matrix, misclassified test images, the first convolution's filters and the model summary. Every picture is a PNG
/// inlined as a data URI, so the file can be mailed or archived alone.
/// </summary>
public static class RunReport
{
    /// <summary>The most misclassified images shown.</summary>
    public const int MaxMisclassified = 32;

    /// <summary>
    /// Builds the page for <paramref name="checkpoint"/>, with curves from <paramref name="log"/> and the test-set
    /// pictures from <paramref name="test"/> (unnormalised images; the checkpoint's normalisation is applied).
    /// </summary>
    public static string Build(Checkpoint checkpoint, IReadOnlyList<EpochRecord> log, ImageDataset test, string title)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(test);
        var spec = checkpoint.Spec;
        var model = checkpoint.Model;
        var names = checkpoint.ClassNames.Count > 0 ? checkpoint.ClassNames : test.ClassNames;
        var predicted = Predict(model, test.Normalize(checkpoint.Mean, checkpoint.Std));
        int k = Math.Max(spec.NumClasses, test.ClassCount);
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
        var inv = CultureInfo.InvariantCulture;

        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(Enc(title)).Append("</title>\n<style>")
            .Append("body{font-family:system-ui,sans-serif;margin:2em auto;max-width:960px;color:#222}h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}")
            .Append("table{border-collapse:collapse}td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}img{image-rendering:pixelated;max-width:100%}")
            .Append("pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}</style></head><body>\n");
        html.Append("<h1>").Append(Enc(title)).Append("</h1>\n");
        html.Append("<p>Test accuracy <b>").Append(Enc(((double)correct / Math.Max(test.Count, 1)).ToString("P2", inv))).Append("</b> on ")
            .Append(test.Count.ToString("N0", inv)).Append(" images after ").Append(checkpoint.Epoch.ToString(inv)).Append(" epochs.</p>\n");

        AppendSettings(html, checkpoint);
        AppendCurves(html, log);
        html.Append("<h2>Confusion matrix</h2>\n");
        Img(html, "confusion", "confusion matrix", TrainingCharts.ConfusionMatrix(confusion, names));
        html.Append("<h2>Misclassified test images</h2>\n<p>The first ").Append(wrong.Count.ToString(inv))
            .Append(" in test-set order; T is the true class, P the prediction.</p>\n");
        Img(html, "misclassified", "misclassified test images", TrainingCharts.Misclassified(wrong, names));

        var firstConv = model.NamedModules().FirstOrDefault(m => m.Module is Conv2d);
        if (firstConv.Module is Conv2d conv)
        {
            html.Append("<h2>First-layer filters (").Append(Enc(firstConv.Name)).Append(")</h2>\n<p>")
                .Append(conv.OutChannels.ToString(inv)).Append(" filters, each scaled on its own: mid-gray is zero.</p>\n");
            Img(html, "filters", "first-layer filters", FilterBank.Draw(conv, tilePixels: 64));
        }
        html.Append("<h2>Model summary</h2>\n<pre>").Append(Enc(ModelSummary.Of(model, spec.InChannels, spec.InputHeight, spec.InputWidth, spec.Architecture).ToString()))
            .Append("</pre>\n</body></html>\n");
        return html.ToString();
    }

    private static void AppendSettings(StringBuilder html, Checkpoint checkpoint)
    {
        var inv = CultureInfo.InvariantCulture;
        var spec = checkpoint.Spec;
        var model = checkpoint.Model;
        html.Append("<h2>Settings</h2>\n<table>\n");
        var settings = new List<(string, string)>
        {
            ("model", spec.Architecture), ("input", $"{spec.InChannels}x{spec.InputHeight}x{spec.InputWidth}"), ("classes", spec.NumClasses.ToString(inv)),
            ("parameters", model.ParameterCount().ToString("N0", inv)), ("epochs", checkpoint.Epoch.ToString(inv)), ("seed", checkpoint.Seed.ToString(inv)),
            ("optimizer", checkpoint.Optimizer?.ToJson() ?? "unknown"),
            ("normalisation", $"mean {string.Join(", ", checkpoint.Mean.Select(v => v.ToString("G4", inv)))}; std {string.Join(", ", checkpoint.Std.Select(v => v.ToString("G4", inv)))}"),
        };
        // The checkpoint's other metadata (schedule, augmentation, ...), less what the rows above already show.
        // "rng" (dropout generator offsets) is resume state, not a setting.
        string[] shown = ["format", "format_version", "model_spec", "class_names", "normalization", "optimizer", "seed", "epoch", "rng"];
        foreach (var (key, value) in checkpoint.Extra.Where(kv => !shown.Contains(kv.Key)).OrderBy(kv => kv.Key, StringComparer.Ordinal)) settings.Add((key, value));
        foreach (var (key, value) in settings) html.Append("<tr><th>").Append(Enc(key)).Append("</th><td>").Append(Enc(value)).Append("</td></tr>\n");
        html.Append("</table>\n");
    }

    private static void AppendCurves(StringBuilder html, IReadOnlyList<EpochRecord> log)
    {
        var inv = CultureInfo.InvariantCulture;
        html.Append("<h2>Loss and accuracy</h2>\n");
        Img(html, "curves", "loss and accuracy per epoch", TrainingCharts.Curves(log));
        html.Append("<table><tr><th>epoch</th><th>train loss</th><th>train acc</th><th>val acc</th><th>test acc</th><th>seconds</th></tr>\n");
        foreach (var r in log)
            html.Append(string.Create(inv, $"<tr><td>{r.Epoch}</td><td>{r.TrainLoss:F4}</td><td>{r.TrainAccuracy:P2}</td><td>{Pct(r.ValidationAccuracy)}</td><td>{Pct(r.TestAccuracy)}</td><td>{r.Seconds:F1}</td></tr>\n"));
        html.Append("</table>\n");
    }

    /// <summary>Writes <paramref name="html"/> atomically (temporary file in the same folder, then rename), creating the folder.</summary>
    public static void Write(string path, string html) => IO.AtomicFile.WriteAllBytes(path, new UTF8Encoding(false).GetBytes(html));

    private static string Pct(double? v) => v is double d ? d.ToString("P2", CultureInfo.InvariantCulture) : "";

    private static string Enc(string s) => WebUtility.HtmlEncode(s);

    private static void Img(StringBuilder html, string id, string alt, Image image) =>
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
