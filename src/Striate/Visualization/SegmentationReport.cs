using System.Globalization;
using System.Text;
using Striate.Data;
using Striate.Imaging;
using Striate.Models;
using Striate.Nn;
using Striate.Runs;
using Striate.Training;

namespace Striate.Visualization;

/// <summary>
/// The HTML page of a segmentation run: its results, settings, curves per epoch (training loss, test mean IoU and
/// pixel accuracy), the per-class IoU, the confusion matrix in pixels, test images with their predicted and true
/// masks, and the model summary with its skip connections.
/// </summary>
public static class SegmentationReport
{
    /// <summary>The most test images drawn with their masks.</summary>
    public const int MaxExamples = 12;

    /// <summary>
    /// Builds the page for <paramref name="model"/> (named <paramref name="modelName"/>) after the epochs of
    /// <paramref name="records"/>, measured on <paramref name="test"/>, with the run's <paramref name="settings"/>.
    /// </summary>
    public static string Build(Module model, string modelName, IReadOnlyList<SegmentationEpoch> records, SegmentationSet test,
        IReadOnlyDictionary<string, string> settings, string title)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(settings);
        var inv = CultureInfo.InvariantCulture;
        var metrics = SegmentationRun.Evaluate(model, test);
        var iou = metrics.ClassIoU();
        var names = test.ClassNames;
        var html = RunReport.Begin(title);
        html.Append("<p>Test mean IoU <b>").Append(metrics.MeanIoU.ToString("F4", inv)).Append("</b>, pixel accuracy <b>")
            .Append(RunReport.Enc(metrics.PixelAccuracy.ToString("P2", inv))).Append("</b> on ").Append(test.Count.ToString("N0", inv))
            .Append(" test images of ").Append(test.Width.ToString(inv)).Append('x').Append(test.Height.ToString(inv));
        if (records.Count > 0) html.Append(" after ").Append(records[^1].Epoch.ToString(inv)).Append(" epochs (").Append(records[^1].Seconds.ToString("F0", inv)).Append(" s)");
        html.Append(".</p>\n<h2>Settings</h2>\n<table id=\"settings\">\n");
        foreach (var (key, value) in settings.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            html.Append("<tr><th>").Append(RunReport.Enc(key)).Append("</th><td>").Append(RunReport.Enc(value)).Append("</td></tr>\n");
        html.Append("</table>\n");
        if (records.Count > 0)
        {
            html.Append("<h2>Curves</h2>\n<div class=\"charts\">\n<figure id=\"loss\">")
                .Append(SvgChart.Lines("Training loss", "epoch", "loss", [new ChartSeries("training", SvgChart.Palette[0], [.. records.Select(r => ((double)r.Epoch, r.TrainLoss))])]))
                .Append("</figure>\n<figure id=\"iou\">")
                .Append(SvgChart.Lines("Test mean IoU and pixel accuracy", "epoch", "", [
                    new ChartSeries("mean IoU", SvgChart.Palette[1], [.. records.Select(r => ((double)r.Epoch, r.MeanIoU))]),
                    new ChartSeries("pixel accuracy", SvgChart.Palette[2], [.. records.Select(r => ((double)r.Epoch, r.PixelAccuracy))])], fromZero: true))
                .Append("</figure>\n</div>\n");
        }
        html.Append("<h2>IoU per class</h2>\n<table id=\"class-iou\">\n<tr><th>class</th><th>IoU</th><th>test pixels</th></tr>\n");
        var confusion = metrics.Confusion;
        int k = names.Count;
        for (int c = 0; c < k; c++)
        {
            long pixels = 0;
            for (int j = 0; j < k; j++) pixels += confusion[c * k + j];
            html.Append("<tr><td>").Append(c.ToString(inv)).Append(' ').Append(RunReport.Enc(names[c])).Append("</td><td>")
                .Append(double.IsNaN(iou[c]) ? "(absent)" : iou[c].ToString("F4", inv)).Append("</td><td>").Append(pixels.ToString("N0", inv)).Append("</td></tr>\n");
        }
        html.Append("</table>\n");
        var matrix = new long[k, k];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) matrix[i, j] = confusion[i * k + j];
        html.Append("<h2>Confusion matrix (pixels)</h2>\n<figure id=\"confusion\">").Append(SvgChart.Confusion(matrix, names)).Append("</figure>\n");
        int n = Math.Min(MaxExamples, test.Count);
        html.Append("<h2>Test images</h2>\n<p>The first ").Append(n.ToString(inv)).Append(" test images, each beside its predicted mask and its true mask.</p>\n");
        int multiple = SegmentationModels.SizeMultiple(modelName);
        for (int i = 0; i < n; i++)
        {
            var pixels = test.Image(i).ToArray();
            var predicted = SegmentationModels.Predict(model, pixels, test.Channels, test.Height, test.Width, multiple);
            var image = new Image(pixels, test.Channels, test.Height, test.Width);
            RunReport.Img(html, $"example-{i}", $"test image {i} with its predicted and true masks",
                SegmentationPicture.Panel(image, [("predicted", predicted), ("true", test.Mask(i).ToArray())], names));
        }
        html.Append("<h2>Model summary</h2>\n<pre>").Append(RunReport.Enc(ModelSummary.Of(model, test.Channels, test.Height, test.Width, modelName).ToString()))
            .Append("</pre>\n</body></html>\n");
        return html.ToString();
    }
}
