namespace Striate.Imaging;

/// <summary>Lays pictures out in a grid (filter banks, feature maps, example images).</summary>
public static class ImageGrid
{
    /// <summary>
    /// Places <paramref name="tiles"/> row by row, <paramref name="columns"/> to a row, each enlarged by the whole
    /// factor <paramref name="scale"/> (nearest neighbour, so single weights stay visible as blocks) with
    /// <paramref name="gap"/> pixels of <paramref name="background"/> between and around them. Tiles may differ in
    /// size (each cell is as large as the largest); gray tiles are drawn in gray in an RGB grid.
    /// </summary>
    public static Image Tile(IReadOnlyList<Image> tiles, int columns, int scale = 1, int gap = 2, float background = 1f)
    {
        ArgumentNullException.ThrowIfNull(tiles);
        if (tiles.Count == 0) throw new ArgumentException("ImageGrid.Tile: no tiles.");
        if (columns < 1 || scale < 1 || gap < 0) throw new ArgumentException($"ImageGrid.Tile: columns and scale must be >= 1 and gap >= 0, got {columns}, {scale}, {gap}.");
        columns = Math.Min(columns, tiles.Count);
        int rows = (tiles.Count + columns - 1) / columns;
        int cellH = tiles.Max(t => t.Height) * scale, cellW = tiles.Max(t => t.Width) * scale;
        int channels = tiles.Any(t => t.Channels == 3) ? 3 : 1;
        int height = rows * cellH + (rows + 1) * gap, width = columns * cellW + (columns + 1) * gap;
        var grid = new Image(channels, height, width);
        Array.Fill(grid.Pixels, background);
        for (int i = 0; i < tiles.Count; i++)
        {
            var t = tiles[i];
            int top = gap + i / columns * (cellH + gap), left = gap + i % columns * (cellW + gap);
            for (int c = 0; c < channels; c++)
            {
                int sc = t.Channels == 1 ? 0 : c;
                for (int y = 0; y < t.Height * scale; y++)
                    for (int x = 0; x < t.Width * scale; x++)
                        grid[c, top + y, left + x] = t[sc, y / scale, x / scale];
            }
        }
        return grid;
    }

    /// <summary>A column count that makes a roughly square grid of <paramref name="count"/> tiles.</summary>
    public static int SquareColumns(int count) => Math.Max(1, (int)Math.Ceiling(Math.Sqrt(count)));
}
