using Striate.Models;
using Striate.Nn;
using Striate.Onnx;
using Striate.Optim;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Tests.Onnx;

/// <summary>An exported model read back as a module: the same outputs, the same state-dict keys, and it trains.</summary>
public class OnnxImportTests
{
    private static OnnxModule RoundTrip(Module model, (int C, int H, int W) input) =>
        OnnxModule.FromModel(OnnxModel.Parse(OnnxExport.ToModel(model, input).ToBytes(), "exported.onnx"), "exported.onnx");

    [Theory]
    [InlineData("lenet5", 1, 28, 28)]
    [InlineData("resnet8-small", 3, 32, 32)]
    [InlineData("resnet18-small", 3, 32, 32)]
    [InlineData("resnet50", 3, 64, 64)]
    [InlineData("mobilenet-v1-0.25", 3, 64, 64)]
    [InlineData("nin", 3, 32, 32)]
    [InlineData("googlenet", 3, 96, 96)]
    [InlineData("densenet121", 3, 32, 32)]
    public void AnExportedZooModelRunsTheSameWhenImported(string name, int c, int h, int w)
    {
        var model = ModelZoo.Create(new ModelSpec(name, 10, c, h, w), new Generator(5));
        model.Eval();
        var imported = RoundTrip(model, (c, h, w));
        imported.Eval();
        // The weights the evaluation pass uses, under the model's own state-dict keys and with its values (a batch
        // norm's batch counter and GoogLeNet's training-only auxiliary heads are not part of the graph).
        var original = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        var keys = imported.StateDict().Select(kv => kv.Key).ToList();
        Assert.True(keys.Count >= original.Keys.Count(k => k.EndsWith("weight", StringComparison.Ordinal) && !k.StartsWith("aux", StringComparison.Ordinal)), $"{keys.Count} keys");
        foreach (var (key, t) in imported.StateDict()) Assert.Equal(original[key].ToArray(), t.ToArray());
        var x = Tensor.Randn(new Generator(9), 2, c, h, w);
        float[] a, b;
        using (TensorScope.Begin())
        using (Autograd.NoGrad())
        {
            a = model.Forward(x).ToArray();
            b = imported.Forward(x).ToArray();
        }
        float scale = a.Max(MathF.Abs);
        for (int i = 0; i < a.Length; i++) Assert.True(MathF.Abs(a[i] - b[i]) <= 1e-5f * MathF.Max(scale, 1e-3f), $"{name}: logit {i}: {a[i]} against {b[i]}");
        // In an inference session (convolutions folded with their batch norms, as for the native model) too.
        float[] s;
        using (TensorScope.Begin())
            s = new InferenceSession(imported).Run(x).ToArray();
        for (int i = 0; i < a.Length; i++) Assert.True(MathF.Abs(a[i] - s[i]) <= 1e-4f * MathF.Max(scale, 1e-3f), $"{name} in a session: logit {i}: {a[i]} against {s[i]}");
    }

    [Fact]
    public void AnImportedModelTrainsLikeTheModelItCameFrom()
    {
        var model = ModelZoo.Create(new ModelSpec("lenet5", 10, 1, 28, 28), new Generator(5));
        var imported = RoundTrip(model, (1, 28, 28));
        Assert.Equal(model.Parameters().Count(), imported.Parameters().Count());
        var x = Tensor.Randn(new Generator(1), 16, 1, 28, 28);
        var labels = Enumerable.Range(0, 16).Select(i => i % 10).ToArray();
        List<float> Train(Module m)
        {
            m.Train();
            var opt = new Sgd(m.Parameters(), 0.1f, momentum: 0.9f);
            var losses = new List<float>();
            for (int step = 0; step < 15; step++)
            {
                using var scope = TensorScope.Begin();
                var loss = F.CrossEntropy(m.Forward(x), labels);
                losses.Add(loss.Item());
                opt.ZeroGrad();
                loss.Backward();
                opt.Step();
            }
            return losses;
        }
        var native = Train(model);
        var onnx = Train(imported);
        for (int i = 0; i < native.Count; i++) Assert.Equal(native[i], onnx[i], 1e-4f);
        Assert.True(onnx[^1] < onnx[0] * 0.9f, $"loss {onnx[0]} -> {onnx[^1]}");
        // A session built on the imported model sees the trained weights (its layers hold the same tensors).
        model.Eval();
        imported.Eval();
        using (TensorScope.Begin())
        {
            var nativeServed = new InferenceSession(model).Run(x).ToArray();
            var importedServed = new InferenceSession(imported).Run(x).ToArray();
            for (int i = 0; i < nativeServed.Length; i++) Assert.Equal(nativeServed[i], importedServed[i], 1e-3f);
        }
        // The initializers themselves were trained.
        Assert.Equal(model.StateDict().Single(kv => kv.Key == "fc3.weight").Value.ToArray(), imported.StateDict().Single(kv => kv.Key == "fc3.weight").Value.ToArray(), new ToleranceComparer(1e-4f));
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => MathF.Abs(a - b) <= tolerance;
        public int GetHashCode(float v) => 0;
    }

    private static OnnxModel Graph(long opset, params OnnxNode[] nodes) => new()
    {
        IrVersion = 8,
        Opsets = new Dictionary<string, long> { [""] = opset },
        Graph = new OnnxGraph
        {
            Nodes = nodes,
            Inputs = [new OnnxValueInfo("x", OnnxDataType.Float, null)],
            Outputs = [new OnnxValueInfo(nodes[^1].Outputs[0], OnnxDataType.Float, null)],
        },
    };

    private static OnnxNode N(string op, string[] inputs, string output, string domain = "", params OnnxAttribute[] attributes) =>
        new() { OpType = op, Domain = domain, Inputs = inputs, Outputs = [output], Name = output + "_node", Attributes = attributes };

    [Fact]
    public void SoftmaxFollowsTheModelsOpset()
    {
        // [1, 2, 2]: before opset 13 softmax flattens from axis 1 (all four values); from 13 it is one axis (the last).
        var x = Tensor.FromArray([1, 2, 3, 4], 1, 2, 2);
        var old = OnnxModule.FromModel(Graph(11, N("Softmax", ["x"], "y"))).Forward(x).ToArray();
        var now = OnnxModule.FromModel(Graph(13, N("Softmax", ["x"], "y"))).Forward(x).ToArray();
        Assert.Equal(1f, old.Sum(), 1e-6f);
        Assert.Equal(2f, now.Sum(), 1e-6f);
    }

    [Theory]
    [InlineData(8, 3, 2, 1, 0)] // a 3x3 / 2 pooling of an even size, as exporters write it: the end pad is never reached
    [InlineData(7, 3, 2, 0, 1)] // a ceil-mode pooling written as an end pad
    [InlineData(9, 2, 2, 0, 1)]
    [InlineData(6, 3, 1, 2, 0)] // a large uneven pad, which stays explicit
    public void UnevenPoolingPadsGiveTheExplicitlyPaddedWindows(int size, int k, int stride, int begin, int end)
    {
        var x = Tensor.Uniform(new Generator(7), -1, 1, 1, 2, size, size);
        var attributes = new[] { OnnxAttribute.IntList("kernel_shape", k, k), OnnxAttribute.IntList("strides", stride, stride), OnnxAttribute.IntList("pads", begin, begin, end, end) };
        var max = OnnxModule.FromModel(Graph(13, N("MaxPool", ["x"], "y", "", attributes))).Forward(x).ToArray();
        var average = OnnxModule.FromModel(Graph(13, N("AveragePool", ["x"], "y", "", [.. attributes, OnnxAttribute.Int("count_include_pad", 1)]))).Forward(x).ToArray();
        Assert.Equal(F.MaxPool2d(F.Pad(x, [begin, end, begin, end], PadMode.Constant, float.MinValue), (k, k), (stride, stride)).ToArray(), max);
        Assert.Equal(F.AvgPool2d(F.Pad(x, [begin, end, begin, end]), (k, k), (stride, stride), countIncludePad: true).ToArray(), average);
    }

    [Fact]
    public void GraphsThatCannotRunAreRefusedBeforeRunningNamingTheNode()
    {
        var e = Assert.Throws<NotSupportedException>(() => OnnxModule.FromModel(Graph(17, N("Relu", ["x"], "a"), N("Einsum", ["a"], "y"))));
        Assert.Contains("node 1 ('y_node', Einsum): operator 'Einsum' (opset 17) is not supported", e.Message);
        e = Assert.Throws<NotSupportedException>(() => OnnxModule.FromModel(Graph(17, N("Relu", ["x"], "y", domain: "com.example"))));
        Assert.Contains("of domain 'com.example' is not supported", e.Message);
        var d = Assert.Throws<InvalidDataException>(() => OnnxModule.FromModel(Graph(17, N("Relu", ["z"], "a"), N("Relu", ["a"], "z"))));
        Assert.Contains("input 'z' is produced by no earlier node, initializer or graph input", d.Message);
        d = Assert.Throws<InvalidDataException>(() => OnnxModule.FromModel(Graph(17, N("Relu", ["x"], "a"), N("Relu", ["x"], "a"))));
        Assert.Contains("output 'a' is produced twice", d.Message);
        e = Assert.Throws<NotSupportedException>(() => OnnxModule.FromModel(Graph(4, N("Reshape", ["x"], "y")), "old.onnx"));
        Assert.Contains("operator 'Reshape' exists from opset 5; the model imports opset 4", e.Message);
        // Initializers that cannot be state-dict keys: no name, twice the same, a name that is also another's prefix.
        OnnxModel WithWeights(params string[] names) => new()
        {
            IrVersion = 8,
            Opsets = new Dictionary<string, long> { [""] = 17 },
            Graph = new OnnxGraph
            {
                Nodes = [N("Relu", ["x"], "y")],
                Initializers = [.. names.Select(n => OnnxTensor.FromFloats(n, [1], [1f]))],
                Inputs = [new OnnxValueInfo("x", OnnxDataType.Float, null)],
                Outputs = [new OnnxValueInfo("y", OnnxDataType.Float, null)],
            },
        };
        Assert.Contains("an initializer has no name", Assert.Throws<InvalidDataException>(() => OnnxModule.FromModel(WithWeights(""))).Message);
        Assert.Contains("initializer 'w' appears twice", Assert.Throws<InvalidDataException>(() => OnnxModule.FromModel(WithWeights("w", "w"))).Message);
        // A relu that gives no output, alone reading a convolution's: no fused layer is planned around it.
        var dangling = new OnnxModel
        {
            IrVersion = 8,
            Opsets = new Dictionary<string, long> { [""] = 17 },
            Graph = new OnnxGraph
            {
                Nodes = [N("Conv", ["x", "w"], "c"), new OnnxNode { OpType = "Relu", Inputs = ["c"], Outputs = [] }, N("Identity", ["x"], "y")],
                Initializers = [OnnxTensor.FromFloats("w", [1, 1, 1, 1], [2f])],
                Inputs = [new OnnxValueInfo("x", OnnxDataType.Float, null)],
                Outputs = [new OnnxValueInfo("y", OnnxDataType.Float, null)],
            },
        };
        Assert.Equal(new[] { 3f }, OnnxModule.FromModel(dangling).Forward(Tensor.Full([1, 1, 1, 1], 3f)).ToArray());
        Assert.Contains("initializer 'conv.weight' cannot be a state-dict key", Assert.Throws<InvalidDataException>(() => OnnxModule.FromModel(WithWeights("conv", "conv.weight"))).Message);
    }
}
