using Striate.Nn;
using Striate.Onnx;
using Striate.Ops;
using Striate.Tensors;
using Striate.Tests.Support;

namespace Striate.Tests.Onnx;

/// <summary>
/// ONNX's LSTM and GRU nodes against Striate's layers holding the same weights: both directions, batch-first layout,
/// sequence lengths and initial states (ONNX's own tests cover one direction each); and what the importer refuses.
/// </summary>
public class OnnxRecurrentImportTests
{
    // PyTorch's gate blocks (LSTM i, f, g, o; GRU r, z, n) in ONNX's order (LSTM i, o, f, c; GRU z, r, h).
    private static float[] ToOnnxOrder(Tensor t, int[] order, int hidden)
    {
        var v = t.ToArray();
        int block = hidden * (t.Numel / (order.Length * hidden));
        return [.. order.SelectMany(g => v.Skip(g * block).Take(block))];
    }

    private static OnnxModel Model(string op, RecurrentNetwork net, int steps, int batch, bool withLengths, long layout, params OnnxAttribute[] extra)
    {
        int h = net.HiddenSize, input = net.InputSize;
        int[] order = op == "LSTM" ? [0, 3, 1, 2] : [1, 0, 2];
        int gates = order.Length;
        var w = new List<float>();
        var r = new List<float>();
        var b = new List<float>();
        for (int d = 0; d < 2; d++)
        {
            var ws = net.Weights(0, d);
            w.AddRange(ToOnnxOrder(ws.WeightIh, order, h));
            r.AddRange(ToOnnxOrder(ws.WeightHh, order, h));
            b.AddRange(ToOnnxOrder(ws.BiasIh!, order, h));
            b.AddRange(ToOnnxOrder(ws.BiasHh!, order, h));
        }
        var inits = new List<OnnxTensor>
        {
            OnnxTensor.FromFloats("W", [2, gates * h, input], [.. w]),
            OnnxTensor.FromFloats("R", [2, gates * h, h], [.. r]),
            OnnxTensor.FromFloats("B", [2, 2 * gates * h], [.. b]),
        };
        string[] inputs = op == "LSTM" ? ["X", "W", "R", "B", withLengths ? "L" : "", "H0", "C0"] : ["X", "W", "R", "B", withLengths ? "L" : "", "H0"];
        var graphInputs = new List<OnnxValueInfo> { new("X", OnnxDataType.Float, null), new("H0", OnnxDataType.Float, null) };
        if (op == "LSTM") graphInputs.Add(new("C0", OnnxDataType.Float, null));
        if (withLengths) graphInputs.Add(new("L", OnnxDataType.Int32, null));
        return new OnnxModel
        {
            IrVersion = 7, Opsets = new Dictionary<string, long> { [""] = 14 },
            Graph = new OnnxGraph
            {
                Nodes = [new OnnxNode
                {
                    OpType = op, Inputs = inputs, Outputs = op == "LSTM" ? ["Y", "Y_h", "Y_c"] : ["Y", "Y_h"],
                    Attributes = [OnnxAttribute.Int("hidden_size", h), OnnxAttribute.Text("direction", "bidirectional"), OnnxAttribute.Int("layout", layout),
                        .. op == "GRU" ? [OnnxAttribute.Int("linear_before_reset", 1)] : Array.Empty<OnnxAttribute>(), .. extra],
                }],
                Initializers = inits,
                Inputs = graphInputs,
                Outputs = op == "LSTM" ? [new("Y", OnnxDataType.Float, null), new("Y_h", OnnxDataType.Float, null), new("Y_c", OnnxDataType.Float, null)]
                    : [new("Y", OnnxDataType.Float, null), new("Y_h", OnnxDataType.Float, null)],
            },
        };
    }

    [Theory]
    [InlineData("LSTM", 0L)]
    [InlineData("LSTM", 1L)]
    [InlineData("GRU", 0L)]
    [InlineData("GRU", 1L)]
    public void ABidirectionalNodeWithLengthsIsTheLayer(string op, long layout)
    {
        int steps = 4, batch = 3, input = 3, hidden = 5;
        bool lstm = op == "LSTM";
        RecurrentNetwork net = lstm ? new LSTM(input, hidden, bidirectional: true, generator: new Generator(1)) : new GRU(input, hidden, bidirectional: true, generator: new Generator(1));
        var x = Tensor.Uniform(new Generator(2), -1f, 1f, steps, batch, input);
        var h0 = Tensor.Uniform(new Generator(3), -1f, 1f, 2, batch, hidden);
        var c0 = Tensor.Uniform(new Generator(4), -1f, 1f, 2, batch, hidden);
        int[] lengths = [2, 4, 3];
        var want = net.Run(x, h0, lstm ? c0 : null, lengths);

        var module = OnnxModule.FromModel(Model(op, net, steps, batch, withLengths: true, layout));
        Tensor Layout(Tensor t) => layout == 1 ? F.Transpose(t, 0, 1) : t;
        var feeds = new Dictionary<string, OnnxTensor>
        {
            ["X"] = OnnxTensor.FromFloats("X", [.. Layout(x).Shape.ToArray().Select(d => (long)d)], Layout(x).ToArray()),
            ["H0"] = OnnxTensor.FromFloats("H0", [.. Layout(h0).Shape.ToArray().Select(d => (long)d)], Layout(h0).ToArray()),
            ["L"] = new OnnxTensor("L", OnnxDataType.Int32, [batch], [.. lengths.SelectMany(BitConverter.GetBytes)]),
        };
        if (lstm) feeds["C0"] = OnnxTensor.FromFloats("C0", [.. Layout(c0).Shape.ToArray().Select(d => (long)d)], Layout(c0).ToArray());
        var got = module.Run(feeds);
        // ONNX's Y is [seq, directions, batch, H] ([batch, seq, directions, H] in layout 1); the layer's [seq, batch, 2H].
        var y = layout == 1 ? F.Permute(got[0], 1, 2, 0, 3) : got[0];
        var asLayer = F.Reshape(F.Permute(y, 0, 2, 1, 3), steps, batch, 2 * hidden);
        Check.Close(want.Output.ToArray(), asLayer.Data, 1e-6, 1e-6, $"{op} Y");
        Check.Close(want.Hidden.ToArray(), Layout(got[1]).Data, 1e-6, 1e-6, $"{op} Y_h");
        if (lstm) Check.Close(want.Cell!.ToArray(), Layout(got[2]).Data, 1e-6, 1e-6, $"{op} Y_c");
    }

    [Fact]
    public void SettingsStriateLacksAreRefusedNamingTheNode()
    {
        var net = new LSTM(3, 4, bidirectional: true);
        Assert.Contains("clip is not supported", Assert.Throws<NotSupportedException>(() => Run(Model("LSTM", net, 2, 1, false, 0, OnnxAttribute.Float("clip", 1f)))).Message);
        Assert.Contains("activation 'Relu' in place of Sigmoid", Assert.Throws<NotSupportedException>(() => Run(Model("LSTM", net, 2, 1, false, 0,
            new OnnxAttribute { Name = "activations", Type = OnnxAttributeType.Strings, Strings = ["Relu", "Tanh", "Tanh"] }))).Message);
        Assert.Contains("input_forget", Assert.Throws<NotSupportedException>(() => Run(Model("LSTM", net, 2, 1, false, 0, OnnxAttribute.Int("input_forget", 1)))).Message);
        var e = Assert.Throws<InvalidDataException>(() => Run(Model("LSTM", new LSTM(3, 4, bidirectional: true), 2, 1, false, 0), inputSize: 5));
        Assert.Contains("W must be [2, 16, 5]", e.Message);
    }

    private static void Run(OnnxModel model, int inputSize = 3)
    {
        var module = OnnxModule.FromModel(model);
        var feeds = new Dictionary<string, OnnxTensor>
        {
            ["X"] = OnnxTensor.FromFloats("X", [2, 1, inputSize], new float[2 * inputSize]),
            ["H0"] = OnnxTensor.FromFloats("H0", [2, 1, 4], new float[8]),
            ["C0"] = OnnxTensor.FromFloats("C0", [2, 1, 4], new float[8]),
        };
        module.Run(feeds);
    }
}
