using System.Globalization;
using Striate.Imaging;
using Striate.Models;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Visualization;

/// <summary>
/// How far back through time a recurrent network's gradient reaches: for a model that reads an image row by row, the
/// norm of the loss's gradient with respect to the hidden state h_t at each step t, averaged over a batch (each
/// image's own loss, so the norms are per example). A zero tensor is added to each h_t and its gradient read, which
/// changes no value. A plain RNN's norms fall steeply from the last step to the first (the vanishing gradient); an
/// LSTM's stay within a few orders of magnitude, its cell state carrying the gradient back.
/// </summary>
public static class TimeGradients
{
    /// <summary>The mean over the batch of ||dL_i / dh_t|| for t = 1..H (one per row), L_i each image's cross-entropy.</summary>
    /// <exception cref="ArgumentException">The labels do not match the images.</exception>
    public static double[] Measure(RowRecurrentNet model, Tensor images, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        int batch = images.Shape[0];
        if (labels.Count != batch) throw new ArgumentException($"time gradients: {batch} images but {labels.Count} labels.");
        using var scope = TensorScope.Begin();
        var probes = Enumerable.Range(0, model.Height).Select(_ =>
        {
            var p = Tensor.Zeros(batch, model.Rnn.OutputSize);
            p.RequiresGrad = true;
            return p;
        }).ToList();
        var logits = model.ForwardWithStateProbes(images, probes);
        // The sum of the per-image losses: each image's gradient is its own loss's.
        F.MulScalar(F.CrossEntropy(logits, [.. labels]), batch).Backward();
        var norms = new double[model.Height];
        for (int t = 0; t < norms.Length; t++)
        {
            var g = probes[t].Grad!.ToArray();
            int h = model.Rnn.OutputSize;
            double sum = 0;
            for (int b = 0; b < batch; b++)
            {
                double sq = 0;
                for (int u = 0; u < h; u++) sq += (double)g[b * h + u] * g[b * h + u];
                sum += Math.Sqrt(sq);
            }
            norms[t] = sum / batch;
        }
        foreach (var p in model.Parameters()) p.Grad = null;
        return norms;
    }

    /// <summary>A line chart of the norms by step, one line per series, on a logarithmic axis.</summary>
    /// <exception cref="ArgumentException">No series, or a series without a positive finite value.</exception>
    public static Image Draw(IReadOnlyList<(string Name, double[] Norms)> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0) throw new ArgumentException("time gradients: nothing to draw.");
        var values = series.SelectMany(s => s.Norms).Where(v => v > 0 && double.IsFinite(v)).ToList();
        if (values.Count == 0) throw new ArgumentException("time gradients: no positive finite norm to draw.");
        int lo = (int)Math.Floor(Math.Log10(values.Min())), hi = (int)Math.Ceiling(Math.Log10(values.Max()));
        if (hi == lo) hi++;
        int steps = series.Max(s => s.Norms.Length);
        const int left = 70, top = 30, width = 520, height = 300;
        var canvas = new Canvas(left + width + 30, top + height + 60 + 12 * series.Count);
        var ink = (0.1f, 0.1f, 0.1f);
        var grid = (0.88f, 0.88f, 0.88f);
        canvas.Text(left, 10, "norm of dL/dh_t by step t (mean over images, log scale)", ink);
        int Y(double v) => top + (int)Math.Round(height * (hi - Math.Log10(v)) / (hi - lo));
        int X(int t) => left + (int)Math.Round(width * (steps == 1 ? 0.5 : (double)t / (steps - 1)));
        for (int e = lo; e <= hi; e++)
        {
            int y = Y(Math.Pow(10, e));
            canvas.Line(left, y, left + width, y, grid);
            canvas.Text(8, y - 3, "1e" + e.ToString(CultureInfo.InvariantCulture), ink);
        }
        for (int t = 0; t < steps; t += Math.Max(1, steps / 7))
            canvas.Text(X(t) - 3, top + height + 6, (t + 1).ToString(CultureInfo.InvariantCulture), ink);
        canvas.Text(left + width / 2 - 15, top + height + 20, "step t", ink);
        canvas.Rect(left, top, width + 1, height + 1, ink);
        for (int k = 0; k < series.Count; k++)
        {
            var colour = Colour(k);
            var n = series[k].Norms;
            for (int t = 1; t < n.Length; t++)
                if (n[t - 1] > 0 && n[t] > 0 && double.IsFinite(n[t - 1]) && double.IsFinite(n[t]))
                    canvas.Line(X(t - 1), Y(n[t - 1]), X(t), Y(n[t]), colour, 2);
            int ly = top + height + 36 + 12 * k;
            canvas.FillRect(left, ly + 2, 14, 3, colour);
            canvas.Text(left + 20, ly, series[k].Name, ink);
        }
        return canvas.Image;
    }

    private static (float, float, float) Colour(int k) => (k % 4) switch
    {
        0 => (0.84f, 0.15f, 0.16f),
        1 => (0.12f, 0.47f, 0.71f),
        2 => (0.17f, 0.63f, 0.17f),
        _ => (0.58f, 0.40f, 0.74f),
    };
}
