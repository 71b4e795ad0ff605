namespace Striate.Visualization;

/// <summary>
/// A map produced by an <see cref="Attribution"/> method: values [Channels, Height, Width] (the input's size, or a
/// layer's for Grad-CAM), the class it explains and the model's probability for it.
/// </summary>
public sealed record InputMap(float[] Values, int Channels, int Height, int Width, int ClassIndex, float Probability)
{
    /// <summary>One plane [H, W]: the largest |value| over channels (the saliency convention).</summary>
    public float[] MaxAbsOverChannels()
    {
        int hw = Height * Width;
        var m = new float[hw];
        for (int c = 0; c < Channels; c++)
            for (int i = 0; i < hw; i++) m[i] = Math.Max(m[i], Math.Abs(Values[c * hw + i]));
        return m;
    }

    /// <summary>The plane scaled to [0, 1] by its largest value (negative values become 0).</summary>
    public float[] Normalized()
    {
        var plane = Channels == 1 ? Values : MaxAbsOverChannels();
        float max = plane.Max();
        var r = new float[plane.Length];
        if (max > 0)
            for (int i = 0; i < r.Length; i++) r[i] = Math.Max(plane[i], 0) / max;
        return r;
    }

    /// <summary>Fraction of the positive mass of <see cref="MaxAbsOverChannels"/> (or the single plane) inside rows [y0, y1) and columns [x0, x1), in input coordinates when the map is smaller.</summary>
    public double MassFraction(int y0, int y1, int x0, int x1, int inputHeight, int inputWidth)
    {
        var plane = Channels == 1 ? Values : MaxAbsOverChannels();
        double inside = 0, total = 0;
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
            {
                double v = Math.Max(plane[y * Width + x], 0);
                // The centre of this cell in input pixels.
                double cy = (y + 0.5) * inputHeight / Height, cx = (x + 0.5) * inputWidth / Width;
                total += v;
                if (cy >= y0 && cy < y1 && cx >= x0 && cx < x1) inside += v;
            }
        return total > 0 ? inside / total : 0;
    }
}
