using Striate.Nn;
using Striate.Tensors;
using Striate.Imaging;

namespace Striate.Visualization;

/// <summary>The activations of a named layer for one input, captured with a <see cref="ForwardTrace"/>, and drawn as a grid.</summary>
public static class FeatureMaps
{
    /// <summary>The most maps drawn.</summary>
    public const int MaxMaps = 256;

    /// <summary>
    /// Runs <paramref name="model"/> on <paramref name="input"/> [1, C, H, W] without recording gradients and returns a
    /// persistent copy of <paramref name="layer"/>'s output from its first call.
    /// </summary>
    /// <exception cref="ArgumentException">The layer is not called in the model's forward pass.</exception>
    public static Tensor Capture(Module model, Module layer, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layer);
        using var scope = TensorScope.Begin();
        using var _ = Autograd.NoGrad();
        return LayerCapture.Run(model, layer, input, y => y.Clone()).Captured;
    }

    /// <summary>
    /// Draws an activation [1, C, H, W] as a grid of C tiles, each scaled by its own minimum and maximum and coloured
    /// with viridis; a flat activation [1, N] (a fully connected layer) is drawn as one row of N cells.
    /// </summary>
    public static Image Draw(Tensor activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        if (activation.Rank == 2)
        {
            var v = Colormap.MinMax(activation.Data);
            var row = Colormap.Apply(v, 1, v.Length, Colormap.Viridis);
            int scale = Math.Max(1, Math.Min(32, 1024 / Math.Max(1, v.Length)));
            return ImageGrid.Tile([row], 1, scale, gap: 2);
        }
        if (activation.Rank != 4) throw new ArgumentException($"FeatureMaps: expected an activation [1, C, H, W] or [1, N], got {activation.Shape}.");
        int c = Math.Min(activation.Shape[1], MaxMaps), h = activation.Shape[2], w = activation.Shape[3];
        var tiles = new List<Image>();
        for (int i = 0; i < c; i++)
            tiles.Add(Colormap.Apply(Colormap.MinMax(activation.Data.Slice(i * h * w, h * w)), h, w, Colormap.Viridis));
        return ImageGrid.Tile(tiles, ImageGrid.SquareColumns(c), Math.Max(1, 64 / Math.Max(h, w)), gap: 2);
    }

    /// <summary>
    /// The activation as a labelled picture: a title naming <paramref name="layer"/> and the shape, each map numbered by
    /// its channel and at least <see cref="LabelledGrid.MinTilePixels"/> pixels across, and <paramref name="input"/>
    /// (the picture the model saw) beside the grid. A flat activation is one numbered row of cells per 32 features.
    /// </summary>
    public static Image Picture(Tensor activation, Image input, string layer)
    {
        ArgumentNullException.ThrowIfNull(activation);
        ArgumentNullException.ThrowIfNull(input);
        if (activation.Rank == 2)
        {
            var v = Colormap.MinMax(activation.Data);
            int n = v.Length, cols = Math.Min(32, n);
            var cells = new List<Image>();
            for (int i = 0; i < n; i++) cells.Add(Colormap.Apply(v.AsSpan(i, 1), 1, 1, Colormap.Viridis));
            return LabelledGrid.Numbered($"{layer}: {n} features, scaled together (viridis: low dark, high yellow)", cells, cols, 24, input);
        }
        if (activation.Rank != 4) throw new ArgumentException($"FeatureMaps: expected an activation [1, C, H, W] or [1, N], got {activation.Shape}.");
        int c = Math.Min(activation.Shape[1], MaxMaps), h = activation.Shape[2], w = activation.Shape[3];
        var tiles = new List<Image>();
        for (int i = 0; i < c; i++)
            tiles.Add(Colormap.Apply(Colormap.MinMax(activation.Data.Slice(i * h * w, h * w)), h, w, Colormap.Viridis));
        string title = $"{layer}: {activation.Shape[1]} feature maps {h}x{w}, each scaled to its own range (viridis: low dark, high yellow)";
        if (c < activation.Shape[1]) title += $"; the first {c}";
        return LabelledGrid.Numbered(title, tiles, ImageGrid.SquareColumns(c), LabelledGrid.Scale(h, w), input);
    }
}
