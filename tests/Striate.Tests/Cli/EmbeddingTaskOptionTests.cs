using System.Text.Json;
using Striate.Tests.Support;

namespace Striate.Tests.Cli;

/// <summary>
/// The embedding tasks of 'striate train' refuse what they would otherwise drop or crash on: options the task does
/// not read, out-of-range settings, a test set the report cannot use, and too few images for a DeepFace head; and
/// they record what they trained with.
/// </summary>
[Collection(nameof(SerialCollection))]
public class EmbeddingTaskOptionTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    private static string[] Small(string out_) =>
        ["train", "--data", Repo.FashionMnist, "--limit", "600", "--test-limit", "300", "--epochs", "1", "--pairs", "200", "--trials", "1", "--out", out_];

    [Theory]
    [InlineData("triplet", "--optimizer", "sgd", "--optimizer")]
    [InlineData("triplet", "--resume", "x.safetensors", "--resume")]
    [InlineData("triplet", "--report", "r.html", "--report")]
    [InlineData("triplet", "--clip-grad-norm", "1", "--clip-grad-norm")]
    [InlineData("triplet", "--instance-margin", "0.3", "--instance-weight > 0")]
    [InlineData("contrastive", "--mining", "semi-hard", "--mining")]
    [InlineData("contrastive", "--warmup-epochs", "1", "--warmup-epochs")]
    [InlineData("deepface", "--batch-size", "32", "--batch-size")]
    [InlineData("deepface", "--weight-decay", "0.1", "--weight-decay")]
    public void AnOptionTheTaskDoesNotReadIsRefusedByName(string task, string option, string value, string expected)
    {
        string dir = Repo.TempDir(), out_ = Path.Combine(dir, "m.safetensors");
        var (code, _, err) = Run([.. Small(out_), "--task", task, option, value]);
        Assert.Equal(2, code);
        Assert.Contains($"--task {task} does not use", err);
        Assert.Contains(expected, err);
        Assert.False(File.Exists(out_));
    }

    [Theory]
    [InlineData("--validation", "1.5", "--validation must be in [0, 1)")]
    [InlineData("--margin", "-1", "margin must be >= 0")]
    [InlineData("--batch-size", "1000", "fewer than one batch of 1000")]
    public void OutOfRangeSettingsAreRefusedBeforeTraining(string option, string value, string expected)
    {
        string out_ = Path.Combine(Repo.TempDir(), "m.safetensors");
        var (code, _, err) = Run([.. Small(out_), "--task", "triplet", option, value]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.False(File.Exists(out_));
    }

    [Fact]
    public void ATestSetWithoutPairsOfTheTrainedClassesIsRefusedBeforeTraining()
    {
        string out_ = Path.Combine(Repo.TempDir(), "m.safetensors");
        // One test image gives no pair at all; the first two (an ankle boot and a pullover) no same-class pair.
        // Either is refused before the first epoch, not after training.
        foreach (var limit in new[] { "1", "2" })
        {
            var (code, output, err) = Run("train", "--task", "triplet", "--data", Repo.FashionMnist, "--limit", "600", "--epochs", "1", "--out", out_, "--test-limit", limit);
            Assert.Equal(2, code);
            Assert.Contains("the report needs test images of two trained classes", err);
            Assert.DoesNotContain("epoch", output);
            Assert.False(File.Exists(out_));
        }
    }

    [Fact]
    public void TinyBatchesSkipThoseWithoutATripletAndSayHowMany()
    {
        string out_ = Path.Combine(Repo.TempDir(), "m.safetensors");
        var (code, output, err) = Run([.. Small(out_), "--task", "triplet", "--batch-size", "4", "--json"]);
        Assert.True(code == 0, err);
        var epoch = JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0]).RootElement;
        // Four images of ten classes form no triplet about half the time.
        int skipped = epoch.GetProperty("skipped_batches").GetInt32();
        Assert.InRange(skipped, 20, 100);
        Assert.True(double.IsFinite(epoch.GetProperty("train_loss").GetDouble()));
    }

    [Fact]
    public void TheCheckpointRecordsTheSettingsInEffectOnly()
    {
        string dir = Repo.TempDir(), triplet = Path.Combine(dir, "t.safetensors"), contrastive = Path.Combine(dir, "c.safetensors");
        Assert.Equal(0, Run([.. Small(triplet), "--task", "triplet", "--batch-size", "32", "--validation", "0.2", "--instance-weight", "0.2", "--instance-margin", "0.4"]).Code);
        var t = Striate.Training.Checkpoint.Load(triplet).Extra;
        Assert.Equal("32", t["batch_size"]);
        Assert.Equal("600", t["train_limit"]);
        Assert.Equal("0.2", t["validation"]);
        Assert.Equal("BatchAll", t["mining"]);
        Assert.Equal("0.4", t["instance_margin"]);
        Assert.Equal("strong", t["instance_augment"]);

        Assert.Equal(0, Run([.. Small(contrastive), "--task", "contrastive"]).Code);
        var c = Striate.Training.Checkpoint.Load(contrastive).Extra;
        Assert.Equal("contrastive", c["task"]);
        Assert.Equal("0.1", c["validation"]);
        foreach (var key in new[] { "mining", "warmup_epochs", "instance_margin", "instance_augment", "instance_on_projection" })
            Assert.False(c.ContainsKey(key), key);
    }

    [Fact]
    public void ADeepFaceHeadNeedsPairsOnBothSidesOfItsHoldOutAndRecordsItsSettings()
    {
        string dir = Repo.TempDir(), model = Path.Combine(dir, "m.safetensors"), head = Path.Combine(dir, "h.safetensors");
        var (code, _, err) = Run([.. Small(model), "--task", "triplet", "--classes", "0-6", "--embedding-dim", "8"]);
        Assert.True(code == 0, err);
        var (scode, _, serr) = Run("train", "--task", "deepface", "--embedding-model", model, "--data", Repo.FashionMnist, "--limit", "15", "--out", head);
        Assert.Equal(2, scode);
        Assert.Contains("needs same and different pairs", serr);
        Assert.False(File.Exists(head));

        var (hcode, _, herr) = Run("train", "--task", "deepface", "--embedding-model", model, "--data", Repo.FashionMnist, "--limit", "800",
            "--epochs", "2", "--lr", "0.02", "--seed", "5", "--pairs", "200", "--out", head);
        Assert.True(hcode == 0, herr);
        var saved = Striate.Embeddings.DeepFaceHeadFile.Load(head).Training!;
        Assert.Equal("2", saved["epochs"]);
        Assert.Equal("0.02", saved["lr"]);
        Assert.Equal("5", saved["seed"]);
        Assert.Equal("800", saved["limit"]);
        Assert.Equal("0,1,2,3,4,5,6", saved["classes"]);
        Assert.Equal("m.safetensors", saved["embedding_model"]);
    }
}
