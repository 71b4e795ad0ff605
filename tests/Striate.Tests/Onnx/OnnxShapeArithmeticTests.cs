using Striate.Models;
using Striate.Onnx;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Tests.Onnx;

/// <summary>
/// The int64 values a graph computes from shapes (exact beyond float32's 2^24), operators whose only conformance
/// tests are in other element types, and Resize's refusals.
/// </summary>
public class OnnxShapeArithmeticTests
{
    private static OnnxModel Graph(long opset, OnnxTensor[] initializers, params OnnxNode[] nodes) => new()
    {
        IrVersion = 8,
        Opsets = new Dictionary<string, long> { [""] = opset },
        Graph = new OnnxGraph
        {
            Nodes = nodes,
            Initializers = initializers,
            Inputs = [new OnnxValueInfo("x", OnnxDataType.Float, null)],
            Outputs = [new OnnxValueInfo(nodes[^1].Outputs[0], OnnxDataType.Float, null)],
        },
    };

    private static OnnxNode N(string op, string[] inputs, string output, params OnnxAttribute[] attributes) =>
        new() { OpType = op, Inputs = inputs, Outputs = [output], Name = output + "_node", Attributes = attributes };

    private static OnnxTensor Ints(string name, params long[] values) => OnnxTensor.FromInt64s(name, [values.Length], values);

    [Fact]
    public void AShapeComputedAtRunTimeIsExactInInt64AndFollowsTheBatch()
    {
        // x.view(x.size(0), -1), with the batch size multiplied and divided by 5,000,000,001 on the way (float32 would
        // lose it), and the graph's own Shape output.
        const long big = 5_000_000_001;
        var model = Graph(13, [Ints("zero", 0), Ints("minus_one", -1), OnnxTensor.FromInt64s("big", [], [big])],
            N("Shape", ["x"], "shape"),
            N("Gather", ["shape", "zero"], "batch"),
            N("Mul", ["batch", "big"], "scaled"),
            N("Div", ["scaled", "big"], "back"),
            N("Concat", ["back", "minus_one"], "target", OnnxAttribute.Int("axis", 0)),
            N("Reshape", ["x", "target"], "y"));
        var module = OnnxModule.FromModel(model);
        foreach (int batch in new[] { 1, 3 })
        {
            var x = Tensor.Uniform(new Generator(2), -1, 1, batch, 2, 3, 4);
            var y = module.Forward(x);
            Assert.Equal(new[] { batch, 24 }, y.Shape.ToArray());
            Assert.Equal(x.ToArray(), y.ToArray());
        }
        var shapeOnly = Graph(15, [], N("Shape", ["x"], "s", OnnxAttribute.Int("start", 1), OnnxAttribute.Int("end", -1)));
        Assert.Equal(new[] { 2f, 3f }, OnnxModule.FromModel(shapeOnly).Forward(Tensor.Zeros(1, 2, 3, 4)).ToArray());
        var divide = Graph(13, [Ints("zero", 0)], N("Shape", ["x"], "s"), N("Sub", ["s", "s"], "z"), N("Div", ["s", "z"], "q"), N("Reshape", ["x", "q"], "y"));
        Assert.Contains("integer division by zero", Assert.Throws<InvalidDataException>(() => OnnxModule.FromModel(divide).Forward(Tensor.Zeros(2, 2))).Message);
    }

    [Fact]
    public void ConstantsOfEveryValueAttributeAreRead()
    {
        var model = Graph(13, [],
            new OnnxNode { OpType = "Constant", Inputs = [], Outputs = ["shape"], Attributes = [OnnxAttribute.IntList("value_ints", 3, 2)] },
            new OnnxNode { OpType = "Constant", Inputs = [], Outputs = ["half"], Attributes = [OnnxAttribute.Float("value_float", 0.5f)] },
            N("Reshape", ["x", "shape"], "r"),
            N("Mul", ["r", "half"], "y"));
        var y = OnnxModule.FromModel(model).Forward(Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3));
        Assert.Equal(new[] { 3, 2 }, y.Shape.ToArray());
        Assert.Equal(new[] { 0.5f, 1, 1.5f, 2, 2.5f, 3 }, y.ToArray());
    }

    [Fact]
    public void LogSumExpAndReduceMaxAgreeWithFloat64AndCarryGradients()
    {
        // ONNX's own ReduceLogSumExp tests are in float64, which Striate does not compute in: checked here instead.
        var x = Tensor.Uniform(new Generator(3), -30, 30, 2, 3, 4);
        x.RequiresGrad = true;
        var lse = OnnxModule.FromModel(Graph(13, [], N("ReduceLogSumExp", ["x"], "y", OnnxAttribute.IntList("axes", 1), OnnxAttribute.Int("keepdims", 0)))).Forward(x);
        Assert.Equal(new[] { 2, 4 }, lse.Shape.ToArray());
        var v = x.ToArray();
        for (int n = 0; n < 2; n++)
            for (int k = 0; k < 4; k++)
            {
                double m = Enumerable.Range(0, 3).Max(c => (double)v[(n * 3 + c) * 4 + k]);
                double want = m + Math.Log(Enumerable.Range(0, 3).Sum(c => Math.Exp(v[(n * 3 + c) * 4 + k] - m)));
                Assert.Equal(want, lse.ToArray()[n * 4 + k], 4);
            }
        // d/dx of Σ logsumexp is the softmax along the axis: each column's gradients sum to one.
        F.Sum(lse).Backward();
        var g = x.Grad!.ToArray();
        for (int n = 0; n < 2; n++)
            for (int k = 0; k < 4; k++)
                Assert.Equal(1.0, Enumerable.Range(0, 3).Sum(c => (double)g[(n * 3 + c) * 4 + k]), 5);
        // ReduceMax: the gradient goes to the maximum.
        var y = Tensor.FromArray([1, 5, 2, 7, 3, 4], 2, 3);
        y.RequiresGrad = true;
        var max = OnnxModule.FromModel(Graph(13, [], N("ReduceMax", ["x"], "m", OnnxAttribute.IntList("axes", -1)))).Forward(y);
        Assert.Equal(new[] { 5f, 7f }, max.ToArray());
        F.Sum(max).Backward();
        Assert.Equal(new[] { 0f, 1, 0, 1, 0, 0 }, y.Grad!.ToArray());
    }

    [Fact]
    public void ResizeRefusesWhatItCannotComputeNamingIt()
    {
        OnnxModule Resize(OnnxTensor[] inits, string[] inputs, params OnnxAttribute[] attributes) => OnnxModule.FromModel(Graph(13, inits, N("Resize", inputs, "y", attributes)));
        var scales = OnnxTensor.FromFloats("scales", [4], [1, 1, 2, 2]);
        var x = Tensor.Zeros(1, 1, 2, 2);
        var both = Resize([scales, Ints("sizes", 1, 1, 4, 4)], ["x", "", "scales", "sizes"]);
        Assert.Contains("both scales and sizes are given", Assert.Throws<InvalidDataException>(() => both.Forward(x)).Message);
        var mode = Resize([scales], ["x", "", "scales"], OnnxAttribute.Text("mode", "area"));
        Assert.Contains("mode 'area'", Assert.Throws<NotSupportedException>(() => mode.Forward(x)).Message);
        var wrong = Resize([OnnxTensor.FromFloats("scales", [2], [2, 2])], ["x", "", "scales"]);
        Assert.Contains("scales has 2 values for 4 axes", Assert.Throws<InvalidDataException>(() => wrong.Forward(x)).Message);
        var transform = Resize([scales], ["x", "", "scales"], OnnxAttribute.Text("coordinate_transformation_mode", "sideways"));
        Assert.Contains("coordinate_transformation_mode 'sideways'", Assert.Throws<NotSupportedException>(() => transform.Forward(x)).Message);
        // Linear upsampling by 2 with half_pixel: the corners stay, the inside interpolates.
        var up = Resize([scales], ["x", "", "scales"], OnnxAttribute.Text("mode", "linear")).Forward(Tensor.FromArray([0, 4, 8, 12], 1, 1, 2, 2)).ToArray();
        Assert.Equal(new[] { 0f, 1, 3, 4, 2, 3, 5, 6, 6, 7, 9, 10, 8, 9, 11, 12 }, up);
    }

    [Theory]
    [InlineData(17)]
    [InlineData(18)]
    public void AnExportedEmbeddingModelImportsWithTheSameEmbeddings(int opset)
    {
        var model = ModelZoo.Create(new ModelSpec("lenet5", 10, 1, 28, 28, EmbeddingDim: 16, L2Normalize: true), new Generator(4));
        model.Eval();
        var imported = OnnxModule.FromModel(OnnxModel.Parse(OnnxExport.ToModel(model, (1, 28, 28), opset).ToBytes(), "embedding.onnx"));
        imported.Eval();
        var x = Tensor.Uniform(new Generator(5), 0, 1, 3, 1, 28, 28);
        float[] a, b;
        using (TensorScope.Begin())
        using (Autograd.NoGrad())
        {
            a = model.Forward(x).ToArray();
            b = imported.Forward(x).ToArray();
        }
        Assert.Equal(48, b.Length);
        for (int i = 0; i < a.Length; i++) Assert.True(MathF.Abs(a[i] - b[i]) <= 1e-5f, $"embedding value {i}: {a[i]} against {b[i]}");
    }
}
