using Striate.Tensors;
using Striate.Training;

namespace Striate.Tests.Training;

/// <summary>Pixel accuracy, per-class IoU and mean IoU on a worked example.</summary>
public class SegmentationMetricsTests
{
    [Fact]
    public void AWorkedExample()
    {
        // Three classes, six pixels in one image of 2x3; predictions from one-hot scores.
        int[] predicted = [0, 1, 1, 2, 0, 1];
        int[] target = [0, 1, 2, 2, 1, 9];
        var scores = new float[3 * 6];
        for (int p = 0; p < 6; p++) scores[predicted[p] * 6 + p] = 1f;
        var m = new SegmentationMetrics(3, ignoreIndex: 9);
        m.Add(Tensor.FromArray(scores, 1, 3, 2, 3), target);
        // Counted: five pixels, right at 0, 1 and 3.
        Assert.Equal(3.0 / 5, m.PixelAccuracy, 12);
        // Class 0: TP 1, FP 1 (pixel 4), FN 0 -> 1/2. Class 1: TP 1, FP 1 (pixel 2), FN 1 (pixel 4) -> 1/3. Class 2: TP 1, FN 1 -> 1/2.
        Assert.Equal([0.5, 1.0 / 3, 0.5], m.ClassIoU());
        Assert.Equal((0.5 + 1.0 / 3 + 0.5) / 3, m.MeanIoU, 12);
        Assert.Equal(1, m.Confusion[1 * 3 + 0]);
        // A class neither present nor predicted has no IoU and leaves the mean alone.
        var four = new SegmentationMetrics(4);
        var s4 = new float[4 * 2];
        s4[0] = 1; s4[1 * 2 + 1] = 1;
        four.Add(Tensor.FromArray(s4, 1, 4, 1, 2), [0, 1]);
        Assert.True(double.IsNaN(four.ClassIoU()[3]));
        Assert.Equal(1.0, four.MeanIoU);
        Assert.Contains("expected logits [N, 4, H, W]", Assert.Throws<ArgumentException>(() => four.Add(Tensor.Zeros(1, 3, 1, 2), [0, 1])).Message);
        Assert.Contains("target 7 at pixel 1 is not a class of 4", Assert.Throws<ArgumentException>(() => four.Add(Tensor.Zeros(1, 4, 1, 2), [0, 7])).Message);
    }
}
