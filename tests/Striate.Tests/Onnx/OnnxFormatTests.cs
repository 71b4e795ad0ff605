using Striate.Cli;
using Striate.Models;
using Striate.Onnx;
using Striate.Tensors;
using Striate.Tests.Support;

namespace Striate.Tests.Onnx;

/// <summary>The hand-written protobuf codec and the exporter's output, checked at the level of fields and bytes.</summary>
[Collection(nameof(SerialCollection))]
public class OnnxFormatTests
{
    private static byte[] Bytes(Action<ProtoWriter> write)
    {
        var w = new ProtoWriter();
        write(w);
        return w.ToArray();
    }

    [Fact]
    public void AnExportedLeNetHasTheFormTheOnnxToolsWrite()
    {
        var spec = new ModelSpec("lenet5", 10, 1, 28, 28);
        var model = ModelZoo.Create(spec, new Generator(1));
        var onnx = OnnxExport.ToModel(model, (1, 28, 28), metadata: new Dictionary<string, string> { ["striate.class_names"] = "[\"a\"]" });
        var back = OnnxModel.Parse(onnx.ToBytes(), "lenet5.onnx");
        Assert.Equal(8, back.IrVersion);
        Assert.Equal(17, back.Opset);
        Assert.Equal("Striate", back.ProducerName);
        Assert.Equal("[\"a\"]", back.Metadata["striate.class_names"]);
        // Initializers are the state-dict keys, with the weights' values.
        var keys = model.StateDict().Select(kv => kv.Key).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(keys, back.Graph.Initializers.Select(t => t.Name).Order(StringComparer.Ordinal).ToArray());
        var conv1 = back.Graph.Initializers.Single(t => t.Name == "conv1.weight");
        Assert.Equal([6L, 1, 5, 5], conv1.Dims);
        Assert.Equal(model.StateDict().Single(kv => kv.Key == "conv1.weight").Value.ToArray(), conv1.ToFloats());
        // A free batch dimension in, ten logits out.
        Assert.Equal([new OnnxDim(null, "batch"), new(1, null), new(28, null), new(28, null)], back.Graph.Inputs.Single().Shape!);
        Assert.Equal([new OnnxDim(null, "batch"), new(10, null)], back.Graph.Outputs.Single().Shape!);
        Assert.Equal(["Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm"],
            back.Graph.Nodes.Select(n => n.OpType).ToArray());
        var conv = back.Graph.Nodes[0];
        Assert.Equal(OnnxAttributeType.Ints, conv.Attribute("pads")!.Type);
        Assert.Equal([2L, 2, 2, 2], conv.Attribute("pads")!.Ints);
        Assert.Equal(1, back.Graph.Nodes.Count(n => n.Outputs.Contains(back.Graph.Outputs[0].Name)));
    }

    [Fact]
    public void RepeatedAttributeValuesAreWrittenUnpackedWithTheirTypeAndNegativesAsTenBytes()
    {
        byte[] b = Bytes(w => w.Message(5, a => { a.String(1, "pads"); a.Int(8, -1); a.Int(8, 2); a.Int(20, 7); }));
        var node = new OnnxNode { OpType = "Pad", Inputs = ["x"], Outputs = ["y"], Attributes = [OnnxAttribute.IntList("pads", -1, 2)] };
        var model = new OnnxModel
        {
            IrVersion = 8,
            Opsets = new Dictionary<string, long> { [""] = 17 },
            Graph = new OnnxGraph { Nodes = [node], Inputs = [], Outputs = [] },
        };
        byte[] all = model.ToBytes();
        Assert.True(all.AsSpan().IndexOf(b.AsSpan(2)) >= 0, "the attribute, unpacked and typed, is in the file");
        // -1 as a varint: nine bytes 0xFF then 0x01.
        Assert.True(all.AsSpan().IndexOf((ReadOnlySpan<byte>)[0x40, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]) >= 0);
        var back = OnnxModel.Parse(all, "pad.onnx");
        Assert.Equal([-1L, 2], back.Graph.Nodes[0].Attribute("pads")!.Ints);
    }

    private static OnnxModel WithNode(Action<ProtoWriter> node, Action<ProtoWriter>? initializer = null) =>
        OnnxModel.Parse(Bytes(m =>
        {
            m.Int(1, 7);
            m.Message(7, g =>
            {
                g.Message(1, node);
                if (initializer is not null) g.Message(5, initializer);
            });
            m.Message(8, o => o.Int(2, 13));
        }), "made.onnx");

    [Fact]
    public void TheReaderTakesPackedAndUnpackedRepeatedFieldsAndTypedTensorData()
    {
        // ints packed (wire type 2), floats packed, an IR-1 attribute without its type.
        var packedInts = Bytes(p => { p.Varint(3); p.Varint(ulong.MaxValue); p.Varint(5); });
        var model = WithNode(n =>
        {
            n.String(1, "x"); n.String(2, "y"); n.String(4, "Op");
            n.Message(5, a => { a.String(1, "ints"); a.Bytes(8, packedInts); });
            n.Message(5, a => { a.String(1, "floats"); a.Float(7, 1.5f); a.Float(7, -2f); });
        },
        t =>
        {
            t.Int(1, 2); t.Int(1, 2); t.Int(2, 1); t.String(8, "w");
            t.Float(4, 1); t.Float(4, 2); t.Float(4, 3); t.Float(4, 4);
        });
        var node = model.Graph.Nodes[0];
        Assert.Equal([3L, -1, 5], node.Attribute("ints")!.Ints);
        Assert.Equal(OnnxAttributeType.Ints, node.Attribute("ints")!.Type);
        Assert.Equal([1.5f, -2f], node.Attribute("floats")!.Floats);
        Assert.Equal([1f, 2, 3, 4], model.Graph.Initializers[0].ToFloats());
        Assert.Equal(13, model.Opset);

        // int64_data, packed; int32_data holding int32 elements.
        model = WithNode(n => { n.String(4, "Op"); }, t => { t.Int(1, 3); t.Int(2, 7); t.Bytes(7, Bytes(p => { p.Varint(1); p.Varint(unchecked((ulong)-2L)); p.Varint(3); })); });
        Assert.Equal([1L, -2, 3], model.Graph.Initializers[0].ToInt64s());
        model = WithNode(n => { n.String(4, "Op"); }, t => { t.Int(1, 2); t.Int(2, 6); t.Int(5, 7); t.Int(5, -8); });
        Assert.Equal([7, -8], System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(model.Graph.Initializers[0].Data).ToArray());
    }

    [Theory]
    [InlineData("truncated", "declares")]
    [InlineData("graph-as-varint", "field 7 (graph) has wire type 0: expected 2")]
    [InlineData("short-raw", "need 16 bytes; raw_data holds 12")]
    [InlineData("few-floats", "need 4 values; the tensor holds 3")]
    [InlineData("overflow", "overflow")]
    [InlineData("external", "stored outside the model file (external data)")]
    [InlineData("no-graph", "has no graph (field 7)")]
    [InlineData("no-op", "the node has no op_type")]
    [InlineData("wire-7", "wire type 7")]
    [InlineData("long-varint", "overflows 64 bits")]
    public void BadFilesAreInvalidDataNamingTheField(string kind, string message)
    {
        var good = OnnxExport.ToModel(ModelZoo.Create(new ModelSpec("lenet5", 10, 1, 28, 28), new Generator(1)), (1, 28, 28)).ToBytes();
        byte[] bytes = kind switch
        {
            "truncated" => good[..(good.Length / 2)],
            "graph-as-varint" => Bytes(m => { m.Int(1, 8); m.Int(7, 5); }),
            "short-raw" => Bytes(m => m.Message(7, g => g.Message(5, t => { t.Int(1, 4); t.Int(2, 1); t.Bytes(9, new byte[12]); }))),
            "few-floats" => Bytes(m => m.Message(7, g => g.Message(5, t => { t.Int(1, 4); t.Int(2, 1); t.Float(4, 1); t.Float(4, 1); t.Float(4, 1); }))),
            "overflow" => Bytes(m => m.Message(7, g => g.Message(5, t => { t.Int(1, long.MaxValue / 2); t.Int(1, 4); t.Int(2, 1); }))),
            "external" => Bytes(m => m.Message(7, g => g.Message(5, t => { t.Int(1, 4); t.Int(2, 1); t.String(8, "w"); t.Int(14, 1); }))),
            "no-graph" => Bytes(m => m.Int(1, 8)),
            "no-op" => Bytes(m => m.Message(7, g => g.Message(1, n => n.String(1, "x")))),
            "wire-7" => [0x0F, 0x00],
            "long-varint" => [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
            _ => throw new ArgumentException(kind),
        };
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => OnnxModel.Parse(bytes, "bad.onnx"));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4L * bytes.Length + (1 << 20), "allocation bounded by the file");
        Assert.StartsWith("ONNX model 'bad.onnx'", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void StriateExportWritesOnnxWithTheClassNamesAndNormalisation()
    {
        string dir = Repo.TempDir(), path = Path.Combine(dir, "lenet5.onnx");
        var (code, output, err) = CliRun.Run(["export", "--model", Visualization.TrainedLeNet.Model, "-o", path]);
        Assert.True(code == 0, err);
        Assert.Contains("ONNX opset 17, input [batch, 1, 28, 28]", output);
        var model = OnnxModel.Load(path);
        Assert.Contains("\"T-shirt/top\"", model.Metadata["striate.class_names"]);
        Assert.StartsWith("{\"mean\":[0.", model.Metadata["striate.normalization"]);
        Assert.Equal("lenet5", model.Metadata["striate.architecture"]);
        (code, _, err) = CliRun.Run(["export", "--model", Visualization.TrainedLeNet.Model, "-o", path, "--opset", "12"]);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--opset must be from 13 to 21", err);
        (code, _, err) = CliRun.Run(["export", "--model", Visualization.TrainedLeNet.Model, "-o", path, "--weights-only"]);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("an .onnx file always holds the weights alone", err);
        (code, _, err) = CliRun.Run(["export", "--model", Visualization.TrainedLeNet.Model, "-o", Path.Combine(dir, "w.safetensors"), "--opset", "17"]);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--opset applies to ONNX export", err);
    }

    [Fact]
    public void AModuleWithoutAnOnnxFormIsNamed()
    {
        var model = new Striate.Nn.Sequential(new Striate.Nn.Conv2d(1, 2, 3), new Squash());
        var e = Assert.Throws<NotSupportedException>(() => OnnxExport.ToModel(model, (1, 8, 8)));
        Assert.Contains("module '1' of type Squash has no ONNX form", e.Message);
    }

    // A layer of one's own computing something no ONNX form is known for.
    private sealed class Squash : Striate.Nn.Module
    {
        protected override Tensor OnForward(Tensor input) => Striate.Ops.F.MulScalar(Striate.Ops.F.Sigmoid(input), 2);
    }
}
