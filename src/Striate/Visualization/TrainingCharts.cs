using System.Globalization;
using Striate.Training;
using Striate.Imaging;

namespace Striate.Visualization;

/// <summary>
/// Pictures of a training run drawn with <see cref="Canvas"/>: loss and accuracy per epoch (train, validation,
/// test), the confusion matrix as a heat map with class names, and a grid of misclassified images with their true
/// and predicted labels.
/// </summary>
public static class TrainingCharts
{
    /// <summary>Series colours: train, validation, test.</summary>
    public static readonly (float R, float G, float B) TrainColour = (0.12f, 0.47f, 0.71f), ValidationColour = (1f, 0.50f, 0.05f), TestColour = (0.17f, 0.63f, 0.17f);

    private static readonly (float, float, float) s_ink = (0.1f, 0.1f, 0.1f), s_grid = (0.88f, 0.88f, 0.88f);

    /// <summary>Two panels side by side: loss and accuracy against the epoch, one line per series that has values.</summary>
    /// <exception cref="ArgumentException">No epochs.</exception>
    public static Image Curves(IReadOnlyList<EpochRecord> epochs)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        if (epochs.Count == 0) throw new ArgumentException("TrainingCharts.Curves: the log has no epochs.");
        var canvas = new Canvas(880, 320);
        Panel(canvas, 0, "loss", epochs, [(r => r.TrainLoss, "train", TrainColour), (r => r.ValidationLoss, "validation", ValidationColour), (r => r.TestLoss, "test", TestColour)], percent: false);
        Panel(canvas, 440, "accuracy", epochs, [(r => r.TrainAccuracy, "train", TrainColour), (r => r.ValidationAccuracy, "validation", ValidationColour), (r => r.TestAccuracy, "test", TestColour)], percent: true);
        return canvas.Image;
    }

    private static void Panel(Canvas c, int x0, string title, IReadOnlyList<EpochRecord> epochs,
        (Func<EpochRecord, double?> Value, string Name, (float, float, float) Colour)[] series, bool percent)
    {
        const int left = 56, top = 30, width = 360, height = 240;
        int px = x0 + left;
        var all = series.SelectMany(s => epochs.Select(s.Value)).Where(v => v is double d && double.IsFinite(d)).Select(v => v!.Value).ToList();
        double lo = all.Count == 0 ? 0 : all.Min(), hi = all.Count == 0 ? 1 : all.Max();
        if (percent) { lo = Math.Floor(lo * 10) / 10; hi = Math.Min(1, Math.Ceiling(hi * 10) / 10); }
        else { lo = 0; hi = hi * 1.1; }
        if (!(hi > lo)) hi = lo + 1;
        int first = epochs[0].Epoch, last = epochs[^1].Epoch;
        int X(int epoch) => px + (last == first ? width / 2 : (int)Math.Round((double)(epoch - first) / (last - first) * width));
        int Y(double v) => top + height - (int)Math.Round((v - lo) / (hi - lo) * height);
        var inv = CultureInfo.InvariantCulture;
        for (int i = 0; i <= 5; i++)
        {
            double v = lo + (hi - lo) * i / 5;
            int y = Y(v);
            c.Line(px, y, px + width, y, s_grid);
            string label = percent ? (v * 100).ToString("F0", inv) + "%" : v.ToString(hi < 1 ? "F2" : "F1", inv);
            c.Text(px - 6 - BitmapFont.Measure(label), y - 3, label, s_ink);
        }
        int step = Math.Max(1, (last - first + 9) / 10);
        for (int e = first; e <= last; e += step)
        {
            string label = e.ToString(inv);
            c.Line(X(e), top + height, X(e), top + height + 4, s_ink);
            c.Text(X(e) - BitmapFont.Measure(label) / 2, top + height + 8, label, s_ink);
        }
        c.Line(px, top, px, top + height, s_ink);
        c.Line(px, top + height, px + width, top + height, s_ink);
        c.Text(px + width / 2 - BitmapFont.Measure(title, 2) / 2, 6, title, s_ink, 2);
        c.Text(px + width / 2 - BitmapFont.Measure("epoch") / 2, top + height + 20, "epoch", s_ink);
        int legend = 0;
        foreach (var (value, name, colour) in series)
        {
            var points = epochs.Where(r => value(r) is double d && double.IsFinite(d)).Select(r => (X(r.Epoch), Y(value(r)!.Value))).ToList();
            if (points.Count == 0) continue;
            for (int i = 1; i < points.Count; i++) c.Line(points[i - 1].Item1, points[i - 1].Item2, points[i].Item1, points[i].Item2, colour, 2);
            foreach (var (x, y) in points) c.FillRect(x - 3, y - 3, 7, 7, colour);
            int ly = top + 6 + legend++ * 12;
            c.FillRect(px + width - 86, ly, 14, 7, colour);
            c.Text(px + width - 68, ly, name, s_ink);
        }
    }

    /// <summary>
    /// The confusion matrix [true, predicted] as a heat map: each row coloured by the fraction of its class (viridis),
    /// counts written in the cells, class names along both axes.
    /// </summary>
    public static Image ConfusionMatrix(long[,] confusion, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        int k = confusion.GetLength(0);
        if (k == 0 || confusion.GetLength(1) != k) throw new ArgumentException($"TrainingCharts.ConfusionMatrix: expected a square matrix, got {confusion.GetLength(0)}x{confusion.GetLength(1)}.");
        string Name(int i) => i < classNames.Count ? classNames[i] : i.ToString(CultureInfo.InvariantCulture);
        int cell = 44, labelW = Enumerable.Range(0, k).Max(i => BitmapFont.Measure(Name(i))) + 12;
        int left = labelW + 16, top = 40, size = k * cell;
        var c = new Canvas(left + size + 20, top + size + 32 + k * 11);
        c.Text(left + size / 2 - BitmapFont.Measure("predicted class", 2) / 2, 8, "predicted class", s_ink, 2);
        for (int t = 0; t < k; t++)
        {
            long total = 0;
            for (int p = 0; p < k; p++) total += confusion[t, p];
            for (int p = 0; p < k; p++)
            {
                float frac = total == 0 ? 0 : (float)confusion[t, p] / total;
                var colour = Colormap.Viridis(frac);
                c.FillRect(left + p * cell, top + t * cell, cell - 1, cell - 1, colour);
                string n = confusion[t, p].ToString(CultureInfo.InvariantCulture);
                var ink = frac > 0.55f ? (0f, 0f, 0f) : (1f, 1f, 1f);
                c.Text(left + p * cell + (cell - BitmapFont.Measure(n)) / 2, top + t * cell + cell / 2 - 3, n, ink);
            }
            c.Text(left - 8 - BitmapFont.Measure(Name(t)), top + t * cell + cell / 2 - 3, Name(t), s_ink);
        }
        // Column numbers under the matrix, with the names listed below (vertical text would be unreadable).
        for (int p = 0; p < k; p++)
        {
            string n = p.ToString(CultureInfo.InvariantCulture);
            c.Text(left + p * cell + (cell - BitmapFont.Measure(n)) / 2, top + size + 6, n, s_ink);
        }
        for (int t = 0; t < k; t++)
        {
            string n = t.ToString(CultureInfo.InvariantCulture);
            c.Text(4, top + t * cell + cell / 2 - 3, n, (0.5f, 0.5f, 0.5f));
        }
        for (int p = 0; p < k; p++)
            c.Text(left, top + size + 22 + p * 11, $"{p}: {Name(p)}", s_ink);
        c.Text(4, top - 14, "true class", s_ink);
        return c.Image;
    }

    /// <summary>
    /// Misclassified images in a grid, <paramref name="columns"/> to a row, each enlarged and captioned with "true" and
    /// "predicted" class names (the caption in red).
    /// </summary>
    public static Image Misclassified(IReadOnlyList<(Image Picture, int True, int Predicted)> examples, IReadOnlyList<string> classNames, int columns = 8)
    {
        ArgumentNullException.ThrowIfNull(examples);
        string Name(int i) => i < classNames.Count ? classNames[i] : i.ToString(CultureInfo.InvariantCulture);
        if (examples.Count == 0)
        {
            var empty = new Canvas(300, 40);
            empty.Text(10, 16, "no misclassified images", s_ink);
            return empty.Image;
        }
        int scale = Math.Max(1, 84 / Math.Max(examples[0].Picture.Height, examples[0].Picture.Width));
        int pw = examples[0].Picture.Width * scale, ph = examples[0].Picture.Height * scale;
        int cellW = Math.Max(pw, 13 * BitmapFont.Advance) + 12, cellH = ph + 32;
        columns = Math.Min(columns, examples.Count);
        int rows = (examples.Count + columns - 1) / columns;
        var c = new Canvas(columns * cellW + 8, rows * cellH + 8);
        for (int i = 0; i < examples.Count; i++)
        {
            var (pic, t, p) = examples[i];
            int x = 8 + i % columns * cellW, y = 8 + i / columns * cellH;
            c.Draw(ImageGrid.Tile([pic], 1, scale, gap: 0), x, y);
            c.Text(x, y + ph + 4, Clip("T " + Name(t), 13), s_ink);
            c.Text(x, y + ph + 15, Clip("P " + Name(p), 13), (0.8f, 0.1f, 0.1f));
        }
        return c.Image;
    }

    private static string Clip(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + ".";
}
