using System.Globalization;
using Striate.Tensors;

namespace Striate.Ops;

/// <summary>How <see cref="F.Interpolate(Tensor, int, int, InterpolationMode, bool)"/> reads the input between its pixels.</summary>
public enum InterpolationMode
{
    /// <summary>PyTorch's "nearest": output pixel o reads input floor(o * scale) (a legacy rule, shifted by half a pixel).</summary>
    Nearest,

    /// <summary>PyTorch's "nearest-exact": output pixel o reads input floor((o + 0.5) * scale), the pixel whose area holds its centre.</summary>
    NearestExact,

    /// <summary>PyTorch's "bilinear": each output pixel a weighted mean of the 2x2 input pixels around its source point.</summary>
    Bilinear,
}

public static partial class F
{
    /// <summary>
    /// Resizes images [N, C, H, W] to [N, C, <paramref name="height"/>, <paramref name="width"/>] as PyTorch's
    /// <c>F.interpolate(x, size=(height, width), mode, align_corners)</c> does; the backward adds each output's
    /// gradient into the pixels it read, by their weights.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not [N, C, H, W], a size is below 1, or
    /// <paramref name="alignCorners"/> is set for a nearest mode.</exception>
    public static Tensor Interpolate(Tensor x, int height, int width, InterpolationMode mode = InterpolationMode.Nearest, bool alignCorners = false)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckInterpolate(x, mode, alignCorners);
        if (height < 1 || width < 1)
            throw new ArgumentException($"interpolate: expected an output size of at least 1x1, got {height}x{width}.");
        return Interpolate(x, height, width, null, null, mode, alignCorners);
    }

    /// <summary>
    /// Resizes images [N, C, H, W] by scale factors, as PyTorch's <c>F.interpolate(x, scale_factor=(sh, sw), mode,
    /// align_corners)</c> does: the output is floor(H * sh) x floor(W * sw), and (unless <paramref name="alignCorners"/>)
    /// source coordinates are output coordinates divided by the factor itself, not by the ratio of the sizes.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not [N, C, H, W], a factor is not positive and finite or
    /// gives an empty output, or <paramref name="alignCorners"/> is set for a nearest mode.</exception>
    public static Tensor Interpolate(Tensor x, double scaleHeight, double scaleWidth, InterpolationMode mode = InterpolationMode.Nearest, bool alignCorners = false)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckInterpolate(x, mode, alignCorners);
        if (!(scaleHeight > 0) || !(scaleWidth > 0) || double.IsInfinity(scaleHeight) || double.IsInfinity(scaleWidth))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"interpolate: expected positive finite scale factors, got {scaleHeight} and {scaleWidth}."));
        double h = Math.Floor(x.Shape[2] * scaleHeight), w = Math.Floor(x.Shape[3] * scaleWidth);
        if (h < 1 || w < 1 || h > int.MaxValue || w > int.MaxValue)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"interpolate: scale factors {scaleHeight} and {scaleWidth} turn {x.Shape[2]}x{x.Shape[3]} into {h}x{w}; expected an output of at least 1x1."));
        return Interpolate(x, (int)h, (int)w, scaleHeight, scaleWidth, mode, alignCorners);
    }

    private static void CheckInterpolate(Tensor x, InterpolationMode mode, bool alignCorners)
    {
        if (x.Rank != 4)
            throw new ArgumentException($"interpolate: expected images [N, C, H, W], got {x.Shape}.");
        if (!Enum.IsDefined(mode))
            throw new ArgumentException($"interpolate: unknown mode {(int)mode}; expected Nearest, NearestExact or Bilinear.");
        if (alignCorners && mode != InterpolationMode.Bilinear)
            throw new ArgumentException($"interpolate: alignCorners applies to bilinear interpolation only, not {mode}.");
    }

    private static Tensor Interpolate(Tensor x, int height, int width, double? scaleHeight, double? scaleWidth, InterpolationMode mode, bool alignCorners)
    {
        int taps = mode == InterpolationMode.Bilinear ? 2 : 1;
        var (ih, wh) = InterpolationTaps(x.Shape[2], height, scaleHeight, mode, alignCorners);
        var (iw, ww) = InterpolationTaps(x.Shape[3], width, scaleWidth, mode, alignCorners);
        return Resample(Resample(x, 2, ih, wh, taps), 3, iw, ww, taps);
    }

    /// <summary>
    /// The source pixels and weights of each output pixel along one axis, by PyTorch's rules (upsampling kernels'
    /// nearest_idx, nearest_neighbor_exact_compute_source_index, area_pixel_compute_source_index): one tap for the
    /// nearest modes, two for bilinear.
    /// </summary>
    internal static (int[] Index, float[] Weight) InterpolationTaps(int input, int output, double? scaleFactor, InterpolationMode mode, bool alignCorners)
    {
        if (mode != InterpolationMode.Bilinear)
        {
            // PyTorch computes the nearest modes' scale and source point in float.
            float scale = scaleFactor is double f ? (float)(1.0 / f) : (float)input / output;
            var index = new int[output];
            for (int o = 0; o < output; o++)
            {
                float src = mode == InterpolationMode.Nearest ? o * scale : (float)((o + 0.5) * scale);
                index[o] = Math.Min((int)MathF.Floor(src), input - 1);
            }
            return (index, [.. Enumerable.Repeat(1f, output)]);
        }
        double s = alignCorners ? (output > 1 ? (input - 1) / (double)(output - 1) : 0) : scaleFactor is double g ? 1.0 / g : input / (double)output;
        var idx = new int[2 * output];
        var w = new float[2 * output];
        for (int o = 0; o < output; o++)
        {
            double real = alignCorners ? s * o : Math.Max(s * (o + 0.5) - 0.5, 0);
            int i0 = Math.Min((int)Math.Floor(real), input - 1);
            double lambda = Math.Clamp(real - i0, 0, 1);
            idx[2 * o] = i0;
            idx[2 * o + 1] = i0 < input - 1 ? i0 + 1 : i0;
            w[2 * o] = (float)(1 - lambda);
            w[2 * o + 1] = (float)lambda;
        }
        return (idx, w);
    }
}
