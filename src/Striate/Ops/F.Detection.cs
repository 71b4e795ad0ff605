using System.Globalization;
using Striate.Tensors;

namespace Striate.Ops;

/// <summary>
/// Object-detection operations with torchvision's semantics (<c>torchvision.ops</c> and the detection models' box
/// coder, anchor generator and sampler). Boxes are [K, 4] as (x1, y1, x2, y2) in pixels; regions of interest are
/// [K, 5] as (batch index, x1, y1, x2, y2). Box arithmetic is done in float64 and stored as float32.
/// </summary>
public static partial class F
{
    private static void CheckBoxes(string op, Tensor boxes, string what = "boxes")
    {
        ArgumentNullException.ThrowIfNull(boxes);
        if (boxes.Rank != 2 || boxes.Shape[1] != 4)
            throw new ArgumentException($"{op}: expected {what} [K, 4] as (x1, y1, x2, y2), got {boxes.Shape}.");
    }

    /// <summary>
    /// The IoU of every box of <paramref name="a"/> [N, 4] with every box of <paramref name="b"/> [M, 4]: [N, M], as
    /// torchvision's <c>box_iou</c> (areas (x2 - x1)(y2 - y1); two empty boxes give 0/0 = NaN, as there). No gradient.
    /// </summary>
    public static Tensor BoxIou(Tensor a, Tensor b)
    {
        CheckBoxes("box_iou", a);
        CheckBoxes("box_iou", b);
        int n = a.Shape[0], m = b.Shape[0];
        var y = Tensor.Empty(n, m);
        var pa = a.Data;
        var pb = b.Data;
        var py = y.Data;
        for (int i = 0; i < n; i++)
        {
            double ax1 = pa[4 * i], ay1 = pa[4 * i + 1], ax2 = pa[4 * i + 2], ay2 = pa[4 * i + 3], areaA = (ax2 - ax1) * (ay2 - ay1);
            for (int j = 0; j < m; j++)
            {
                double bx1 = pb[4 * j], by1 = pb[4 * j + 1], bx2 = pb[4 * j + 2], by2 = pb[4 * j + 3];
                double w = Math.Max(Math.Min(ax2, bx2) - Math.Max(ax1, bx1), 0), h = Math.Max(Math.Min(ay2, by2) - Math.Max(ay1, by1), 0);
                double inter = w * h;
                py[i * m + j] = (float)(inter / (areaA + (bx2 - bx1) * (by2 - by1) - inter));
            }
        }
        return y;
    }

    /// <summary>
    /// Non-maximum suppression, as torchvision's <c>nms</c>: boxes in order of falling score (equal scores keep their
    /// order), each kept unless a kept box overlaps it with an IoU above <paramref name="iouThreshold"/>. Returns the
    /// kept boxes' indices, highest score first.
    /// </summary>
    /// <exception cref="ArgumentException">The boxes are not [K, 4], or the scores not [K].</exception>
    public static int[] Nms(Tensor boxes, Tensor scores, float iouThreshold)
    {
        CheckBoxes("nms", boxes);
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Rank != 1 || scores.Shape[0] != boxes.Shape[0])
            throw new ArgumentException($"nms: expected one score per box ({boxes.Shape[0]}), got scores {scores.Shape}.");
        return NmsOf(boxes.Data, scores.Data, Enumerable.Range(0, boxes.Shape[0]).ToArray(), iouThreshold);
    }

    // NMS over the boxes listed in `which`; indices into the full arrays.
    private static int[] NmsOf(ReadOnlySpan<float> b, ReadOnlySpan<float> s, int[] which, float threshold)
    {
        var sc = s.ToArray();
        var order = which.OrderByDescending(i => sc[i]).ToArray();
        var suppressed = new bool[order.Length];
        var keep = new List<int>();
        for (int oi = 0; oi < order.Length; oi++)
        {
            if (suppressed[oi]) continue;
            int i = order[oi];
            keep.Add(i);
            double ix1 = b[4 * i], iy1 = b[4 * i + 1], ix2 = b[4 * i + 2], iy2 = b[4 * i + 3], areaI = (ix2 - ix1) * (iy2 - iy1);
            for (int oj = oi + 1; oj < order.Length; oj++)
            {
                if (suppressed[oj]) continue;
                int j = order[oj];
                double w = Math.Max(Math.Min(ix2, b[4 * j + 2]) - Math.Max(ix1, b[4 * j]), 0), h = Math.Max(Math.Min(iy2, b[4 * j + 3]) - Math.Max(iy1, b[4 * j + 1]), 0);
                double inter = w * h, areaJ = ((double)b[4 * j + 2] - b[4 * j]) * ((double)b[4 * j + 3] - b[4 * j + 1]);
                if (inter / (areaI + areaJ - inter) > threshold) suppressed[oj] = true;
            }
        }
        return [.. keep];
    }

    /// <summary>
    /// NMS within each class (<paramref name="classes"/>, one per box), as torchvision's <c>batched_nms</c>: boxes of
    /// different classes never suppress each other. Returns the kept indices, highest score first.
    /// </summary>
    public static int[] BatchedNms(Tensor boxes, Tensor scores, ReadOnlySpan<int> classes, float iouThreshold)
    {
        CheckBoxes("batched_nms", boxes);
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Rank != 1 || scores.Shape[0] != boxes.Shape[0] || classes.Length != boxes.Shape[0])
            throw new ArgumentException($"batched_nms: expected one score and one class per box ({boxes.Shape[0]}), got scores {scores.Shape} and {classes.Length} classes.");
        var kept = new List<int>();
        foreach (var group in classes.ToArray().Select((c, i) => (c, i)).GroupBy(t => t.c))
            kept.AddRange(NmsOf(boxes.Data, scores.Data, [.. group.Select(t => t.i)], iouThreshold));
        var sc = scores.Data.ToArray();
        return [.. kept.OrderBy(i => i).OrderByDescending(i => sc[i])];
    }

    private static (int N, int C, int H, int W, int K) CheckRois(string op, Tensor input, Tensor rois, int outHeight, int outWidth, float spatialScale)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(rois);
        if (input.Rank != 4) throw new ArgumentException($"{op}: expected feature maps [N, C, H, W], got {input.Shape}.");
        if (rois.Rank != 2 || rois.Shape[1] != 5)
            throw new ArgumentException($"{op}: expected regions [K, 5] as (batch index, x1, y1, x2, y2), got {rois.Shape}.");
        if (outHeight < 1 || outWidth < 1 || !(spatialScale > 0) || !float.IsFinite(spatialScale))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{op}: expected an output size of at least 1x1 and a positive spatial scale, got {outHeight}x{outWidth} and {spatialScale}."));
        int n = input.Shape[0];
        var r = rois.Data;
        for (int k = 0; k < rois.Shape[0]; k++)
        {
            float b = r[5 * k];
            if (!(b >= 0 && b < n) || b != MathF.Floor(b))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{op}: region {k} names batch index {b}; the input holds {n} images (0 to {n - 1})."));
            for (int q = 1; q < 5; q++)
                if (!float.IsFinite(r[5 * k + q])) throw new ArgumentException($"{op}: region {k} has a coordinate that is not a finite number.");
        }
        return (n, input.Shape[1], input.Shape[2], input.Shape[3], rois.Shape[0]);
    }

    /// <summary>
    /// RoIAlign, as torchvision's <c>roi_align</c>: each region, scaled by <paramref name="spatialScale"/> (and moved by
    /// half a pixel when <paramref name="aligned"/>), is cut into outHeight x outWidth bins, and each bin is the mean of
    /// a grid of bilinear samples (<paramref name="samplingRatio"/> a side, or when it is 0 or less ceil(region side /
    /// bins) a side). Without <paramref name="aligned"/> a region is at least 1x1. Samples more than one pixel outside the
    /// map are 0; the rest read the map clamped to its edge. Input [N, C, H, W], regions [K, 5]; output [K, C, outHeight,
    /// outWidth]; the backward spreads each bin's gradient over its samples' four neighbours (none to the regions).
    /// </summary>
    public static Tensor RoiAlign(Tensor input, Tensor rois, int outHeight, int outWidth, float spatialScale = 1f, int samplingRatio = -1, bool aligned = false)
    {
        var (_, c, h, w, k) = CheckRois("roi_align", input, rois, outHeight, outWidth, spatialScale);
        var y = Tensor.Empty(k, c, outHeight, outWidth);
        var samples = new RoiSample[k][];
        var counts = new int[k];
        var r = rois.Data.ToArray();
        var x = input.Data.ToArray();
        var yData = y.Data.ToArray();
        Threading.Parallelism.For(k, Threading.Parallelism.Threads, i =>
        {
            var (list, count) = RoiAlignSamples(r.AsSpan(5 * i, 5), h, w, outHeight, outWidth, spatialScale, samplingRatio, aligned);
            samples[i] = list;
            counts[i] = count;
            int image = (int)r[5 * i];
            for (int ch = 0; ch < c; ch++)
            {
                int plane = (image * c + ch) * h * w, outBase = (i * c + ch) * outHeight * outWidth;
                var bins = new double[outHeight * outWidth];
                foreach (var s in list)
                    bins[s.Bin] += s.W1 * x[plane + s.P1] + s.W2 * x[plane + s.P2] + s.W3 * x[plane + s.P3] + s.W4 * x[plane + s.P4];
                for (int q = 0; q < bins.Length; q++) yData[outBase + q] = (float)(bins[q] / count);
            }
        });
        yData.CopyTo(y.Data);
        if (!Autograd.Needs(input)) return y;
        return Autograd.Record(y, "roi_align", [input], (g, grads) =>
        {
            var dx = new double[input.Shape.Numel];
            var gd = g.Data;
            for (int i = 0; i < k; i++)
            {
                int image = (int)r[5 * i];
                for (int ch = 0; ch < c; ch++)
                {
                    int plane = (image * c + ch) * h * w, outBase = (i * c + ch) * outHeight * outWidth;
                    foreach (var s in samples[i])
                    {
                        double gv = gd[outBase + s.Bin] / (double)counts[i];
                        dx[plane + s.P1] += s.W1 * gv;
                        dx[plane + s.P2] += s.W2 * gv;
                        dx[plane + s.P3] += s.W3 * gv;
                        dx[plane + s.P4] += s.W4 * gv;
                    }
                }
            }
            var t = Tensor.Empty(input.Shape);
            for (int q = 0; q < dx.Length; q++) t.Data[q] = (float)dx[q];
            grads[0] = t;
        });
    }

    // One bilinear sample of a region: its bin and the four neighbours' offsets in a plane with their weights.
    private readonly record struct RoiSample(int Bin, int P1, int P2, int P3, int P4, double W1, double W2, double W3, double W4);

    private static (RoiSample[] Samples, int Count) RoiAlignSamples(ReadOnlySpan<float> roi, int h, int w, int outH, int outW, float scale, int samplingRatio, bool aligned)
    {
        double offset = aligned ? 0.5 : 0;
        double startW = roi[1] * (double)scale - offset, startH = roi[2] * (double)scale - offset;
        double endW = roi[3] * (double)scale - offset, endH = roi[4] * (double)scale - offset;
        double roiW = endW - startW, roiH = endH - startH;
        if (!aligned)
        {
            roiW = Math.Max(roiW, 1);
            roiH = Math.Max(roiH, 1);
        }
        double binH = roiH / outH, binW = roiW / outW;
        int gridH = samplingRatio > 0 ? samplingRatio : (int)Math.Ceiling(roiH / outH), gridW = samplingRatio > 0 ? samplingRatio : (int)Math.Ceiling(roiW / outW);
        // A region whose side is negative (x2 < x1 when aligned) samples nothing.
        gridH = Math.Max(gridH, 0);
        gridW = Math.Max(gridW, 0);
        int count = Math.Max(gridH * gridW, 1);
        var list = new List<RoiSample>();
        for (int ph = 0; ph < outH; ph++)
            for (int pw = 0; pw < outW; pw++)
                for (int iy = 0; iy < gridH; iy++)
                {
                    double yy = startH + ph * binH + (iy + 0.5) * binH / gridH;
                    for (int ix = 0; ix < gridW; ix++)
                    {
                        double xx = startW + pw * binW + (ix + 0.5) * binW / gridW;
                        if (yy < -1.0 || yy > h || xx < -1.0 || xx > w) continue;
                        double sy = Math.Max(yy, 0), sx = Math.Max(xx, 0);
                        int y0 = (int)sy, x0 = (int)sx, y1, x1;
                        if (y0 >= h - 1) { y1 = y0 = h - 1; sy = y0; } else y1 = y0 + 1;
                        if (x0 >= w - 1) { x1 = x0 = w - 1; sx = x0; } else x1 = x0 + 1;
                        double ly = sy - y0, lx = sx - x0, hy = 1 - ly, hx = 1 - lx;
                        list.Add(new RoiSample(ph * outW + pw, y0 * w + x0, y0 * w + x1, y1 * w + x0, y1 * w + x1, hy * hx, hy * lx, ly * hx, ly * lx));
                    }
                }
        return ([.. list], count);
    }

    /// <summary>
    /// RoI max pooling, as torchvision's <c>roi_pool</c>: each region's corners are scaled by
    /// <paramref name="spatialScale"/> and rounded (half away from zero), the region (at least 1x1, both ends included)
    /// is cut into outHeight x outWidth bins of floor/ceil bounds clipped to the map, and each bin is its largest value (0
    /// for a bin outside the map). Output [K, C, outHeight, outWidth]; the gradient goes to each bin's largest input.
    /// </summary>
    public static Tensor RoiPool(Tensor input, Tensor rois, int outHeight, int outWidth, float spatialScale = 1f)
    {
        var (_, c, h, w, k) = CheckRois("roi_pool", input, rois, outHeight, outWidth, spatialScale);
        var y = Tensor.Empty(k, c, outHeight, outWidth);
        var argmax = new int[y.Numel];
        var r = rois.Data.ToArray();
        var x = input.Data.ToArray();
        var yData = new float[y.Numel];
        Threading.Parallelism.For(k, Threading.Parallelism.Threads, i =>
        {
            int image = (int)r[5 * i];
            int startW = (int)Math.Round(r[5 * i + 1] * (double)spatialScale, MidpointRounding.AwayFromZero), startH = (int)Math.Round(r[5 * i + 2] * (double)spatialScale, MidpointRounding.AwayFromZero);
            int endW = (int)Math.Round(r[5 * i + 3] * (double)spatialScale, MidpointRounding.AwayFromZero), endH = (int)Math.Round(r[5 * i + 4] * (double)spatialScale, MidpointRounding.AwayFromZero);
            int roiW = Math.Max(endW - startW + 1, 1), roiH = Math.Max(endH - startH + 1, 1);
            double binH = (double)roiH / outHeight, binW = (double)roiW / outWidth;
            for (int ch = 0; ch < c; ch++)
            {
                int plane = (image * c + ch) * h * w;
                for (int ph = 0; ph < outHeight; ph++)
                    for (int pw = 0; pw < outWidth; pw++)
                    {
                        int hs = Math.Clamp((int)Math.Floor(ph * binH) + startH, 0, h), he = Math.Clamp((int)Math.Ceiling((ph + 1) * binH) + startH, 0, h);
                        int ws = Math.Clamp((int)Math.Floor(pw * binW) + startW, 0, w), we = Math.Clamp((int)Math.Ceiling((pw + 1) * binW) + startW, 0, w);
                        bool empty = he <= hs || we <= ws;
                        float best = empty ? 0 : float.MinValue;
                        int at = -1;
                        for (int yy = hs; yy < he; yy++)
                            for (int xx = ws; xx < we; xx++)
                                if (x[plane + yy * w + xx] > best)
                                {
                                    best = x[plane + yy * w + xx];
                                    at = plane + yy * w + xx;
                                }
                        int o = ((i * c + ch) * outHeight + ph) * outWidth + pw;
                        yData[o] = best;
                        argmax[o] = at;
                    }
            }
        });
        yData.CopyTo(y.Data);
        if (!Autograd.Needs(input)) return y;
        return Autograd.Record(y, "roi_pool", [input], (g, grads) =>
        {
            var dx = Tensor.Zeros(input.Shape);
            var gd = g.Data;
            for (int o = 0; o < argmax.Length; o++)
                if (argmax[o] >= 0) dx.Data[argmax[o]] += gd[o];
            grads[0] = dx;
        });
    }

    /// <summary>
    /// The smooth L1 (Huber-like) loss of PyTorch's <c>smooth_l1_loss</c>: 0.5 d^2 / beta where |d| &lt; beta, else
    /// |d| - 0.5 beta (beta 0: the L1 loss), d = input - target; reduced by mean, sum or not at all.
    /// </summary>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, float beta = 1f, Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (!input.Shape.Equals(target.Shape))
            throw new ArgumentException($"smooth_l1_loss: input {input.Shape} and target {target.Shape} must have the same shape.");
        if (!(beta >= 0) || !float.IsFinite(beta))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"smooth_l1_loss: beta must be >= 0, got {beta}."));
        var d = Sub(input, target);
        Tensor loss;
        if (beta == 0) loss = Abs(d);
        else
        {
            // Where |d| < beta: 0.5 d^2 / beta; elsewhere |d| - 0.5 beta. The mask is a constant of the forward pass.
            var a = Abs(d);
            var inside = Tensor.Empty(d.Shape);
            for (int i = 0; i < d.Numel; i++) inside.Data[i] = a.Data[i] < beta ? 1f : 0f;
            var outside = AddScalar(Neg(inside), 1f);
            loss = Add(Mul(MulScalar(Square(d), 0.5f / beta), inside), Mul(AddScalar(a, -0.5f * beta), outside));
        }
        return reduction switch
        {
            Reduction.None => loss,
            Reduction.Sum => Sum(loss),
            _ => Mean(loss),
        };
    }
}
