using Microsoft.ML.OnnxRuntime;
using Striate.Models;
using Striate.Nn;
using Striate.Onnx;
using Striate.Runs;
using Striate.Tensors;
using Tensor = Striate.Tensors.Tensor;
using Xunit.Abstractions;

namespace Striate.Oracle.Tests.Onnx;

/// <summary>
/// U-Net and the FCNs exported to ONNX (ConvTranspose, Concat, Add, MaxPool; Slice for the valid U-Net's crops) and
/// run by ONNX Runtime: the same scores within 1e-4 of the largest and the same masks, at the traced size and, since
/// the graphs are fully convolutional, at another size too.
/// </summary>
public class SegmentationOnnxTests(ITestOutputHelper output)
{
    private static void Perturb(Module model)
    {
        OnnxRuntimeExportTests.PerturbBatchNorm(model);
        // The FCNs start their skip scorers at zero; give them weights so that the skips count.
        var g = new Generator(12);
        foreach (var (key, t) in model.StateDict())
            if (key.StartsWith("score_pool", StringComparison.Ordinal))
            {
                var noise = Tensor.Randn(g, t.Shape.ToArray());
                for (int i = 0; i < t.Numel; i++) t.Data[i] = 0.05f * noise.Data[i];
            }
        model.Eval();
    }

    private (float Worst, float Scale, int MaskDiffs) Compare(Module model, byte[] onnx, int n, int c, int h, int w)
    {
        var x = Tensor.Uniform(new Generator(3), 0, 1, n, c, h, w);
        float[] expected;
        using (TensorScope.Begin())
        using (Autograd.NoGrad())
            expected = model.Forward(x).ToArray();
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnx, new SessionOptions { IntraOpNumThreads = 2 });
        using var results = session.Run(new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor("input", new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(x.ToArray(), [n, c, h, w])) });
        var tensor = results.First().AsTensor<float>();
        float[] actual = tensor.ToArray();
        Assert.Equal(expected.Length, actual.Length);
        int k = tensor.Dimensions[1], plane = tensor.Dimensions[2] * tensor.Dimensions[3];
        float scale = expected.Max(MathF.Abs), worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = MathF.Max(worst, MathF.Abs(expected[i] - actual[i]));
        // Masks: each pixel's largest score, compared where the top two scores are not within the tolerance of a tie.
        int diffs = 0;
        for (int b = 0; b < n; b++)
            for (int p = 0; p < plane; p++)
            {
                int Arg(float[] v) => Enumerable.Range(0, k).MaxBy(j => v[(b * k + j) * plane + p]);
                int e = Arg(expected), a = Arg(actual);
                if (e != a && MathF.Abs(expected[(b * k + e) * plane + p] - expected[(b * k + a) * plane + p]) > 1e-4f * scale) diffs++;
            }
        return (worst, scale, diffs);
    }

    public static TheoryData<string> Models() => ["unet-small", "fcn32s-small", "fcn16s-small", "fcn8s-small"];

    [Theory]
    [MemberData(nameof(Models))]
    public void OnnxRuntimeGivesTheSameScoresAndMasksAtAnySize(string name)
    {
        var model = SegmentationModels.Create(name, 1, 11, new Generator(7));
        Perturb(model);
        var classes = Enumerable.Range(0, 11).Select(i => $"class{i}").ToList();
        var onnxModel = SegmentationFile.ToOnnx(model, name, 1, classes, 64, 64);
        Assert.Contains(onnxModel.Graph.Nodes, node => node.OpType == "ConvTranspose");
        Assert.Contains(onnxModel.Graph.Nodes, node => node.OpType == (name == "unet-small" ? "Concat" : name == "fcn32s-small" ? "ConvTranspose" : "Add"));
        Assert.Equal("segment", onnxModel.Metadata["striate.task"]);
        byte[] onnx = onnxModel.ToBytes();
        foreach (var (n, h, w) in new[] { (2, 64, 64), (1, 96, 128) })
        {
            var (worst, scale, diffs) = Compare(model, onnx, n, 1, h, w);
            output.WriteLine($"{name} {n}x1x{h}x{w}: largest score {scale:G4}, largest difference {worst:G3}, masks differ at {diffs} pixels");
            Assert.True(worst <= 1e-4f * scale, $"{name} at {h}x{w}: ONNX Runtime's scores differ by {worst} (largest {scale})");
            Assert.Equal(0, diffs);
        }
        // And back in through the importer: the same scores.
        var imported = OnnxModule.FromModel(OnnxModel.Parse(onnx, name));
        imported.Eval();
        var x = Tensor.Uniform(new Generator(5), 0, 1, 1, 1, 64, 96);
        using (TensorScope.Begin())
        using (Autograd.NoGrad())
        {
            var a = model.Forward(x).ToArray();
            var b = imported.Forward(x).ToArray();
            float scale = a.Max(MathF.Abs);
            Assert.True(a.Zip(b).Max(p => MathF.Abs(p.First - p.Second)) <= 1e-5f * scale);
        }
    }

    [Fact]
    public void TheValidUNetsCropsRunInOnnxRuntime()
    {
        // The paper's valid-padded U-Net, narrow: 60x60 in, 20x20 out, its skips centre-cropped by Slice.
        var model = new UNet(1, 2, baseChannels: 4, depth: 2, validPadding: true, generator: new Generator(9));
        model.Eval();
        var onnxModel = OnnxExport.ToModel(model, (1, 60, 60));
        Assert.Contains(onnxModel.Graph.Nodes, node => node.OpType == "Slice");
        var (worst, scale, diffs) = Compare(model, onnxModel.ToBytes(), 2, 1, 60, 60);
        output.WriteLine($"valid U-Net: largest score {scale:G4}, largest difference {worst:G3}");
        Assert.True(worst <= 1e-4f * scale, $"the valid U-Net's scores differ by {worst} (largest {scale})");
        Assert.Equal(0, diffs);
    }
}
