using Striate.Ops;
using Striate.Tensors;

namespace Striate.Onnx;

/// <summary>
/// Resize and Upsample: nearest, linear and cubic interpolation, separable, one <see cref="F.Resample"/> per resized
/// axis. Each output coordinate maps to the input by the node's coordinate transformation mode; the taps around it
/// are clamped to the edge (or, with exclude_outside, dropped and the rest renormalised), and with
/// tf_crop_and_resize an output that maps outside the input takes the extrapolation value.
/// </summary>
internal static partial class OnnxOps
{
    private sealed record ResizeMode(string Mode, string Coordinates, string Nearest, double CubicA, bool ExcludeOutside, float Extrapolation);

    private static void AddResize()
    {
        // Upsample and Resize-10 are asymmetric with nearest rounding down (what the converter to Resize-11 writes).
        ResizeMode Old(Args a) => new(a.Text("mode", "nearest"), "asymmetric", "floor", -0.75, false, 0f);
        Add("Upsample", 7, a => One(Resized(a, Old(a), a.Node.Attribute("scales")?.Floats.ToArray() ?? throw a.Fail("the scales attribute is missing"), null, null, null)));
        Add("Upsample", 9, a => One(Resized(a, Old(a), a[1].ToArray(), null, null, null)));
        Add("Resize", 10, a => One(Resized(a, Old(a), a[1].ToArray(), null, null, null)));
        Add("Resize", 11, a =>
        {
            if (a.Int("antialias", 0) != 0) throw a.Unsupported("antialias");
            var mode = new ResizeMode(a.Text("mode", "nearest"), a.Text("coordinate_transformation_mode", "half_pixel"), a.Text("nearest_mode", "round_prefer_floor"),
                a.Float("cubic_coeff_a", -0.75f), a.Int("exclude_outside", 0) != 0, a.Float("extrapolation_value", 0f));
            var roi = a.Has(1) && a[1].Numel > 0 ? a[1].ToArray() : null;
            var scales = a.Has(2) && a[2].Numel > 0 ? a[2].ToArray() : null;
            var sizes = a.Has(3) && a.Ints(3).Length > 0 ? a.Ints(3) : null;
            if ((scales is null) == (sizes is null)) throw a.Fail(scales is null ? "neither scales nor sizes is given" : "both scales and sizes are given");
            return One(Resized(a, mode, scales, sizes, roi, a.IntList("axes")));
        });
    }

    private static Tensor Resized(Args a, ResizeMode m, float[]? scales, long[]? sizes, float[]? roi, IReadOnlyList<long>? axesAttribute)
    {
        var x = a[0];
        int rank = x.Rank;
        if (m.Mode is not ("nearest" or "linear" or "cubic")) throw a.Unsupported($"mode '{m.Mode}' (nearest, linear and cubic are)");
        int[] axes = axesAttribute is { Count: > 0 } ? [.. axesAttribute.Select(v => (int)(v < 0 ? v + rank : v))] : [.. Enumerable.Range(0, rank)];
        if (axes.Any(d => d < 0 || d >= rank) || axes.Distinct().Count() != axes.Length) throw a.Fail($"axes [{string.Join(", ", axesAttribute ?? [])}] are repeated or outside rank {rank}");
        int given = scales?.Length ?? sizes!.Length;
        if (given != axes.Length) throw a.Fail($"{(scales is null ? "sizes" : "scales")} has {given} values for {axes.Length} axes");
        if (roi is not null && roi.Length != 2 * axes.Length) throw a.Fail($"roi has {roi.Length} values, expected {2 * axes.Length}");
        bool crop = m.Coordinates == "tf_crop_and_resize";
        var scale = new double[rank];
        var outSize = new int[rank];
        for (int d = 0; d < rank; d++) (scale[d], outSize[d]) = (1, x.Shape[d]);
        if (sizes is not null)
        {
            string policy = a.Text("keep_aspect_ratio_policy", "stretch");
            if (policy is not ("stretch" or "not_larger" or "not_smaller")) throw a.Fail($"keep_aspect_ratio_policy '{policy}' is not stretch, not_larger or not_smaller");
            var ratios = axes.Select((d, k) => sizes[k] / (double)x.Shape[d]).ToArray();
            for (int k = 0; k < axes.Length; k++)
            {
                int d = axes[k];
                if (sizes[k] < 1 || sizes[k] > 1 << 24) throw a.Fail($"size {sizes[k]} of axis {d} is not between 1 and {1 << 24}");
                scale[d] = policy == "stretch" ? ratios[k] : policy == "not_larger" ? ratios.Min() : ratios.Max();
                outSize[d] = policy == "stretch" ? (int)sizes[k] : (int)Math.Floor(scale[d] * x.Shape[d] + 0.5);
            }
        }
        else
        {
            for (int k = 0; k < axes.Length; k++)
            {
                int d = axes[k];
                if (!(scales![k] > 0) || !float.IsFinite(scales[k])) throw a.Fail($"scale {scales[k]} of axis {d} is not positive");
                double extent = crop && roi is not null ? roi[k + axes.Length] - roi[k] : 1;
                double size = Math.Floor(x.Shape[d] * extent * scales[k]);
                if (size < 1 || size > 1 << 24) throw a.Fail($"scale {scales[k]} gives axis {d} of size {x.Shape[d]} an output of {size}");
                (scale[d], outSize[d]) = (scales[k], (int)size);
            }
        }
        var y = x;
        Tensor? inside = null;
        for (int k = 0; k < axes.Length; k++)
        {
            int d = axes[k];
            // The resized length in the coordinate formulas is the unrounded input length × scale when scales are given.
            double length = sizes is null ? x.Shape[d] * scale[d] * (crop && roi is not null ? roi[k + axes.Length] - roi[k] : 1) : outSize[d];
            var (index, weight, taps, outside) = Taps(a, m, x.Shape[d], outSize[d], length, scale[d], roi is null ? 0 : roi[k], roi is null ? 1 : roi[k + axes.Length]);
            if (taps == 1 && outside is null && outSize[d] == x.Shape[d] && index.Select((v, o) => v == o).All(same => same)) continue;
            y = F.Resample(y, d, index, weight, taps);
            if (outside is not null)
            {
                var dims = Enumerable.Repeat(1, rank).ToArray();
                dims[d] = outSize[d];
                var mask = Tensor.FromArray([.. outside.Select(o => o ? 0f : 1f)], dims);
                inside = inside is null ? mask : F.Mul(inside, mask);
            }
        }
        // Outputs mapped outside the input (tf_crop_and_resize) take the extrapolation value.
        if (inside is not null) y = F.Add(F.Mul(y, inside), F.MulScalar(F.AddScalar(F.Neg(inside), 1f), m.Extrapolation));
        return y;
    }

    // The taps of each output coordinate along one axis: `taps` (index, weight) pairs per output; outside[o] when the
    // coordinate falls outside the input under tf_crop_and_resize (null when none does).
    private static (int[] Index, float[] Weight, int Taps, bool[]? Outside) Taps(Args a, ResizeMode m, int inSize, int outSize, double length, double scale,
        double roiStart, double roiEnd)
    {
        int taps = m.Mode switch { "nearest" => 1, "linear" => 2, _ => 4 };
        var index = new int[outSize * taps];
        var weight = new float[outSize * taps];
        bool[]? outside = null;
        double adjustment = length / (scale * inSize), centre = inSize / 2.0;
        for (int o = 0; o < outSize; o++)
        {
            double c = m.Coordinates switch
            {
                "half_pixel" => (o + 0.5) / scale - 0.5,
                "half_pixel_symmetric" => centre * (1 - adjustment) + (o + 0.5) / scale - 0.5,
                "pytorch_half_pixel" => length > 1 ? (o + 0.5) / scale - 0.5 : 0,
                "align_corners" => length == 1 ? 0 : o * (inSize - 1) / (length - 1),
                "asymmetric" => o / scale,
                "tf_half_pixel_for_nn" => (o + 0.5) / scale,
                "tf_crop_and_resize" => length > 1 ? roiStart * (inSize - 1) + o * (roiEnd - roiStart) * (inSize - 1) / (length - 1)
                    : 0.5 * (roiStart + roiEnd) * (inSize - 1),
                var other => throw a.Unsupported($"coordinate_transformation_mode '{other}'"),
            };
            if (m.Coordinates == "tf_crop_and_resize" && (c < 0 || c > inSize - 1))
            {
                (outside ??= new bool[outSize])[o] = true;
                for (int t = 0; t < taps; t++) index[o * taps + t] = -1;
                continue;
            }
            int Edge(long i) => (int)Math.Clamp(i, 0, inSize - 1);
            if (taps == 1)
            {
                double f = Math.Floor(c), frac = c - f;
                double n = m.Nearest switch
                {
                    "round_prefer_floor" => frac > 0.5 ? f + 1 : f,
                    "round_prefer_ceil" => frac >= 0.5 ? f + 1 : f,
                    "floor" => f,
                    "ceil" => Math.Ceiling(c),
                    var other => throw a.Unsupported($"nearest_mode '{other}'"),
                };
                (index[o], weight[o]) = (Edge((long)n), 1f);
                continue;
            }
            long i0 = (long)Math.Floor(c);
            double r = c - i0;
            if (taps == 2)
            {
                (index[2 * o], weight[2 * o]) = (Edge(i0), (float)(1 - r));
                (index[2 * o + 1], weight[2 * o + 1]) = (Edge(i0 + 1), (float)r);
                continue;
            }
            double A = m.CubicA, s = 1 - r;
            Span<double> w =
            [
                ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A,
                ((A + 2) * r - (A + 3)) * r * r + 1,
                ((A + 2) * s - (A + 3)) * s * s + 1,
                ((A * (s + 1) - 5 * A) * (s + 1) + 8 * A) * (s + 1) - 4 * A,
            ];
            double kept = 0;
            for (int t = 0; t < 4; t++)
            {
                long i = i0 - 1 + t;
                if (m.ExcludeOutside && (i < 0 || i >= inSize)) w[t] = 0;
                kept += w[t];
            }
            for (int t = 0; t < 4; t++)
                (index[4 * o + t], weight[4 * o + t]) = (Edge(i0 - 1 + t), (float)(m.ExcludeOutside ? w[t] / kept : w[t]));
        }
        return (index, weight, taps, outside);
    }
}
