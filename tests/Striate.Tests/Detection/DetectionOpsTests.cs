using Striate.Detection;
using Striate.Ops;
using Striate.Tensors;
using Striate.Tests.Support;

namespace Striate.Tests.Detection;

/// <summary>
/// The detection operations on worked examples, their backward by the adjoint identity (RoIAlign and RoI pooling are
/// linear in the map, so &lt;op(x), g&gt; must equal &lt;x, op'(g)&gt;), and the inputs they refuse.
/// </summary>
public class DetectionOpsTests
{
    // A 6x6 map whose pixel (y, x) is 10 y + x: bilinear samples of it are exact.
    private static Tensor Ramp()
    {
        var x = Tensor.Empty(1, 1, 6, 6);
        for (int y = 0; y < 6; y++)
            for (int c = 0; c < 6; c++) x.Data[y * 6 + c] = 10 * y + c;
        return x;
    }

    [Fact]
    public void RoiAlignAveragesBilinearSamplesAtEachBinsCentre()
    {
        // Region (1, 1)-(4, 4) in 3x3 bins of 1 pixel, 2x2 samples a bin: each bin is the ramp at its centre.
        var y = F.RoiAlign(Ramp(), Tensor.FromArray([0, 1, 1, 4, 4], 1, 5), 3, 3, 1f, 2, aligned: false);
        for (int ph = 0; ph < 3; ph++)
            for (int pw = 0; pw < 3; pw++) Assert.Equal(10 * (1.5f + ph) + 1.5f + pw, y.Data[ph * 3 + pw], 4);
        // Aligned, the region moves half a pixel up and left.
        y = F.RoiAlign(Ramp(), Tensor.FromArray([0, 1, 1, 4, 4], 1, 5), 3, 3, 1f, 2, aligned: true);
        for (int ph = 0; ph < 3; ph++)
            for (int pw = 0; pw < 3; pw++) Assert.Equal(10 * (1f + ph) + 1f + pw, y.Data[ph * 3 + pw], 4);
        // Spatial scale 0.5: the region (2, 2)-(8, 8) in image pixels is (1, 1)-(4, 4) on the map.
        var scaled = F.RoiAlign(Ramp(), Tensor.FromArray([0, 2, 2, 8, 8], 1, 5), 3, 3, 0.5f, 2);
        Assert.Equal(F.RoiAlign(Ramp(), Tensor.FromArray([0, 1, 1, 4, 4], 1, 5), 3, 3, 1f, 2).ToArray(), scaled.ToArray());
        // Wholly outside the map (more than a pixel): zeros.
        Assert.All(F.RoiAlign(Ramp(), Tensor.FromArray([0, -9, -9, -3, -3], 1, 5), 2, 2).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void RoiPoolTakesEachBinsLargestValue()
    {
        // Region (0, 0)-(3, 3) with both ends included is 4x4 pixels: 2x2 bins of 2x2, each largest at its bottom right.
        var y = F.RoiPool(Ramp(), Tensor.FromArray([0, 0, 0, 3, 3], 1, 5), 2, 2);
        Assert.Equal([11f, 13f, 31f, 33f], y.ToArray());
        // Corners round half away from zero: 0.5 * 1 = 0.5 -> 1, 0.5 * 5 = 2.5 -> 3.
        y = F.RoiPool(Ramp(), Tensor.FromArray([0, 1, 1, 5, 5], 1, 5), 1, 1, 0.5f);
        Assert.Equal([33f], y.ToArray());
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    [Theory]
    [InlineData(false, 2, false)]
    [InlineData(true, 0, false)]
    [InlineData(false, -1, true)]
    public void TheBackwardIsTheForwardsAdjoint(bool aligned, int ratio, bool pool)
    {
        var g = new Generator(4);
        var x = Tensor.Randn(g, 2, 3, 9, 11);
        x.RequiresGrad = true;
        var rois = Tensor.FromArray([0, -2, 1, 6.5f, 7, 1, 3, 2.25f, 10, 5, 1, 0, 0, 0.5f, 0.5f, 0, 8, 6, 14, 12], 4, 5);
        var y = pool ? F.RoiPool(x, rois, 3, 2, 0.75f) : F.RoiAlign(x, rois, 3, 2, 0.75f, ratio, aligned);
        var gy = Tensor.Randn(g, y.Shape.ToArray());
        F.Sum(F.Mul(y, gy)).Backward();
        double lhs = Dot(y.Data, gy.Data), rhs = Dot(x.Data, x.Grad!.Data);
        Assert.True(Math.Abs(lhs - rhs) <= 1e-4 * Math.Max(1, Math.Abs(lhs)), $"<op(x), g> = {lhs}, <x, op'(g)> = {rhs}");
        Assert.Contains(x.Grad!.ToArray(), v => v != 0);
    }

    [Fact]
    public void NmsKeepsTheBestOfEachOverlappingGroup()
    {
        var boxes = Tensor.FromArray([0, 0, 10, 10, 1, 1, 11, 11, 20, 20, 30, 30, 0, 0, 10, 10], 4, 4);
        var scores = Tensor.FromArray([0.9f, 0.8f, 0.7f, 0.95f], 4);
        // Box 3 (0.95) suppresses its twin 0 and 1 (IoU 81/119 = 0.68); box 2 stands alone.
        Assert.Equal([3, 2], F.Nms(boxes, scores, 0.5f));
        Assert.Equal([3, 1, 2], F.Nms(boxes, scores, 0.7f));
        // In different classes nothing suppresses anything.
        Assert.Equal([3, 0, 1, 2], F.BatchedNms(boxes, scores, [0, 1, 2, 3], 0.5f));
        var iou = F.BoxIou(boxes, boxes);
        Assert.Equal(81f / 119f, iou.Data[1], 6);
        Assert.Equal(1f, iou.Data[0]);
        Assert.Equal(0f, iou.Data[2]);
    }

    [Fact]
    public void TheBoxCoderDecodesWhatItEncodes()
    {
        var g = new Generator(2);
        var refs = Tensor.FromArray([0, 0, 10, 20, 5, 5, 6, 9, -3, 4, 40, 8], 3, 4);
        var boxes = Tensor.FromArray([1, 2, 12, 18, 4, 4, 8, 11, -10, 0, 50, 30], 3, 4);
        var coder = new BoxCoder(10, 10, 5, 5);
        var codes = coder.Encode(boxes, refs);
        Assert.Equal(10 * (6.5 - 5) / 10, codes.Data[0], 5); // dx of the first: centres 6.5 and 5, width 10
        Assert.Equal(5 * Math.Log(16.0 / 20), codes.Data[3], 5);
        Check.Close(boxes.ToArray(), coder.Decode(codes, refs).Data, 1e-5, 1e-4, "decoded boxes");
        // Decoding clips the size codes: a box grows at most 1000/16 times.
        var huge = coder.Decode(Tensor.FromArray([0, 0, 100, 100], 1, 4), Tensor.FromArray([0, 0, 2, 2], 1, 4));
        Assert.Equal(2 * 1000.0 / 16, huge.Data[2] - huge.Data[0], 3);
        Assert.Throws<ArgumentException>(() => new BoxCoder(0, 1, 1, 1));
        Assert.Throws<ArgumentException>(() => coder.Encode(boxes, Tensor.FromArray([0, 0, 1, 1], 1, 4)));
    }

    [Fact]
    public void AnchorsSitOnEveryCellAndTheSamplerBalancesTheBatch()
    {
        var gen = new AnchorGenerator([32], [0.5, 1, 2]);
        Assert.Equal(3, gen.PerCell);
        // Ratio 1: 32x32 centred on 0; ratio 0.5: 45x23 (32 * sqrt 2 = 45.25 wide, 22.6 high, halves rounded).
        Assert.Equal([-16d, -16, 16, 16], gen.BaseAnchors[1]);
        Assert.Equal([-23d, -11, 23, 11], gen.BaseAnchors[0]);
        var anchors = gen.Anchors(64, 96, 4, 6); // stride 16
        Assert.Equal([24 * 3, 4], anchors.Shape.ToArray());
        // The cell at row 2, column 5 moves the base boxes by (80, 32).
        int o = ((2 * 6 + 5) * 3 + 1) * 4;
        Assert.Equal([64f, 16, 96, 48], anchors.Data.Slice(o, 4).ToArray());
        Assert.Throws<ArgumentException>(() => gen.Anchors(8, 8, 16, 16));
        Assert.Throws<ArgumentException>(() => new AnchorGenerator([], [1]));

        var labels = new int[100];
        for (int i = 0; i < 100; i++) labels[i] = i < 10 ? 1 : i < 20 ? -1 : 0;
        var sampler = new BalancedSampler(32, 0.5);
        var (pos, neg) = sampler.Sample(labels, new Generator(1));
        Assert.Equal(10, pos.Length); // only 10 positives: all of them
        Assert.Equal(22, neg.Length); // the rest of the 32 from the 80 negatives
        Assert.All(pos, i => Assert.Equal(1, labels[i]));
        Assert.All(neg, i => Assert.Equal(0, labels[i]));
        Assert.Equal(neg.Length, neg.Distinct().Count());
        var (pos2, _) = new BalancedSampler(8, 0.25).Sample(labels, new Generator(1));
        Assert.Equal(2, pos2.Length);
    }

    [Fact]
    public void SmoothL1IsQuadraticInsideBetaAndLinearOutside()
    {
        var x = Tensor.FromArray([0.05f, -0.5f, 2f], 3);
        var zero = Tensor.Zeros(3);
        var loss = F.SmoothL1Loss(x, zero, 0.1f, Reduction.None).ToArray();
        Assert.Equal(0.5 * 0.05 * 0.05 / 0.1, loss[0], 6);
        Assert.Equal(0.5 - 0.05, loss[1], 6);
        Assert.Equal(2 - 0.05, loss[2], 6);
        Assert.Equal([0.05f, 0.5f, 2f], F.SmoothL1Loss(x, zero, 0f, Reduction.None).ToArray());
        Assert.Throws<ArgumentException>(() => F.SmoothL1Loss(x, zero, -1f));
        Assert.Throws<ArgumentException>(() => F.SmoothL1Loss(x, Tensor.Zeros(2)));
    }

    [Fact]
    public void BadRegionsAreRefusedByName()
    {
        var x = Ramp();
        Assert.Contains("names batch index 1; the input holds 1 images", Assert.Throws<ArgumentException>(() => F.RoiAlign(x, Tensor.FromArray([1, 0, 0, 2, 2], 1, 5), 2, 2)).Message);
        Assert.Contains("names batch index 0.5", Assert.Throws<ArgumentException>(() => F.RoiPool(x, Tensor.FromArray([0.5f, 0, 0, 2, 2], 1, 5), 2, 2)).Message);
        Assert.Contains("expected regions [K, 5]", Assert.Throws<ArgumentException>(() => F.RoiAlign(x, Tensor.FromArray([0, 0, 2, 2], 1, 4), 2, 2)).Message);
        Assert.Contains("not a finite number", Assert.Throws<ArgumentException>(() => F.RoiAlign(x, Tensor.FromArray([0, float.NaN, 0, 2, 2], 1, 5), 2, 2)).Message);
        Assert.Contains("output size of at least 1x1", Assert.Throws<ArgumentException>(() => F.RoiAlign(x, Tensor.FromArray([0, 0, 0, 2, 2], 1, 5), 0, 2)).Message);
        Assert.Contains("expected boxes [K, 4]", Assert.Throws<ArgumentException>(() => F.Nms(Tensor.Zeros(2, 5), Tensor.Zeros(2), 0.5f)).Message);
        Assert.Contains("one score per box", Assert.Throws<ArgumentException>(() => F.Nms(Tensor.Zeros(2, 4), Tensor.Zeros(3), 0.5f)).Message);
        // No regions: an empty result, not an error.
        Assert.Equal([0, 1, 2, 2], F.RoiAlign(x, Tensor.Zeros(0, 5), 2, 2).Shape.ToArray());
        Assert.Empty(F.Nms(Tensor.Zeros(0, 4), Tensor.Zeros(0), 0.5f));
    }
}
