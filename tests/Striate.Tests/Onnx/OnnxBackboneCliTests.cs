using System.Text.Json;
using Striate.Models;
using Striate.Onnx;
using Striate.Tensors;
using Striate.Tests.Support;

namespace Striate.Tests.Onnx;

/// <summary>striate finetune --from a network Striate did not write: the backbone path, what it writes, and what it refuses.</summary>
[Collection(nameof(SerialCollection))]
public class OnnxBackboneCliTests
{
    // A three-channel 28x28 ResNet exported without Striate's metadata: to the verbs, a network from elsewhere.
    private static readonly Lazy<string> s_network = new(() =>
    {
        string path = Path.Combine(Repo.TempDir(), "network.onnx");
        OnnxExport.ToModel(ModelZoo.Create(new ModelSpec("resnet8-small", 10, 3, 28, 28), new Generator(3)), (3, 28, 28)).Save(path);
        return path;
    });

    [Fact]
    public void FinetuneWritesAnOnnxClassifierThatEvaluateTakes()
    {
        string dir = Repo.TempDir(), output = Path.Combine(dir, "sandals.onnx");
        var (code, stdout, err) = CliRun.Run(["finetune", "--from", s_network.Value, "--classes", "5,7,9", "--per-class", "10", "--augment", "flip",
            "--head-steps", "40", "--test-limit", "200", "--data", Repo.FashionMnist, "--out", output, "--json"]);
        Assert.True(code == 0, err);
        Assert.Contains("backbone frozen", err);
        Assert.Contains("30 training images and their flips", err);
        var last = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement;
        double accuracy = last.GetProperty("test_accuracy").GetDouble();
        Assert.True(accuracy > 0.5, $"test accuracy {accuracy}");
        Assert.Equal(3, last.GetProperty("stages").GetArrayLength());

        var model = OnnxModel.Load(output);
        Assert.Equal("5,7,9", model.Metadata["striate.classes"]);
        Assert.Equal("[\"Sandal\",\"Sneaker\",\"Ankle boot\"]", model.Metadata["striate.class_names"]);
        // evaluate reads the classes from the file and tests on all 3,000 of theirs.
        (code, var report, err) = CliRun.Run(["evaluate", "--model", output, "--data", Repo.FashionMnist, "--json"]);
        Assert.True(code == 0, err);
        var doc = JsonDocument.Parse(report).RootElement;
        Assert.Equal(3000, doc.GetProperty("images").GetInt32());
        Assert.True(doc.GetProperty("accuracy").GetDouble() > 0.5, report);
    }

    [Fact]
    public void FinetuneTrainsTheLastStageWhenAsked()
    {
        string output = Path.Combine(Repo.TempDir(), "last.onnx");
        var (code, stdout, err) = CliRun.Run(["finetune", "--from", s_network.Value, "--classes", "5,7,9", "--per-class", "5", "--train-layers", "last",
            "--head-steps", "20", "--epochs", "1", "--test-limit", "100", "--data", Repo.FashionMnist, "--out", output]);
        Assert.True(code == 0, err);
        Assert.Contains("then trained with everything after", stdout);
        Assert.Contains("epoch 1/1", stdout);
        Assert.True(File.Exists(output));
    }

    [Theory]
    [InlineData("--augment standard", "only 'flip'")]
    [InlineData("--out model.safetensors", "ending in .onnx")]
    [InlineData("--train-layers layer4", "takes 'last'")]
    [InlineData("--optimizer sgd", "trains with adam")]
    [InlineData("--layer-lr layer4=0.1", "one rate")]
    [InlineData("--model lenet5", "brings its own network")]
    [InlineData("--stages 9", "1 to 3 stages")]
    [InlineData("--train-layers after:nowhere", "is not a stage")]
    [InlineData("--preprocess missing.onnx", "missing.onnx")]
    [InlineData("--fill 1.5", "--fill")]
    public void FinetuneRefusesWhatABackboneCannotDo(string extra, string expected)
    {
        string dir = Repo.TempDir();
        var args = new List<string> { "finetune", "--from", s_network.Value, "--classes", "5,7", "--data", Repo.FashionMnist };
        foreach (var part in extra.Split(' '))
            args.Add(part.EndsWith(".onnx", StringComparison.Ordinal) || part.EndsWith(".safetensors", StringComparison.Ordinal) ? Path.Combine(dir, part) : part);
        if (!extra.Contains("--out", StringComparison.Ordinal)) args.AddRange(["--out", Path.Combine(dir, "out.onnx")]);
        var (code, _, err) = CliRun.Run([.. args]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void TheBackboneOptionsNeedABackbone()
    {
        var (code, _, err) = CliRun.Run(["finetune", "--classes", "5,7", "--pixel-scale", "255", "--data", Repo.FashionMnist, "--out", Path.Combine(Repo.TempDir(), "x.safetensors")]);
        Assert.Equal(2, code);
        Assert.Contains("--pixel-scale applies to fine-tuning a network from an .onnx file", err);
    }
}
