using System.Globalization;
using Striate.Imaging;

namespace Striate.Visualization;

/// <summary>
/// Pictures of a training run drawn with <see cref="Canvas"/>: a grid of misclassified images with their true and
/// predicted labels. (Curves and the confusion matrix are vector charts: <see cref="SvgChart"/>.)
/// </summary>
public static class TrainingCharts
{
    private static readonly (float, float, float) s_ink = (0.1f, 0.1f, 0.1f);

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
