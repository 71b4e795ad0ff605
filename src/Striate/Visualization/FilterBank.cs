using Striate.Nn;
using Striate.Tensors;
using Striate.Imaging;

namespace Striate.Visualization;

/// <summary>
/// Draws a convolution's filters as a grid, as the lecture notes show AlexNet's 96 first-layer filters: each filter
/// normalised on its own so that zero is mid-gray and its largest |weight| is black or white. A filter over three
/// input channels (an RGB first layer) is one colour tile; otherwise each filter is a row of gray tiles, one per
/// input channel.
/// </summary>
public static class FilterBank
{
    /// <summary>The most filters (rows) and input channels (columns) drawn for a deep layer.</summary>
    public const int MaxRows = 64, MaxColumns = 64;

    /// <summary>Draws <paramref name="conv"/>'s weights [OC, C/groups, KH, KW], each tile about <paramref name="tilePixels"/> pixels wide.</summary>
    public static Image Draw(Conv2d conv, int tilePixels = 32)
    {
        ArgumentNullException.ThrowIfNull(conv);
        return Draw(conv.Weight, tilePixels);
    }

    /// <summary>Draws a weight tensor [OC, C, KH, KW] (see the class summary), each tile about <paramref name="tilePixels"/> pixels wide.</summary>
    public static Image Draw(Tensor weight, int tilePixels = 32)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 4) throw new ArgumentException($"FilterBank: expected weights [out, in, KH, KW], got {weight.Shape}.");
        int oc = weight.Shape[0], ic = weight.Shape[1], kh = weight.Shape[2], kw = weight.Shape[3], k = kh * kw;
        var w = weight.Data;
        int scale = Math.Max(1, tilePixels / Math.Max(kh, kw));
        var tiles = new List<Image>();
        if (ic == 3)
        {
            for (int o = 0; o < oc; o++) tiles.Add(Signed(w.Slice(o * 3 * k, 3 * k), 3, kh, kw));
            return ImageGrid.Tile(tiles, ImageGrid.SquareColumns(oc), scale, gap: Math.Max(2, scale / 4));
        }
        int rows = Math.Min(oc, MaxRows), cols = Math.Min(ic, MaxColumns);
        for (int o = 0; o < rows; o++)
        {
            var filter = w.Slice(o * ic * k, ic * k);
            float max = MaxAbs(filter);
            for (int c = 0; c < cols; c++) tiles.Add(Signed(filter.Slice(c * k, k), 1, kh, kw, max));
        }
        if (cols == 1) return ImageGrid.Tile(tiles, ImageGrid.SquareColumns(rows), scale, gap: Math.Max(2, scale / 4));
        return ImageGrid.Tile(tiles, cols, scale, gap: Math.Max(2, scale / 4));
    }

    /// <summary>
    /// The filters as a labelled picture: a title naming <paramref name="layer"/> and the weights' shape, an RGB first
    /// layer as numbered colour tiles, a deeper layer as a table with one row per filter (f0, f1, ...) and one column
    /// per input channel (c0, c1, ...), each tile at least <see cref="LabelledGrid.MinTilePixels"/> pixels across (28 past 256 tiles).
    /// </summary>
    public static Image Picture(Conv2d conv, string layer)
    {
        ArgumentNullException.ThrowIfNull(conv);
        var weight = conv.Weight;
        int oc = weight.Shape[0], ic = weight.Shape[1], kh = weight.Shape[2], kw = weight.Shape[3], k = kh * kw;
        var w = weight.Data;
        // Past 256 tiles (a deep layer's 64 x 64), each is drawn smaller so the picture stays about 2000 pixels across.
        int scale = LabelledGrid.Scale(kh, kw, Math.Min(oc, MaxRows) * Math.Min(ic, MaxColumns) > 256 ? 28 : LabelledGrid.MinTilePixels);
        string title = $"{layer}: {oc} filters {ic}x{kh}x{kw}, each scaled on its own (mid-gray is zero)";
        if (ic == 3)
        {
            var colour = new List<Image>();
            for (int o = 0; o < oc; o++) colour.Add(Signed(w.Slice(o * 3 * k, 3 * k), 3, kh, kw));
            return LabelledGrid.Numbered(title, colour, ImageGrid.SquareColumns(oc), scale);
        }
        int rows = Math.Min(oc, MaxRows), cols = Math.Min(ic, MaxColumns);
        if (rows < oc || cols < ic) title += $"; the first {rows} filters and {cols} channels";
        var tiles = new List<Image>();
        for (int o = 0; o < rows; o++)
        {
            var filter = w.Slice(o * ic * k, ic * k);
            float max = MaxAbs(filter);
            for (int c = 0; c < cols; c++) tiles.Add(Signed(filter.Slice(c * k, k), 1, kh, kw, max));
        }
        if (cols == 1) return LabelledGrid.Numbered(title, tiles, ImageGrid.SquareColumns(rows), scale);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        return LabelledGrid.Table(title, tiles, Enumerable.Range(0, rows).Select(o => "f" + o.ToString(inv)).ToList(),
            Enumerable.Range(0, cols).Select(c => "c" + c.ToString(inv)).ToList(), scale);
    }

    private static float MaxAbs(ReadOnlySpan<float> v)
    {
        float m = 0;
        foreach (float x in v) m = Math.Max(m, Math.Abs(x));
        return m;
    }

    // 0.5 + w / (2 max|w|): zero is mid-gray, the filter's extreme weight black or white.
    private static Image Signed(ReadOnlySpan<float> values, int channels, int h, int w, float max = -1)
    {
        if (max < 0) max = MaxAbs(values);
        var p = new float[values.Length];
        float s = max > 0 ? 0.5f / max : 0;
        for (int i = 0; i < p.Length; i++) p[i] = 0.5f + values[i] * s;
        return new Image(p, channels, h, w);
    }
}
