using Striate.Ops;
using Striate.Tensors;

namespace Striate.Imaging;

/// <summary>How a filter response is turned into a picture.</summary>
public enum FilterDisplay
{
    /// <summary><see cref="Clamp"/> for kernels that sum to 1 or more (smoothing, sharpening), <see cref="Magnitude"/> otherwise (edge detectors).</summary>
    Auto,

    /// <summary>Values clamped to [0, 1].</summary>
    Clamp,

    /// <summary>|response| divided by the largest |response|.</summary>
    Magnitude,

    /// <summary>0.5 + response / (2 max |response|): gray is zero, white positive, black negative.</summary>
    Signed,
}

/// <summary>Applies a <see cref="ConvolutionKernel"/> to every channel of an image with Striate's own conv2d.</summary>
public static class ImageFilter
{
    /// <summary>
    /// Cross-correlates each channel of <paramref name="image"/> with <paramref name="kernel"/>: with
    /// <paramref name="same"/> the input is zero-padded so the output keeps the image's size (the kernel must then
    /// have odd sides); otherwise ("valid") the output is (H - KH + 1) x (W - KW + 1). The result holds the raw
    /// responses, which can lie outside [0, 1].
    /// </summary>
    /// <exception cref="ArgumentException">The kernel is larger than the image ("valid") or has an even side ("same").</exception>
    public static (float[] Values, int Channels, int Height, int Width) Apply(Image image, ConvolutionKernel kernel, bool same = true)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(kernel);
        if (same && (kernel.Height % 2 == 0 || kernel.Width % 2 == 0))
            throw new ArgumentException($"filter: 'same' padding needs a kernel with odd sides, got {kernel.Height}x{kernel.Width}; use valid padding.");
        if (!same && (kernel.Height > image.Height || kernel.Width > image.Width))
            throw new ArgumentException($"filter: the {kernel.Height}x{kernel.Width} kernel is larger than the {image.Height}x{image.Width} image.");
        using var scope = TensorScope.Begin();
        using var _ = Autograd.NoGrad();
        // Channels as the batch: x [C, 1, H, W] * w [1, 1, KH, KW] -> [C, 1, OH, OW].
        var x = Tensor.Wrap(image.Pixels, image.Channels, 1, image.Height, image.Width);
        var w = Tensor.Wrap(kernel.Values, 1, 1, kernel.Height, kernel.Width);
        var padding = same ? Padding2d.Symmetric(kernel.Height / 2, kernel.Width / 2) : Padding2d.Valid;
        var y = F.Conv2d(x, w, padding: padding);
        return (y.ToArray(), image.Channels, y.Shape[2], y.Shape[3]);
    }

    /// <summary>Maps raw responses to a picture in [0, 1] (see <see cref="FilterDisplay"/>).</summary>
    public static Image ToImage((float[] Values, int Channels, int Height, int Width) response, FilterDisplay display, float kernelSum = 1)
    {
        var (v, c, h, w) = response;
        if (display == FilterDisplay.Auto) display = kernelSum >= 0.5f ? FilterDisplay.Clamp : FilterDisplay.Magnitude;
        var p = new float[v.Length];
        float max = 0;
        foreach (float x in v) max = Math.Max(max, Math.Abs(x));
        float inv = max > 0 ? 1 / max : 0;
        for (int i = 0; i < v.Length; i++)
            p[i] = display switch
            {
                FilterDisplay.Clamp => Math.Clamp(v[i], 0, 1),
                FilterDisplay.Magnitude => Math.Abs(v[i]) * inv,
                _ => 0.5f + 0.5f * v[i] * inv,
            };
        return new Image(p, c, h, w);
    }

    /// <summary>
    /// The lecture notes' filter table: <paramref name="image"/> filtered by each kernel ('same' padding, shown as
    /// <paramref name="display"/>), <paramref name="columns"/> to a row, each captioned with the kernel's name.
    /// </summary>
    public static Image Table(Image image, IReadOnlyList<ConvolutionKernel> kernels, FilterDisplay display = FilterDisplay.Auto, int columns = 4)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(kernels);
        if (kernels.Count == 0 || columns < 1) throw new ArgumentException("ImageFilter.Table: give at least one kernel and one column.");
        columns = Math.Min(columns, kernels.Count);
        int rows = (kernels.Count + columns - 1) / columns, cellW = image.Width + 8, cellH = image.Height + 8 + 2 * BitmapFont.GlyphHeight + 6;
        var canvas = new Canvas(columns * cellW + 8, rows * cellH + 8);
        for (int i = 0; i < kernels.Count; i++)
        {
            var k = kernels[i];
            int x = 8 + i % columns * cellW, y = 8 + i / columns * cellH;
            canvas.Draw(ToImage(Apply(image, k), display, k.Sum), x, y);
            canvas.Text(x, y + image.Height + 4, k.Name, (0.1f, 0.1f, 0.1f), 2);
        }
        return canvas.Image;
    }
}
