using Striate.Tensors;

namespace Striate.Training;

/// <summary>
/// The confusion matrix of a segmentation over pixels and what it gives: pixel accuracy, each class's intersection
/// over union (IoU = TP / (TP + FP + FN)) and their mean over the classes that occur (in the targets or the
/// predictions; a class absent from both has no IoU, as in the FCN paper's and torchmetrics' convention of leaving
/// it out). Pixels whose target is the ignore index are not counted.
/// </summary>
public sealed class SegmentationMetrics
{
    private readonly long[] _confusion;

    public SegmentationMetrics(int classCount, int ignoreIndex = -100)
    {
        if (classCount < 1) throw new ArgumentException($"segmentation metrics: expected at least one class, got {classCount}.");
        ClassCount = classCount;
        IgnoreIndex = ignoreIndex;
        _confusion = new long[classCount * classCount];
    }

    public int ClassCount { get; }
    public int IgnoreIndex { get; }

    /// <summary>Pixels of target class t predicted as p, at [t * ClassCount + p].</summary>
    public ReadOnlySpan<long> Confusion => _confusion;

    /// <summary>Adds the pixels of logits [N, C, H, W] (each pixel's prediction its largest score) against targets (N*H*W, in N, H, W order).</summary>
    public void Add(Tensor logits, ReadOnlySpan<int> targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank != 4 || logits.Shape[1] != ClassCount)
            throw new ArgumentException($"segmentation metrics: expected logits [N, {ClassCount}, H, W], got {logits.Shape}.");
        int n = logits.Shape[0], c = ClassCount, hw = logits.Shape[2] * logits.Shape[3];
        if (targets.Length != n * hw)
            throw new ArgumentException($"segmentation metrics: expected {n * hw} targets (one per pixel of {logits.Shape}), got {targets.Length}.");
        var z = logits.Data;
        for (int i = 0; i < n; i++)
            for (int p = 0; p < hw; p++)
            {
                int t = targets[i * hw + p];
                if (t == IgnoreIndex) continue;
                if (t < 0 || t >= c) throw new ArgumentException($"segmentation metrics: target {t} at pixel {i * hw + p} is not a class of {c}.");
                int best = 0;
                float top = z[(i * c) * hw + p];
                for (int k = 1; k < c; k++)
                {
                    float v = z[(i * c + k) * hw + p];
                    if (v > top) { top = v; best = k; }
                }
                _confusion[t * c + best]++;
            }
    }

    /// <summary>The share of counted pixels predicted right (NaN before any).</summary>
    public double PixelAccuracy
    {
        get
        {
            long right = 0, all = 0;
            for (int t = 0; t < ClassCount; t++)
                for (int p = 0; p < ClassCount; p++)
                {
                    all += _confusion[t * ClassCount + p];
                    if (t == p) right += _confusion[t * ClassCount + p];
                }
            return all == 0 ? double.NaN : (double)right / all;
        }
    }

    /// <summary>Each class's IoU; NaN for a class neither predicted nor present.</summary>
    public double[] ClassIoU()
    {
        var iou = new double[ClassCount];
        for (int k = 0; k < ClassCount; k++)
        {
            long tp = _confusion[k * ClassCount + k], fn = 0, fp = 0;
            for (int j = 0; j < ClassCount; j++)
            {
                if (j == k) continue;
                fn += _confusion[k * ClassCount + j];
                fp += _confusion[j * ClassCount + k];
            }
            iou[k] = tp + fp + fn == 0 ? double.NaN : (double)tp / (tp + fp + fn);
        }
        return iou;
    }

    /// <summary>The mean IoU over the classes that have one.</summary>
    public double MeanIoU
    {
        get
        {
            var present = ClassIoU().Where(v => !double.IsNaN(v)).ToList();
            return present.Count == 0 ? double.NaN : present.Average();
        }
    }
}
