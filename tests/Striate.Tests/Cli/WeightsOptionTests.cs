using System.Text.Json;
using Striate.Models;
using Striate.Tensors;
using Striate.Tests.Support;
using Striate.Training;

namespace Striate.Tests.Cli;

/// <summary>--model NAME --weights FILE: a zoo model with a state dict from elsewhere answers as the checkpoint holding the same weights.</summary>
[Collection(nameof(SerialCollection))]
public class WeightsOptionTests
{
    [Fact]
    public void EvaluatePredictAndSummaryTakeAZooModelWithWeights()
    {
        string dir = Repo.TempDir(), weights = Path.Combine(dir, "lenet5.safetensors"), checkpoint = Path.Combine(dir, "lenet5-ck.safetensors");
        var spec = new ModelSpec("lenet5", 10, 1, 28, 28);
        var model = ModelZoo.Create(spec, new Generator(3));
        model.Save(weights);
        new Checkpoint { Spec = spec, Model = model, Mean = [0f], Std = [1f] }.Save(checkpoint);
        string[] Evaluate(params string[] model) => ["evaluate", .. model, "--data", Repo.FashionMnist, "--json"];
        var (code, fromCheckpoint, err) = CliRun.Run(Evaluate("--model", checkpoint));
        Assert.True(code == 0, err);
        (code, var fromWeights, err) = CliRun.Run(Evaluate("--model", "lenet5", "--weights", weights));
        Assert.True(code == 0, err);
        double Accuracy(string json) => JsonDocument.Parse(json).RootElement.GetProperty("accuracy").GetDouble();
        Assert.Equal(Accuracy(fromCheckpoint), Accuracy(fromWeights));
        (code, var predicted, err) = CliRun.Run(["predict", "--model", "lenet5", "--weights", weights, "--index", "3", "--data", Repo.FashionMnist, "--json"]);
        Assert.True(code == 0, err);
        (code, var predictedCk, err) = CliRun.Run(["predict", "--model", checkpoint, "--index", "3", "--data", Repo.FashionMnist, "--json"]);
        Assert.True(code == 0, err);
        Assert.Equal(predictedCk, predicted);
        (code, var summary, err) = CliRun.Run(["summary", "lenet5", "--weights", weights]);
        Assert.True(code == 0, err);
        Assert.Contains("61,706", summary);
        // finetune starts from them, the head replaced.
        (code, var tuned, err) = CliRun.Run(["finetune", "--model", "lenet5", "--weights", weights, "--classes", "5-7", "--per-class", "20", "--epochs", "1",
            "--test-limit", "90", "--train-layers", "fc3", "--data", Repo.FashionMnist, "--out", Path.Combine(dir, "tuned.safetensors")]);
        Assert.True(code == 0, err);
        Assert.Contains($"fine-tuning {weights}: lenet5 for classes 5,6,7", tuned);
        Assert.Contains("fc3.weight (head)", tuned);
        // train starts from them: at a learning rate too small to move a weight, the trained model holds them still.
        string trained = Path.Combine(dir, "trained.safetensors");
        (code, _, err) = CliRun.Run(["train", "--model", "lenet5", "--weights", weights, "--epochs", "1", "--limit", "256", "--test-limit", "100", "--lr", "1e-20",
            "--data", Repo.FashionMnist, "--out", trained]);
        Assert.True(code == 0, err);
        var start = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        foreach (var (key, t) in Checkpoint.Load(trained).Model.StateDict())
            if (start.TryGetValue(key, out var want)) Assert.Equal(want, t.ToArray());
        (code, _, err) = CliRun.Run(["train", "--resume", trained, "--weights", weights, "--epochs", "2"]);
        Assert.Equal(2, code);
        Assert.Contains("give one of them", err);
        // Weights of another network, and a checkpoint given with --weights, are refused.
        (code, _, err) = CliRun.Run(Evaluate("--model", "resnet8-small", "--weights", weights));
        Assert.Equal(2, code);
        Assert.Contains("--weights", err);
        Assert.Contains("resnet8-small", err);
        (code, _, err) = CliRun.Run(Evaluate("--model", checkpoint, "--weights", weights));
        Assert.Equal(2, code);
        Assert.Contains("is a file, which holds its own weights", err);
    }
}
