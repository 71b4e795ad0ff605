using Striate.Detection;
using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using Striate.Tests.Onnx;
using Striate.Tests.Support;

namespace Striate.Tests.Detection;

/// <summary>
/// The detection operations against torchvision 0.14.1's (Debian's python3-torchvision), computed in float64 at test
/// time on random boxes that cross the border, empty boxes, a region with x2 &lt; x1 and one wholly outside the map:
/// box IoU, NMS and batched NMS, RoIAlign (aligned or not, fixed and adaptive sampling) and RoI pooling with their
/// input gradients, the box coder, the anchor generator and the smooth L1 loss.
/// </summary>
public class DetectionOpsTorchTests
{
    private static readonly Lazy<Dictionary<string, Tensor>> s_reference = new(() =>
    {
        string path = Path.Combine(Repo.TempDir(), "detection_ops.pth");
        PythonScript.Run(Path.Combine("Detection", "torchvision_detection_ops.py"), path);
        return StateDictFile.Read(path).ToDictionary(kv => kv.Key, kv => kv.Value);
    });

    private static Tensor R(string key) => s_reference.Value[key];

    private static int[] Ints(string key) => [.. R(key).ToArray().Select(v => (int)v)];

    [PyTorchFact]
    public void BoxIouAndNmsAreTorchvisions()
    {
        var iou = F.BoxIou(R("iou.a"), R("iou.b"));
        var expected = R("iou.y").ToArray();
        Assert.Equal(expected.Length, iou.Numel);
        Assert.Contains(expected, float.IsNaN); // two empty boxes: 0 / 0, as torchvision
        for (int i = 0; i < expected.Length; i++)
            if (float.IsNaN(expected[i])) Assert.True(float.IsNaN(iou.Data[i]), $"IoU {i}: expected NaN, got {iou.Data[i]}");
            else Assert.True(Math.Abs(expected[i] - iou.Data[i]) <= 1e-6, $"IoU {i}: expected {expected[i]}, got {iou.Data[i]}");
        foreach (var t in new[] { 3, 5, 7 })
        {
            var keep = F.Nms(R("nms.boxes"), R("nms.scores"), t / 10f);
            Assert.Equal(Ints($"nms.keep_{t}"), keep);
        }
        Assert.Equal(Ints("nms.batched_5"), F.BatchedNms(R("nms.boxes"), R("nms.scores"), Ints("nms.classes"), 0.5f));
    }

    [PyTorchFact]
    public void RoiAlignAndRoiPoolAreTorchvisionsForwardAndBackward()
    {
        var configs = new (string Name, int H, int W, float Scale, int Ratio, bool Aligned)[] { ("a", 3, 4, 0.5f, 2, false), ("b", 2, 2, 1f, -1, true), ("c", 5, 5, 0.75f, 0, false), ("d", 3, 3, 1f, 0, true) };
        foreach (var (name, h, w, scale, ratio, aligned) in configs)
        {
            var x = Tensor.FromArray(R("roi.x").ToArray(), 2, 3, 10, 12);
            x.RequiresGrad = true;
            var y = F.RoiAlign(x, R("roi.rois"), h, w, scale, ratio, aligned);
            Check.Close(R($"align.{name}.y").ToArray(), y.Data, 1e-5, 1e-6, $"roi_align {name}");
            F.Sum(F.Mul(y, R($"align.{name}.gy"))).Backward();
            Check.Close(R($"align.{name}.gx").ToArray(), x.Grad!.Data, 1e-5, 1e-6, $"roi_align {name} input gradient");
        }
        foreach (var (name, h, w, scale) in new[] { ("a", 3, 3, 0.5f), ("b", 2, 4, 1f) })
        {
            var x = Tensor.FromArray(R("roi.x").ToArray(), 2, 3, 10, 12);
            x.RequiresGrad = true;
            var y = F.RoiPool(x, R("roi.rois"), h, w, scale);
            Check.Close(R($"pool.{name}.y").ToArray(), y.Data, 0, 0, $"roi_pool {name}");
            F.Sum(F.Mul(y, R($"pool.{name}.gy"))).Backward();
            Check.Close(R($"pool.{name}.gx").ToArray(), x.Grad!.Data, 1e-6, 1e-6, $"roi_pool {name} input gradient");
        }
    }

    [PyTorchFact]
    public void TheBoxCoderAnchorsAndSmoothL1AreTorchvisions()
    {
        var coder = new BoxCoder(10, 10, 5, 5);
        Check.Close(R("coder.codes").ToArray(), coder.Encode(R("coder.gt"), R("coder.proposals")).Data, 1e-5, 1e-5, "encoded boxes");
        Check.Close(R("coder.decoded").ToArray(), coder.Decode(R("coder.rel"), R("coder.proposals")).Data, 1e-5, 1e-4, "decoded boxes");

        var anchors = new AnchorGenerator([32, 64, 128], [0.5, 1, 2]).Anchors(128, 160, 8, 10);
        Assert.Equal(R("anchors.y").ToArray(), anchors.ToArray());
        // Halves round to even, as torch.round: 45 at ratio 1 is 22.5 a side, drawn as 22.
        var base45 = new AnchorGenerator([45, 91], [1, 0.7]).BaseAnchors.SelectMany(b => b.Select(v => (float)v)).ToArray();
        Assert.Equal(R("anchors.base45").ToArray(), base45);
        Assert.Contains(-22f, base45);

        foreach (var (name, beta) in new[] { ("b9", 1f / 9), ("b1", 1f), ("b0", 0f) })
        {
            var x = Tensor.FromArray(R("sl1.input").ToArray(), 40);
            x.RequiresGrad = true;
            var loss = F.SmoothL1Loss(x, R("sl1.target"), beta, Reduction.Sum);
            Check.Close(R($"sl1.{name}.loss").ToArray(), [loss.Item()], 1e-5, 1e-6, $"smooth L1 {name}");
            loss.Backward();
            Check.Close(R($"sl1.{name}.grad").ToArray(), x.Grad!.Data, 1e-5, 1e-6, $"smooth L1 {name} gradient");
            Check.Close(R($"sl1.{name}.none").ToArray(), F.SmoothL1Loss(R("sl1.input"), R("sl1.target"), beta, Reduction.None).Data, 1e-5, 1e-6, $"smooth L1 {name} unreduced");
        }
    }
}
