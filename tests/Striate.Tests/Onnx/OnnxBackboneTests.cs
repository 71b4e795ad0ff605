using Striate.Data;
using Striate.Models;
using Striate.Nn;
using Striate.Onnx;
using Striate.Runs;
using Striate.Tensors;
using Striate.Tests.Support;
using Striate.Transfer;

namespace Striate.Tests.Onnx;

/// <summary>
/// A network from ONNX as a backbone: graphs cut in two (OnnxModel.Slice), the input adapter against bilinear
/// interpolation in float64 and ONNX's Resize, the stages, the head's graph against pooled features computed by hand,
/// and the run's classifier against its own cached features.
/// </summary>
public class OnnxBackboneTests
{
    // A ResNet of three stages (16, 32 and 64 channels at 28, 14 and 7) taking three-channel 28x28 images.
    private static readonly Lazy<OnnxModel> s_network = new(() =>
    {
        var net = ModelZoo.Create(new ModelSpec("resnet8-small", 10, 3, 28, 28), new Generator(7));
        // Statistics other than 0 and 1, so the batch norms do something.
        var g = new Generator(8);
        foreach (var (key, t) in net.StateDict())
            if (key.EndsWith("running_mean", StringComparison.Ordinal)) Tensor.Normal(g, 0f, 0.1f, t.Shape.ToArray()).Data.CopyTo(t.Data);
            else if (key.EndsWith("running_var", StringComparison.Ordinal)) Tensor.Uniform(g, 0.5f, 1.5f, t.Shape.ToArray()).Data.CopyTo(t.Data);
        return OnnxExport.ToModel(net, (3, 28, 28));
    });

    private static float[] Run(OnnxModel model, float[] input, params int[] dims)
    {
        var m = OnnxModule.FromModel(model);
        m.Eval();
        using var scope = TensorScope.Begin();
        using var _ = Autograd.NoGrad();
        string name = m.InputInfo.Name;
        return m.Run(new Dictionary<string, OnnxTensor> { [name] = OnnxTensor.FromFloats(name, [.. dims.Select(d => (long)d)], input) })[0].ToArray();
    }

    private static float[] Random(int n, ulong seed) => Tensor.Rand(new Generator(seed), n).ToArray();

    [Fact]
    public void ASlicedGraphsTwoPartsComposeToTheWhole()
    {
        var net = s_network.Value;
        var backbone = OnnxBackbone.Create(net, null, (3, 28, 28));
        string output = net.Graph.Outputs[0].Name;
        var x = Random(2 * 3 * 28 * 28, 1);
        var whole = Run(net, x, 2, 3, 28, 28);
        foreach (var stage in backbone.Stages)
        {
            var front = net.Slice(null, [stage.Value]);
            var back = net.Slice([stage.Value], [output]);
            Assert.True(back.Graph.Nodes.Count < net.Graph.Nodes.Count);
            var middle = Run(front, x, 2, 3, 28, 28);
            var composed = Run(back, middle, 2, stage.Channels, stage.Height, stage.Width);
            Assert.Equal(whole.Length, composed.Length);
            for (int i = 0; i < whole.Length; i++) Assert.Equal(whole[i], composed[i], 1e-5f);
            // Each part holds only the weights it reads.
            Assert.All(back.Graph.Initializers, t => Assert.Contains(back.Graph.Nodes, n => n.Inputs.Contains(t.Name)));
        }
    }

    [Fact]
    public void ASliceRefusesNamesItCannotCut()
    {
        var net = s_network.Value;
        var stages = OnnxBackbone.Create(net, null, (3, 28, 28)).Stages;
        string output = net.Graph.Outputs[0].Name;
        var e = Assert.Throws<ArgumentException>(() => net.Slice(null, ["no_such_value"]));
        Assert.Contains("'no_such_value' is no value of the graph", e.Message);
        e = Assert.Throws<ArgumentException>(() => net.Slice([stages[1].Value], [stages[0].Value]));
        Assert.Contains("needs graph input 'input', which is not among its inputs", e.Message);
        e = Assert.Throws<ArgumentException>(() => net.Slice([stages[1].Value, "input"], [stages[0].Value]));
        Assert.Contains($"do not depend on input '{stages[1].Value}'", e.Message);
        // Inside a residual block the shortcut still needs the block's input: not a cut.
        int add = net.Graph.Nodes.ToList().FindIndex(n => n.OpType == "Add");
        string inner = net.Graph.Nodes.Take(add).Last(n => n.OpType == "Relu").Outputs[0];
        e = Assert.Throws<ArgumentException>(() => net.Slice([inner], [output]));
        Assert.Contains("which is not among its inputs", e.Message);
        Assert.Throws<ArgumentException>(() => net.Slice(null, []));
    }

    [Fact]
    public void TheStagesAreTheLastValueAtEachSize()
    {
        var backbone = OnnxBackbone.Create(s_network.Value, null, (1, 20, 20));
        Assert.Equal([(16, 28, 28), (32, 14, 14), (64, 7, 7), (64, 1, 1)], backbone.Stages.Select(s => (s.Channels, s.Height, s.Width)));
        Assert.Equal((3, 28, 28), backbone.NetworkShape);
        Assert.Equal(backbone.Stages.Skip(1).Take(2), backbone.LastStages(2));
        var e = Assert.Throws<ArgumentException>(() => backbone.LastStages(4));
        Assert.Contains("1 to 3 stages", e.Message);
    }

    [Fact]
    public void TheAdapterResizesBilinearlyIntoTheCentreAndRepeatsTheChannel()
    {
        // 1x20x20 images into 3x28x28, covering 21x21 of it (fill 0.75), pixel values doubled.
        var backbone = OnnxBackbone.Create(s_network.Value, null, (1, 20, 20), pixelScale: 2f, fill: 0.75f);
        var x = Random(2 * 20 * 20, 3);
        var adapted = Run(backbone.Model.Slice(null, ["striate_channels"]), x, 2, 1, 20, 20);
        Assert.Equal(2 * 3 * 28 * 28, adapted.Length);
        // float64 reference: PyTorch's bilinear with align_corners=False (half-pixel centres, edges clamped).
        static (int, int, double) Tap(int o, int n, int m)
        {
            double c = Math.Max((o + 0.5) * n / m - 0.5, 0);
            int i0 = (int)Math.Floor(c);
            return (Math.Min(i0, n - 1), Math.Min(i0 + 1, n - 1), c - i0);
        }
        // ONNX's Resize (linear, half_pixel; the importer's conformance-tested operator) as a second reference.
        var resize = new OnnxModel
        {
            IrVersion = 8, Opsets = new Dictionary<string, long> { [""] = 13 },
            Graph = new OnnxGraph
            {
                Nodes = [new OnnxNode { OpType = "Resize", Inputs = ["x", "", "", "sizes"], Outputs = ["y"], Attributes = [OnnxAttribute.Text("mode", "linear"), OnnxAttribute.Text("coordinate_transformation_mode", "pytorch_half_pixel")] }],
                Initializers = [OnnxTensor.FromInt64s("sizes", [4], [2, 1, 21, 21])],
                Inputs = [new OnnxValueInfo("x", OnnxDataType.Float, null)],
                Outputs = [new OnnxValueInfo("y", OnnxDataType.Float, null)],
            },
        };
        var resized = Run(resize, x, 2, 1, 20, 20);
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 3; c++)
                for (int oy = 0; oy < 28; oy++)
                    for (int ox = 0; ox < 28; ox++)
                    {
                        double expected = 0, fromResize = 0;
                        int y = oy - 3, xx = ox - 3; // (28 - 21) / 2
                        if (y is >= 0 and < 21 && xx is >= 0 and < 21)
                        {
                            var (y0, y1, ly) = Tap(y, 20, 21);
                            var (x0, x1, lx) = Tap(xx, 20, 21);
                            double P(int r, int q) => x[b * 400 + r * 20 + q];
                            expected = 2 * ((1 - ly) * ((1 - lx) * P(y0, x0) + lx * P(y0, x1)) + ly * ((1 - lx) * P(y1, x0) + lx * P(y1, x1)));
                            fromResize = 2 * resized[b * 441 + y * 21 + xx];
                        }
                        float got = adapted[((b * 3 + c) * 28 + oy) * 28 + ox];
                        Assert.True(Math.Abs(got - expected) <= 1e-5, $"image {b}, channel {c}, ({oy}, {ox}): {got}, float64 reference {expected}");
                        Assert.True(Math.Abs(got - fromResize) <= 1e-5, $"image {b}, channel {c}, ({oy}, {ox}): {got}, ONNX Resize {fromResize}");
                    }
    }

    [Fact]
    public void TheHeadGraphIsTheStagesPooledTwoByTwoTimesTheWeights()
    {
        var backbone = OnnxBackbone.Create(s_network.Value, null, (3, 28, 28));
        var taps = backbone.LastStages(3); // 28x28, 14x14 and 7x7 (odd: the two bins share the middle row)
        int f = taps.Sum(t => t.PooledFeatures), classes = 4;
        Assert.Equal((16 + 32 + 64) * 4, f);
        var w = Tensor.Normal(new Generator(11), 0f, 0.1f, classes * f).ToArray();
        var bias = Random(classes, 12);
        var classifier = backbone.WithHead(taps, w, bias);
        var x = Random(2 * 3 * 28 * 28, 13);
        var logits = Run(classifier, x, 2, 3, 28, 28);
        // Reference: the stages' values, each bin averaged in float64 (rows floor(i h / 2) to ceil((i + 1) h / 2)), times W, plus b.
        var maps = OnnxModule.FromModel(backbone.Model.Slice(null, [.. taps.Select(t => t.Value)]));
        maps.Eval();
        IReadOnlyList<Tensor> values;
        using var scope = TensorScope.Begin();
        using (Autograd.NoGrad())
            values = maps.Run(new Dictionary<string, OnnxTensor> { [OnnxBackbone.InputName] = OnnxTensor.FromFloats(OnnxBackbone.InputName, [2, 3, 28, 28], x) });
        for (int b = 0; b < 2; b++)
        {
            var features = new List<double>();
            for (int t = 0; t < taps.Count; t++)
            {
                var v = values[t].ToArray();
                int c = taps[t].Channels, h = taps[t].Height, wd = taps[t].Width;
                for (int ch = 0; ch < c; ch++)
                    for (int i = 0; i < 2; i++)
                        for (int j = 0; j < 2; j++)
                        {
                            int r0 = i * h / 2, r1 = ((i + 1) * h + 1) / 2, q0 = j * wd / 2, q1 = ((j + 1) * wd + 1) / 2;
                            double s = 0;
                            for (int r = r0; r < r1; r++)
                                for (int q = q0; q < q1; q++) s += v[((b * c + ch) * h + r) * wd + q];
                            features.Add(s / ((r1 - r0) * (q1 - q0)));
                        }
            }
            for (int k = 0; k < classes; k++)
            {
                double expected = bias[k];
                for (int j = 0; j < f; j++) expected += w[k * f + j] * features[j];
                Assert.True(Math.Abs(logits[b * classes + k] - expected) <= 1e-4 * Math.Max(1, Math.Abs(expected)), $"image {b}, class {k}: {logits[b * classes + k]}, reference {expected}");
            }
        }
        var e = Assert.Throws<ArgumentException>(() => backbone.WithHead(taps, w[1..], bias));
        Assert.Contains($"[classes, {f}]", e.Message);
    }

    [Fact]
    public void TheAdapterRefusesWhatItCannotFit()
    {
        var net = s_network.Value;
        Assert.Contains("1 (repeated)", Assert.Throws<ArgumentException>(() => OnnxBackbone.Create(net, null, (2, 28, 28))).Message);
        Assert.Contains("fill", Assert.Throws<ArgumentException>(() => OnnxBackbone.Create(net, null, (1, 28, 28), fill: 0f)).Message);
        Assert.Contains("pixel scale", Assert.Throws<ArgumentException>(() => OnnxBackbone.Create(net, null, (1, 28, 28), pixelScale: float.NaN)).Message);
        var dynamic = OnnxExport.ToModel(ModelZoo.Create(new ModelSpec("lenet5", 10, 1, 28, 28)), (1, 28, 28));
        var g = dynamic.Graph;
        var unsized = new OnnxModel
        {
            IrVersion = dynamic.IrVersion, Opsets = dynamic.Opsets,
            Graph = new OnnxGraph { Nodes = g.Nodes, Initializers = g.Initializers, Inputs = [g.Inputs[0] with { Shape = null }], Outputs = g.Outputs },
        };
        Assert.Contains("fixed C, H and W", Assert.Throws<ArgumentException>(() => OnnxBackbone.Create(unsized, null, (1, 28, 28))).Message);
    }

    private static (ImageDataset Train, ImageDataset Test) Data()
    {
        var train = ClassSelection.Select(Repo.Train, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 20, 5);
        return (train, Repo.Test.Subset([.. Enumerable.Range(0, 300)]));
    }

    [Fact]
    public void AFrozenBackbonesClassifierGivesTheRunsOwnAccuracy()
    {
        var (train, test) = Data();
        var backbone = OnnxBackbone.Create(s_network.Value, null, (1, 28, 28));
        var options = new BackboneRunOptions { Classes = [5, 7, 9], PerClass = 20, Seed = 2, HeadSteps = 60, Flip = true };
        var run = new BackboneRun(options, backbone, train, test);
        var records = run.Run();
        Assert.Equal(10, records.Count);
        double accuracy = records[^1].TestAccuracy!.Value;
        Assert.True(accuracy > 0.6, $"a head on a random ResNet's pooled features separates sandals, sneakers and ankle boots at {accuracy:P1}");
        // The written classifier (standardisation folded into the head) classifies the test images as the run did.
        Assert.Equal(accuracy, Accuracy(run.Classifier!, run.TestSet), 6);
        Assert.Equal(OnnxBackbone.LogitsName, run.Classifier!.Graph.Outputs[0].Name);
        Assert.Equal(3, run.Taps.Count);
    }

    [Fact]
    public void ATrainableLastStageChangesOnlyTheWeightsAfterTheCut()
    {
        var (train, test) = Data();
        var backbone = OnnxBackbone.Create(s_network.Value, null, (1, 28, 28));
        var cut = backbone.Stages[1];
        var options = new BackboneRunOptions { Classes = [5, 7, 9], PerClass = 20, Seed = 2, HeadSteps = 30, TrainFrom = cut.Value, TuneEpochs = 2, TuneLr = 1e-3f, BatchSize = 16 };
        var run = new BackboneRun(options, backbone, train, test);
        Assert.Equal(backbone.Stages.Skip(1).Take(2), run.Taps);
        var records = run.Run();
        Assert.Equal(10 + 2, records.Count);
        Assert.Equal(accuracy(records), Accuracy(run.Classifier!, run.TestSet), 6);
        var before = s_network.Value.Graph.Initializers.ToDictionary(t => t.Name, t => t.ToFloats());
        var after = backbone.Model.Slice([cut.Value], [backbone.Model.Graph.Outputs[0].Name]).Graph.Initializers.Select(t => t.Name).ToHashSet();
        int changed = 0;
        foreach (var t in run.Classifier!.Graph.Initializers.Where(t => before.ContainsKey(t.Name)))
        {
            bool same = before[t.Name].SequenceEqual(t.ToFloats());
            if (!after.Contains(t.Name)) Assert.True(same, $"{t.Name}, before the cut, changed");
            else if (!same) changed++;
        }
        Assert.True(changed > 0, "no weight after the cut changed");
        static double accuracy(IReadOnlyList<Striate.Training.EpochRecord> r) => r[^1].TestAccuracy!.Value;

        var refused = Assert.Throws<ArgumentException>(() => new BackboneRun(new BackboneRunOptions { Classes = [5, 7], TrainFrom = cut.Value, Stages = 3 }, backbone, train, test));
        Assert.Contains("only stages computed after the cut", refused.Message);
        Assert.Contains("is not a stage", Assert.Throws<ArgumentException>(() => new BackboneRun(new BackboneRunOptions { Classes = [5, 7], TrainFrom = "nowhere" }, backbone, train, test)).Message);
    }

    private static double Accuracy(OnnxModel classifier, ImageDataset set)
    {
        var pixels = new float[set.Count * set.ImageSize];
        for (int i = 0; i < set.Count; i++) set.Image(i).CopyTo(pixels.AsSpan(i * set.ImageSize));
        var logits = Run(classifier, pixels, set.Count, set.Channels, set.Height, set.Width);
        int classes = logits.Length / set.Count, correct = 0;
        for (int i = 0; i < set.Count; i++)
        {
            int best = 0;
            for (int k = 1; k < classes; k++)
                if (logits[i * classes + k] > logits[i * classes + best]) best = k;
            if (best == set.Labels[i]) correct++;
        }
        return (double)correct / set.Count;
    }
}
