using Striate.Models;
using Striate.Nn;
using Striate.Tensors;
using Striate.Imaging;

namespace Striate.Visualization;

/// <summary>
/// The effective receptive field of Luo, Li, Urtasun and Zemel ("Understanding the effective receptive field in deep
/// convolutional neural networks", 2016): |d y / d x| for the centre unit y of a layer (all its channels at the
/// centre position), averaged over random normal inputs, beside the theoretical field R_k = R_(k-1) + (F_k - 1) *
/// jump_(k-1) of the model summary. Every pixel outside the theoretical field gets exactly zero; inside, the mass
/// gathers near the centre, so the effective field is smaller.
/// </summary>
public sealed class EffectiveReceptiveField
{
    private EffectiveReceptiveField(float[] map, int height, int width, long theoretical, (int Y, int X) unit)
    {
        Map = map;
        Height = height;
        Width = width;
        Theoretical = theoretical;
        Unit = unit;
        double total = 0, cy = 0, cx = 0;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double v = map[y * width + x];
                total += v;
                cy += v * y;
                cx += v * x;
            }
        Centre = total > 0 ? (cy / total, cx / total) : (double.NaN, double.NaN);
        Support = Box(map, height, width, v => v > 0);
        Extent90 = total > 0 ? MassSquare(map, height, width, Centre, 0.9 * total) : 0;
    }

    /// <summary>Mean |gradient| per input pixel [H, W], summed over input channels.</summary>
    public float[] Map { get; }

    public int Height { get; }
    public int Width { get; }

    /// <summary>The theoretical receptive field (side, in input pixels) of the layer, from <see cref="ModelSummary"/>.</summary>
    public long Theoretical { get; }

    /// <summary>The output position whose field this is (the centre of the layer's map).</summary>
    public (int Y, int X) Unit { get; }

    /// <summary>The centre of mass of <see cref="Map"/>, in input pixels (row, column).</summary>
    public (double Y, double X) Centre { get; }

    /// <summary>The bounding box (top, left, bottom, right; inclusive) of the pixels with a non-zero gradient.</summary>
    public (int Top, int Left, int Bottom, int Right) Support { get; }

    /// <summary>Side of the smallest square around <see cref="Centre"/> holding 90% of the mass: the effective field's size.</summary>
    public int Extent90 { get; }

    /// <summary>Measures the field of <paramref name="layer"/> for inputs [C, H, W], over <paramref name="samples"/> random inputs.</summary>
    /// <exception cref="ArgumentException">The layer's output is not a feature map, or the layer is not used.</exception>
    public static EffectiveReceptiveField Measure(Module model, Module layer, int channels, int height, int width, int samples = 16, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layer);
        if (samples < 1) throw new ArgumentException($"EffectiveReceptiveField: samples must be >= 1, got {samples}.");
        var summary = ModelSummary.Of(model, channels, height, width);
        // A block (not a leaf) has the field of the last layer inside it, or more when a residual branch joins later;
        // the summary keeps the largest seen so far, which is the block's.
        var row = summary.Rows.FirstOrDefault(r => r.Name == layer.Path)
            ?? summary.Rows.LastOrDefault(r => layer.Path is not null && r.Name.StartsWith(layer.Path + ".", StringComparison.Ordinal))
            ?? throw new ArgumentException($"layer '{layer.Path}' is not used in the model's forward pass.");
        bool wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            using var scope = TensorScope.Begin();
            using var frozen = new FrozenParameters(model);
            var g = new Generator(seed);
            var x = Tensor.Persistent(new Shape(samples, channels, height, width));
            for (int i = 0; i < x.Numel; i++) x.Data[i] = g.NextNormal();
            x.RequiresGrad = true;
            var (_, output) = LayerCapture.Run(model, layer, x);
            if (output.Rank != 4)
                throw new ArgumentException($"the effective receptive field needs a layer with feature maps [N, K, h, w]; '{layer.Path}' gives {output.Shape}.");
            int k = output.Shape[1], oh = output.Shape[2], ow = output.Shape[3];
            var unit = ((oh - 1) / 2, (ow - 1) / 2);
            // Seed: 1 at the centre position of every channel of every sample; the samples stay independent.
            var seedGrad = Tensor.Zeros(output.Shape);
            for (int n = 0; n < samples; n++)
                for (int c = 0; c < k; c++) seedGrad.Data[((n * k + c) * oh + unit.Item1) * ow + unit.Item2] = 1;
            output.Backward(seedGrad);
            int hw = height * width;
            var map = new float[hw];
            var grad = x.Grad!.Data;
            for (int n = 0; n < samples; n++)
                for (int c = 0; c < channels; c++)
                    for (int i = 0; i < hw; i++) map[i] += Math.Abs(grad[(n * channels + c) * hw + i]) / samples;
            return new EffectiveReceptiveField(map, height, width, row.ReceptiveField, unit);
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    /// <summary>
    /// The map in viridis, enlarged, with the theoretical field (white) and the 90% square (red) outlined, both
    /// centred on the measured centre.
    /// </summary>
    public Image Draw()
    {
        int scale = Math.Max(1, 256 / Math.Max(Height, Width));
        var heat = Colormap.Apply(Colormap.MinMax(Map), Height, Width, Colormap.Viridis);
        var canvas = new Canvas(Width * scale, Height * scale);
        canvas.Draw(ImageGrid.Tile([heat], 1, scale, gap: 0), 0, 0);
        void Square(double side, (float, float, float) colour)
        {
            double top = Centre.Y + 0.5 - side / 2, left = Centre.X + 0.5 - side / 2;
            canvas.Rect((int)Math.Round(left * scale), (int)Math.Round(top * scale), (int)Math.Round(side * scale), (int)Math.Round(side * scale), colour, Math.Max(1, scale / 8));
        }
        if (!double.IsNaN(Centre.Y))
        {
            Square(Theoretical, (1f, 1f, 1f));
            Square(Extent90, (0.9f, 0.1f, 0.1f));
        }
        return canvas.Image;
    }

    private static (int, int, int, int) Box(float[] map, int h, int w, Func<float, bool> keep)
    {
        int top = h, left = w, bottom = -1, right = -1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (keep(map[y * w + x]))
                {
                    top = Math.Min(top, y);
                    bottom = Math.Max(bottom, y);
                    left = Math.Min(left, x);
                    right = Math.Max(right, x);
                }
        return (top, left, bottom, right);
    }

    private static int MassSquare(float[] map, int h, int w, (double Y, double X) centre, double target)
    {
        for (int side = 1; side <= Math.Max(h, w) * 2; side++)
        {
            double half = side / 2.0, sum = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    if (Math.Abs(y - centre.Y) < half && Math.Abs(x - centre.X) < half) sum += map[y * w + x];
            if (sum >= target) return side;
        }
        return Math.Max(h, w);
    }
}
