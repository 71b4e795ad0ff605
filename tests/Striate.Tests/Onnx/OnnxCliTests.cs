using System.Text.Json;
using Striate.Cli;
using Striate.Tests.Support;

namespace Striate.Tests.Onnx;

/// <summary>The verbs that take a model take the .onnx file striate export writes, and answer as for its checkpoint.</summary>
[Collection(nameof(SerialCollection))]
public class OnnxCliTests
{
    private static readonly Lazy<string> s_onnx = new(() =>
    {
        string path = Path.Combine(Repo.TempDir(), "lenet5.onnx");
        var (code, _, err) = CliRun.Run(["export", "--model", Visualization.TrainedLeNet.Model, "-o", path]);
        if (code != 0) throw new InvalidOperationException(err);
        return path;
    });

    [Fact]
    public void PredictAndEvaluateGiveTheCheckpointsAnswers()
    {
        string ck = Visualization.TrainedLeNet.Model;
        var (code, fromCheckpoint, err) = CliRun.Run(["predict", "--model", ck, "--data", Repo.FashionMnist, "--index", "0", "--index", "7", "--json"]);
        Assert.True(code == 0, err);
        (code, var fromOnnx, err) = CliRun.Run(["predict", "--model", s_onnx.Value, "--data", Repo.FashionMnist, "--index", "0", "--index", "7", "--json"]);
        Assert.True(code == 0, err);
        Assert.Equal(fromCheckpoint, fromOnnx);
        Assert.Contains("Ankle boot", fromOnnx);

        double Accuracy(string model)
        {
            var (c, o, e) = CliRun.Run(["evaluate", "--model", model, "--data", Repo.FashionMnist, "--json"]);
            Assert.True(c == 0, e);
            return JsonDocument.Parse(o).RootElement.GetProperty("accuracy").GetDouble();
        }
        Assert.Equal(Accuracy(ck), Accuracy(s_onnx.Value));
    }

    [Fact]
    public void SummaryDescribesTheGraph()
    {
        var (code, output, err) = CliRun.Run(["summary", s_onnx.Value]);
        Assert.True(code == 0, err);
        Assert.Contains("ONNX IR 8, opset 17, written by Striate", output);
        Assert.Contains("input   input: batchx1x28x28", output);
        Assert.Contains("Conv x2", output);
        Assert.Contains("Gemm x3", output);
        Assert.Contains("61,706 parameters", output);
        (code, _, err) = CliRun.Run(["summary", s_onnx.Value, "--classes", "3"]);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("is an ONNX file, whose graph fixes both", err);
    }

    [Fact]
    public void FinetuneFromTheOnnxFileTrainsAsFromTheCheckpoint()
    {
        string dir = Repo.TempDir();
        string[] Args(string from, string output) =>
            ["finetune", "--from", from, "--classes", "5,7,9", "--per-class", "30", "--train-layers", "fc3", "--epochs", "1", "--test-limit", "150",
             "--data", Repo.FashionMnist, "--out", Path.Combine(dir, output), "--json"];
        var (code, fromCheckpoint, err) = CliRun.Run(Args(Visualization.TrainedLeNet.Model, "a.safetensors"));
        Assert.True(code == 0, err);
        (code, var fromOnnx, err) = CliRun.Run(Args(s_onnx.Value, "b.safetensors"));
        Assert.True(code == 0, err);
        // The same weights loaded (all but the head), the same training: the same epoch, to the last digit.
        string Epoch(string output)
        {
            var e = JsonDocument.Parse(output.Split('\n')[0]).RootElement;
            return string.Join(" ", new[] { "train_loss", "train_accuracy", "test_loss", "test_accuracy" }.Select(k => $"{k} {e.GetProperty(k).GetDouble():R}"));
        }
        Assert.Equal(Epoch(fromCheckpoint), Epoch(fromOnnx));
        // A graph naming an architecture the zoo lacks is refused; one without Striate's metadata is a backbone, whose
        // classifier is an .onnx graph.
        var module = Striate.Onnx.OnnxModel.Load(s_onnx.Value);
        string unknown = Path.Combine(dir, "unknown.onnx"), foreign = Path.Combine(dir, "foreign.onnx");
        new Striate.Onnx.OnnxModel { IrVersion = module.IrVersion, Opsets = module.Opsets, Graph = module.Graph, Metadata = new Dictionary<string, string> { ["striate.architecture"] = "lenet7" } }.Save(unknown);
        (code, _, err) = CliRun.Run(Args(unknown, "c.safetensors"));
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("does not name a Striate architecture in its metadata ('striate.architecture' is 'lenet7')", err);
        Assert.Contains("without Striate's metadata", err);
        new Striate.Onnx.OnnxModel { IrVersion = module.IrVersion, Opsets = module.Opsets, Graph = module.Graph }.Save(foreign);
        (code, _, err) = CliRun.Run(Args(foreign, "c.safetensors"));
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("is written as an .onnx graph", err);
    }

    [Fact]
    public void AnOnnxFileThatIsNotAClassifierOfImagesIsRefused()
    {
        string dir = Repo.TempDir(), path = Path.Combine(dir, "flat.onnx");
        // A graph of one input [batch, 5] (no image) through Relu.
        new Striate.Onnx.OnnxModel
        {
            IrVersion = 8,
            Opsets = new Dictionary<string, long> { [""] = 17 },
            Graph = new Striate.Onnx.OnnxGraph
            {
                Nodes = [new Striate.Onnx.OnnxNode { OpType = "Relu", Inputs = ["x"], Outputs = ["y"] }],
                Inputs = [new Striate.Onnx.OnnxValueInfo("x", Striate.Onnx.OnnxDataType.Float, [new(null, "batch"), new(5, null)])],
                Outputs = [new Striate.Onnx.OnnxValueInfo("y", Striate.Onnx.OnnxDataType.Float, [new(null, "batch"), new(5, null)])],
            },
        }.Save(path);
        var (code, _, err) = CliRun.Run(["predict", "--model", path, "--index", "0"]);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("the graph's input 'x' is [batch, 5]; the verbs take a model of one image input [batch, C, H, W]", err);
        File.WriteAllBytes(Path.Combine(dir, "junk.onnx"), [0x0F, 0x00]);
        (code, _, err) = CliRun.Run(["evaluate", "--model", Path.Combine(dir, "junk.onnx")]);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("ONNX model", err);
    }
}
