using System.Globalization;
using System.Net;
using System.Text;
using Striate.Imaging;

namespace Striate.Visualization;

/// <summary>One line of a <see cref="SvgChart"/>: its name in the legend, a CSS colour, its points, and how it is drawn.</summary>
public sealed record ChartSeries(string Name, string Colour, IReadOnlyList<(double X, double Y)> Points, bool Markers = true, double Width = 2, double Opacity = 1);

/// <summary>
/// Charts as SVG with real text, for HTML reports: axes with rounded tick values, titles, and a legend under the plot
/// (so it never covers a curve). Values that are not finite are left out of a line.
/// </summary>
public static class SvgChart
{
    /// <summary>Layout of a chart (pixels): the plot area's left, top, width and height inside the whole picture.</summary>
    public const int PlotLeft = 64, PlotTop = 34, PlotWidth = 360, PlotHeight = 220, ChartWidth = PlotLeft + PlotWidth + 20;

    private const int LegendRow = 18;

    /// <summary>The colours given to runs (and to series beyond the three of train, validation and test), in order.</summary>
    public static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    /// <summary>
    /// A line chart: <paramref name="title"/> above, <paramref name="xLabel"/> and <paramref name="yLabel"/> on the
    /// axes, one line per series that has a finite point; <paramref name="percent"/> writes the y ticks as percentages
    /// (values are fractions); <paramref name="fromZero"/> starts the y axis at zero.
    /// </summary>
    /// <exception cref="ArgumentException">No series has a finite point.</exception>
    public static string Lines(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series, bool percent = false, bool fromZero = false)
    {
        ArgumentNullException.ThrowIfNull(series);
        var drawn = series.Select(s => (s, Points: s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList())).Where(d => d.Points.Count > 0).ToList();
        if (drawn.Count == 0) throw new ArgumentException($"SvgChart '{title}': no series has a finite point.");
        var xs = drawn.SelectMany(d => d.Points.Select(p => p.X)).ToList();
        var ys = drawn.SelectMany(d => d.Points.Select(p => p.Y)).ToList();
        var (x0, x1, xStep) = Axis(xs.Min(), xs.Max(), integral: xs.All(x => x == Math.Round(x)));
        var (y0, y1, yStep) = Axis(fromZero ? Math.Min(0, ys.Min()) : ys.Min(), ys.Max(), integral: false);
        if (percent) { y0 = Math.Max(y0, Math.Min(0, ys.Min())); y1 = Math.Min(y1, Math.Max(1, ys.Max())); }
        double X(double x) => PlotLeft + (x - x0) / (x1 - x0) * PlotWidth;
        double Y(double y) => PlotTop + PlotHeight - (y - y0) / (y1 - y0) * PlotHeight;

        int legendTop = PlotTop + PlotHeight + 58;
        int legendColumns = Math.Max(1, PlotWidth / Math.Max(120, drawn.Max(d => Approx(d.s.Name)) + 40));
        int height = legendTop + (drawn.Count + legendColumns - 1) / legendColumns * LegendRow + 6;
        var inv = CultureInfo.InvariantCulture;
        var svg = new StringBuilder();
        svg.Append(string.Create(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{ChartWidth}\" height=\"{height}\" viewBox=\"0 0 {ChartWidth} {height}\" font-family=\"system-ui,sans-serif\" font-size=\"12\" role=\"img\">"));
        svg.Append("<title>").Append(Enc(title)).Append("</title>");
        svg.Append(string.Create(inv, $"<text x=\"{PlotLeft + PlotWidth / 2}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"600\">")).Append(Enc(title)).Append("</text>");
        svg.Append(string.Create(inv, $"<rect class=\"plot\" x=\"{PlotLeft}\" y=\"{PlotTop}\" width=\"{PlotWidth}\" height=\"{PlotHeight}\" fill=\"none\" stroke=\"#333\"/>"));
        for (double v = y0; v <= y1 + yStep * 1e-6; v += yStep)
        {
            double y = Y(v);
            svg.Append(string.Create(inv, $"<line x1=\"{PlotLeft}\" x2=\"{PlotLeft + PlotWidth}\" y1=\"{y:F1}\" y2=\"{y:F1}\" stroke=\"#e4e4e4\"/>"));
            svg.Append(string.Create(inv, $"<text class=\"ytick\" x=\"{PlotLeft - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{Tick(v, yStep, percent)}</text>"));
        }
        for (double v = x0; v <= x1 + xStep * 1e-6; v += xStep)
        {
            double x = X(v);
            svg.Append(string.Create(inv, $"<line x1=\"{x:F1}\" x2=\"{x:F1}\" y1=\"{PlotTop + PlotHeight}\" y2=\"{PlotTop + PlotHeight + 4}\" stroke=\"#333\"/>"));
            svg.Append(string.Create(inv, $"<text class=\"xtick\" x=\"{x:F1}\" y=\"{PlotTop + PlotHeight + 17}\" text-anchor=\"middle\">{Tick(v, xStep, false)}</text>"));
        }
        svg.Append(string.Create(inv, $"<text x=\"{PlotLeft + PlotWidth / 2}\" y=\"{PlotTop + PlotHeight + 34}\" text-anchor=\"middle\">")).Append(Enc(xLabel)).Append("</text>");
        svg.Append(string.Create(inv, $"<text x=\"14\" y=\"{PlotTop + PlotHeight / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {PlotTop + PlotHeight / 2})\">")).Append(Enc(yLabel)).Append("</text>");
        foreach (var (s, points) in drawn)
        {
            string opacity = s.Opacity < 1 ? string.Create(inv, $" stroke-opacity=\"{s.Opacity:G3}\"") : "";
            svg.Append(string.Create(inv, $"<polyline class=\"series\" data-name=\"{Enc(s.Name)}\" fill=\"none\" stroke=\"{Enc(s.Colour)}\" stroke-width=\"{s.Width:G3}\"{opacity} stroke-linejoin=\"round\" points=\""));
            foreach (var (px, py) in points) svg.Append(string.Create(inv, $"{X(px):F1},{Y(py):F1} "));
            svg.Append("\"/>");
            if (s.Markers && points.Count <= 60)
                foreach (var (px, py) in points) svg.Append(string.Create(inv, $"<circle cx=\"{X(px):F1}\" cy=\"{Y(py):F1}\" r=\"3\" fill=\"{Enc(s.Colour)}\"/>"));
        }
        int columnWidth = PlotWidth / legendColumns;
        for (int i = 0; i < drawn.Count; i++)
        {
            int lx = PlotLeft + i % legendColumns * columnWidth, ly = legendTop + i / legendColumns * LegendRow;
            svg.Append(string.Create(inv, $"<g class=\"legend\"><rect x=\"{lx}\" y=\"{ly - 9}\" width=\"16\" height=\"4\" fill=\"{Enc(drawn[i].s.Colour)}\"/><text x=\"{lx + 22}\" y=\"{ly - 3}\">"))
                .Append(Enc(drawn[i].s.Name)).Append("</text></g>");
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>
    /// A heat map of a confusion matrix [true, predicted]: each row coloured by the fraction of its class (viridis),
    /// the count in every cell, the true classes' names down the left and the predicted classes' names, turned, along
    /// the top.
    /// </summary>
    public static string Confusion(long[,] confusion, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        ArgumentNullException.ThrowIfNull(classNames);
        int k = confusion.GetLength(0);
        if (k == 0 || confusion.GetLength(1) != k) throw new ArgumentException($"SvgChart.Confusion: expected a square matrix, got {confusion.GetLength(0)}x{confusion.GetLength(1)}.");
        string Name(int i) => i < classNames.Count ? classNames[i] : i.ToString(CultureInfo.InvariantCulture);
        int cell = k <= 12 ? 44 : k <= 30 ? 26 : 14, labels = Enumerable.Range(0, k).Max(i => Approx(Name(i))) + 12;
        int left = labels + 24, top = labels + 28, size = k * cell, width = left + size + 12, height = top + size + 12;
        var inv = CultureInfo.InvariantCulture;
        var svg = new StringBuilder();
        svg.Append(string.Create(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"system-ui,sans-serif\" font-size=\"12\" role=\"img\">"));
        svg.Append("<title>confusion matrix</title>");
        svg.Append(string.Create(inv, $"<text x=\"{left + size / 2}\" y=\"14\" text-anchor=\"middle\" font-weight=\"600\">predicted class</text>"));
        svg.Append(string.Create(inv, $"<text x=\"12\" y=\"{top + size / 2}\" text-anchor=\"middle\" font-weight=\"600\" transform=\"rotate(-90 12 {top + size / 2})\">true class</text>"));
        for (int t = 0; t < k; t++)
        {
            long total = 0;
            for (int p = 0; p < k; p++) total += confusion[t, p];
            for (int p = 0; p < k; p++)
            {
                double frac = total == 0 ? 0 : (double)confusion[t, p] / total;
                var (r, g, b) = Colormap.Viridis((float)frac);
                string fill = $"#{(int)Math.Round(r * 255):x2}{(int)Math.Round(g * 255):x2}{(int)Math.Round(b * 255):x2}";
                int x = left + p * cell, y = top + t * cell;
                svg.Append(string.Create(inv, $"<rect class=\"cell\" x=\"{x}\" y=\"{y}\" width=\"{cell - 1}\" height=\"{cell - 1}\" fill=\"{fill}\"><title>true {Enc(Name(t))}, predicted {Enc(Name(p))}: {confusion[t, p]}</title></rect>"));
                if (cell >= 26)
                    svg.Append(string.Create(inv, $"<text x=\"{x + cell / 2}\" y=\"{y + cell / 2 + 4}\" text-anchor=\"middle\" font-size=\"{(cell >= 44 ? 12 : 9)}\" fill=\"{(frac > 0.55 ? "#000" : "#fff")}\">{confusion[t, p]}</text>"));
            }
            svg.Append(string.Create(inv, $"<text class=\"row\" x=\"{left - 6}\" y=\"{top + t * cell + cell / 2 + 4}\" text-anchor=\"end\">")).Append(Enc(Name(t))).Append("</text>");
        }
        for (int p = 0; p < k; p++)
        {
            int x = left + p * cell + cell / 2 + 4, y = top - 6;
            svg.Append(string.Create(inv, $"<text class=\"column\" x=\"{x}\" y=\"{y}\" transform=\"rotate(-60 {x} {y})\">")).Append(Enc(Name(p))).Append("</text>");
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    // Axis limits rounded outwards to a step of 1, 2 or 5 times a power of ten, about five steps across; whole steps
    // for whole-numbered data (epochs).
    internal static (double Lo, double Hi, double Step) Axis(double lo, double hi, bool integral)
    {
        if (!(hi > lo))
        {
            double pad = lo == 0 ? 1 : Math.Abs(lo) * 0.1;
            (lo, hi) = integral ? (lo - 1, hi + 1) : (lo - pad, hi + pad);
        }
        double raw = (hi - lo) / 5, magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1.0, 2, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw * 0.999);
        if (integral) step = Math.Max(1, Math.Round(step));
        return (Math.Floor(lo / step + 1e-9) * step, Math.Ceiling(hi / step - 1e-9) * step, step);
    }

    private static string Tick(double v, double step, bool percent)
    {
        var inv = CultureInfo.InvariantCulture;
        if (percent) v *= 100;
        double s = percent ? step * 100 : step;
        int decimals = Math.Clamp(-(int)Math.Floor(Math.Log10(s) + 1e-9), 0, 8);
        if (Math.Abs(v) < s * 1e-6) v = 0;
        return v.ToString("F" + decimals.ToString(inv), inv) + (percent ? "%" : "");
    }

    // About how wide a label is at 12 pixels (7 pixels a character).
    private static int Approx(string s) => s.Length * 7;

    private static string Enc(string s) => WebUtility.HtmlEncode(s);
}
