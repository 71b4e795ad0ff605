using System.Globalization;
using Striate.Imaging;

namespace Striate.Visualization;

/// <summary>
/// Grids of pictures that say what they show: a title line, each tile numbered (or rows and columns headed), and
/// optionally the input picture beside the grid with its own caption. Tiles are enlarged (nearest neighbour) so that
/// the smallest is at least <see cref="MinTilePixels"/> pixels across.
/// </summary>
public static class LabelledGrid
{
    /// <summary>The least size a tile is enlarged to (as far as whole factors allow).</summary>
    public const int MinTilePixels = 48;

    private static readonly (float, float, float) s_ink = (0.1f, 0.1f, 0.1f), s_muted = (0.45f, 0.45f, 0.45f);
    private const int Margin = 8, Gap = 6, LineHeight = BitmapFont.GlyphHeight + BitmapFont.Descent + 3;

    /// <summary>The whole enlargement that brings a <paramref name="height"/> x <paramref name="width"/> tile to at least <paramref name="pixels"/> across.</summary>
    public static int Scale(int height, int width, int pixels = MinTilePixels) => Math.Max(1, (pixels + Math.Max(height, width) - 1) / Math.Max(1, Math.Max(height, width)));

    /// <summary>
    /// <paramref name="tiles"/> row by row, <paramref name="columns"/> to a row, each enlarged <paramref name="scale"/>
    /// times with its index above it; <paramref name="input"/>, when given, stands at the left under
    /// <paramref name="inputCaption"/>, enlarged to about the height of four tile rows.
    /// </summary>
    public static Image Numbered(string title, IReadOnlyList<Image> tiles, int columns, int scale, Image? input = null, string inputCaption = "input")
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(tiles);
        if (tiles.Count == 0) throw new ArgumentException("LabelledGrid: no tiles.");
        columns = Math.Clamp(columns, 1, tiles.Count);
        int rows = (tiles.Count + columns - 1) / columns;
        int tw = tiles.Max(t => t.Width) * scale, th = tiles.Max(t => t.Height) * scale;
        int cellW = Math.Max(tw, BitmapFont.Measure((tiles.Count - 1).ToString(CultureInfo.InvariantCulture))) + Gap, cellH = LineHeight + th + Gap;
        var (inputPicture, inputW) = Beside(input, inputCaption, Math.Max(4 * cellH, 112));
        int gridX = Margin + inputW, gridY = Margin + 2 * LineHeight;
        int width = Math.Max(gridX + columns * cellW + Margin, Margin * 2 + BitmapFont.Measure(title));
        int height = Math.Max(gridY + rows * cellH + Margin, gridY + (inputPicture?.Height ?? 0) + LineHeight + Margin);
        var c = new Canvas(width, height);
        c.Text(Margin, Margin, title, s_ink);
        if (inputPicture is not null)
        {
            c.Text(Margin, gridY, inputCaption, s_ink);
            c.Draw(inputPicture, Margin, gridY + LineHeight);
        }
        for (int i = 0; i < tiles.Count; i++)
        {
            int x = gridX + i % columns * cellW, y = gridY + i / columns * cellH;
            c.Text(x, y, i.ToString(CultureInfo.InvariantCulture), s_muted);
            c.Draw(ImageGrid.Tile([tiles[i]], 1, scale, gap: 0), x, y + LineHeight);
        }
        return c.Image;
    }

    /// <summary>
    /// A table of tiles, <paramref name="rowLabels"/> down the left and <paramref name="columnLabels"/> along the top
    /// (tiles row-major: row r, column k is tiles[r * columns + k]), each enlarged <paramref name="scale"/> times.
    /// </summary>
    public static Image Table(string title, IReadOnlyList<Image> tiles, IReadOnlyList<string> rowLabels, IReadOnlyList<string> columnLabels, int scale)
    {
        ArgumentNullException.ThrowIfNull(tiles);
        ArgumentNullException.ThrowIfNull(rowLabels);
        ArgumentNullException.ThrowIfNull(columnLabels);
        int rows = rowLabels.Count, columns = columnLabels.Count;
        if (rows * columns != tiles.Count || tiles.Count == 0)
            throw new ArgumentException($"LabelledGrid.Table: expected {rows} x {columns} tiles, got {tiles.Count}.");
        int tw = tiles.Max(t => t.Width) * scale, th = tiles.Max(t => t.Height) * scale;
        int cellW = Math.Max(tw, columnLabels.Max(l => BitmapFont.Measure(l))) + Gap, cellH = th + Gap;
        int labelW = rowLabels.Max(l => BitmapFont.Measure(l)) + Gap;
        int gridX = Margin + labelW, gridY = Margin + 2 * LineHeight + LineHeight;
        var c = new Canvas(Math.Max(gridX + columns * cellW + Margin, 2 * Margin + BitmapFont.Measure(title)), gridY + rows * cellH + Margin);
        c.Text(Margin, Margin, title, s_ink);
        for (int k = 0; k < columns; k++) c.Text(gridX + k * cellW, gridY - LineHeight, columnLabels[k], s_muted);
        for (int r = 0; r < rows; r++)
        {
            c.Text(Margin, gridY + r * cellH + th / 2 - BitmapFont.GlyphHeight / 2, rowLabels[r], s_muted);
            for (int k = 0; k < columns; k++)
                c.Draw(ImageGrid.Tile([tiles[r * columns + k]], 1, scale, gap: 0), gridX + k * cellW, gridY + r * cellH);
        }
        return c.Image;
    }

    // The input enlarged (whole factor) to about targetHeight, and the width its column takes.
    private static (Image? Picture, int Width) Beside(Image? input, string caption, int targetHeight)
    {
        if (input is null) return (null, 0);
        int s = Math.Max(1, targetHeight / Math.Max(input.Height, 1));
        var big = ImageGrid.Tile([input], 1, s, gap: 0);
        return (big, Math.Max(big.Width, BitmapFont.Measure(caption)) + 3 * Gap);
    }
}
