using Striate.Ops;
using Striate.Tensors;

namespace Striate.Onnx;

internal static partial class OnnxOps
{
    // RoiAlign (average mode, the ONNX default) and NonMaxSuppression.
    private static void AddDetection()
    {
        // Before opset 16 the regions were not moved by half a pixel (output_half_pixel); from 16 the default is half_pixel.
        Add("RoiAlign", 10, a => One(RoiAlign(a, "output_half_pixel")));
        Add("RoiAlign", 16, a => One(RoiAlign(a, a.Text("coordinate_transformation_mode", "half_pixel"))));
        Add("NonMaxSuppression", 10, a => a.Emit(NonMaxSuppression(a)));
    }

    private static Tensor RoiAlign(Args a, string mode)
    {
        if (a.Text("mode", "avg") != "avg") throw a.Unsupported($"mode '{a.Text("mode", "avg")}' (only avg is implemented)");
        bool aligned = mode switch
        {
            "half_pixel" => true,
            "output_half_pixel" => false,
            _ => throw a.Unsupported($"coordinate_transformation_mode '{mode}'"),
        };
        var x = a[0];
        var rois = a[1];
        var batch = a[2];
        if (rois.Rank != 2 || rois.Shape[1] != 4) throw a.Fail($"expected rois [num_rois, 4], got {rois.Shape}");
        if (batch.Rank != 1 || batch.Shape[0] != rois.Shape[0]) throw a.Fail($"expected one batch index per region ({rois.Shape[0]}), got {batch.Shape}");
        int k = rois.Shape[0];
        var regions = Tensor.Empty(k, 5);
        for (int i = 0; i < k; i++)
        {
            regions.Data[5 * i] = batch.Data[i];
            rois.Data.Slice(4 * i, 4).CopyTo(regions.Data.Slice(5 * i + 1, 4));
        }
        long h = a.Int("output_height", 1), w = a.Int("output_width", 1), ratio = a.Int("sampling_ratio", 0);
        if (h < 1 || w < 1 || h > int.MaxValue || w > int.MaxValue || ratio < 0 || ratio > int.MaxValue)
            throw a.Fail($"output_height ({h}) and output_width ({w}) must be >= 1 and sampling_ratio ({ratio}) >= 0");
        try
        {
            return F.RoiAlign(x, regions, (int)h, (int)w, a.Float("spatial_scale", 1f), (int)ratio, aligned);
        }
        catch (ArgumentException e)
        {
            throw a.Fail(e.Message);
        }
    }

    // The selected boxes as int64 [num_selected, 3] rows of (batch, class, box): per batch and class, boxes above the
    // score threshold in order of falling score (ties: lower index first), each kept unless its IoU with a kept box
    // exceeds the threshold, at most max_output_boxes_per_class of them (0 or absent: none).
    private static OnnxTensor NonMaxSuppression(Args a)
    {
        var boxes = a[0];
        var scores = a[1];
        if (boxes.Rank != 3 || boxes.Shape[2] != 4) throw a.Fail($"expected boxes [num_batches, spatial_dimension, 4], got {boxes.Shape}");
        if (scores.Rank != 3 || scores.Shape[0] != boxes.Shape[0] || scores.Shape[2] != boxes.Shape[1])
            throw a.Fail($"expected scores [{boxes.Shape[0]}, num_classes, {boxes.Shape[1]}], got {scores.Shape}");
        long maxOut = a.Has(2) ? Scalar(a, 2) : 0;
        float iouThreshold = a.Has(3) ? a[3].Data[0] : 0f;
        float? scoreThreshold = a.Has(4) ? a[4].Data[0] : null;
        long center = a.Int("center_point_box", 0);
        if (center is not (0 or 1)) throw a.Fail($"center_point_box must be 0 or 1, got {center}");
        int batches = boxes.Shape[0], n = boxes.Shape[1], classes = scores.Shape[1];
        var selected = new List<long>();
        var bd = boxes.Data;
        var sd = scores.ToArray();
        // Each box as (x1, y1, x2, y2) with x1 <= x2 and y1 <= y2.
        var corners = new double[batches * n * 4];
        for (int i = 0; i < batches * n; i++)
        {
            double p = bd[4 * i], q = bd[4 * i + 1], r = bd[4 * i + 2], s = bd[4 * i + 3];
            if (center == 0)
                (corners[4 * i], corners[4 * i + 1], corners[4 * i + 2], corners[4 * i + 3]) = (Math.Min(q, s), Math.Min(p, r), Math.Max(q, s), Math.Max(p, r));
            else
                (corners[4 * i], corners[4 * i + 1], corners[4 * i + 2], corners[4 * i + 3]) = (p - r / 2, q - s / 2, p + r / 2, q + s / 2);
        }
        for (int b = 0; b < batches; b++)
            for (int c = 0; c < classes; c++)
            {
                var candidates = Enumerable.Range(0, n).Where(i => scoreThreshold is not float t || sd[(b * classes + c) * n + i] > t)
                    .OrderByDescending(i => sd[(b * classes + c) * n + i]).ThenBy(i => i).ToList();
                var kept = new List<int>();
                foreach (int i in candidates)
                {
                    if (kept.Count >= maxOut) break;
                    if (kept.Any(j => Overlaps(corners, (b * n + i) * 4, (b * n + j) * 4, iouThreshold))) continue;
                    kept.Add(i);
                    selected.AddRange([b, c, i]);
                }
            }
        return OnnxTensor.FromInt64s("", [selected.Count / 3, 3], [.. selected]);
    }

    private static long Scalar(Args a, int i)
    {
        var t = a[i];
        if (t.Numel != 1) throw a.Fail($"input {i} should hold one value, found {t.Numel}");
        return (long)t.Data[0];
    }

    // ONNX's rule: boxes that do not overlap, or either of which is empty, never suppress.
    private static bool Overlaps(double[] c, int i, int j, float threshold)
    {
        double w = Math.Min(c[i + 2], c[j + 2]) - Math.Max(c[i], c[j]), h = Math.Min(c[i + 3], c[j + 3]) - Math.Max(c[i + 1], c[j + 1]);
        if (w <= 0 || h <= 0) return false;
        double inter = w * h, areaI = (c[i + 2] - c[i]) * (c[i + 3] - c[i + 1]), areaJ = (c[j + 2] - c[j]) * (c[j + 3] - c[j + 1]), union = areaI + areaJ - inter;
        if (areaI <= 0 || areaJ <= 0 || union <= 0) return false;
        return inter / union > threshold;
    }
}
