using System.Text.Json;
using Striate.Embeddings;
using Striate.Models;
using Striate.Tensors;
using Striate.Tests.Support;
using Striate.Training;

namespace Striate.Tests.Cli;

/// <summary>
/// 'striate train --task triplet' with a weight average, flip-averaged embeddings and a backbone started from a
/// classifier; the flip saved in the model makes 'verify' call an image and its mirror the same.
/// </summary>
[Collection(nameof(SerialCollection))]
public class EmbeddingAveragingCommandTests
{
    private static string Classifier(string dir, string arch)
    {
        string path = Path.Combine(dir, $"{arch}.safetensors");
        var spec = new ModelSpec(arch, 7, 1, 28, 28);
        new Checkpoint { Spec = spec, Model = ModelZoo.Create(spec, new Generator(5)), Mean = [0.3f], Std = [0.3f] }.Save(path);
        return path;
    }

    private static string[] Train(string output, params string[] extra) =>
        ["train", "--task", "triplet", "--classes", "0-6", "--data", Repo.FashionMnist, "--limit", "600", "--test-limit", "300", "--epochs", "1",
            "--embedding-dim", "8", "--pairs", "200", "--trials", "1", "--seed", "3", "--out", output, .. extra];

    [Fact]
    public void TrainWithAnAverageAFlipAndAClassifierStartThenVerifyAMirror()
    {
        string dir = Repo.TempDir(), model = Path.Combine(dir, "emb.safetensors");
        var (code, output, err) = CliRun.Run(Train(model, "--ema-decay", "0.99", "--flip-average", "--init-from", Classifier(dir, "lenet5")));
        Assert.True(code == 0, err);
        Assert.Contains("initialised from", output);
        Assert.Contains("fc3.weight (head)", output);
        Assert.Contains("weight average decay 0.99, flip-averaged embeddings", output);
        var ckpt = Checkpoint.Load(model);
        Assert.True(ckpt.Spec.FlipAverage);
        Assert.True(((EmbeddingNet)ckpt.Model).FlipAverage);
        Assert.Equal("0.99", ckpt.Extra["ema_decay"]);

        float[] image = Repo.Test.Image(0).ToArray(), mirror = new float[784];
        for (int r = 0; r < 28; r++)
            for (int c = 0; c < 28; c++) mirror[r * 28 + c] = image[r * 28 + 27 - c];
        string a = Path.Combine(dir, "a.bmp"), b = Path.Combine(dir, "b.bmp");
        Bmp.WriteGray(a, image, 28, 28);
        Bmp.WriteGray(b, mirror, 28, 28);
        var (vcode, vout, verr) = CliRun.Run("verify", "--model", model, a, b, "--json");
        Assert.True(vcode == 0, verr);
        var v = JsonDocument.Parse(vout).RootElement;
        Assert.True(v.GetProperty("distance").GetDouble() < 1e-9, vout);
        Assert.True(v.GetProperty("same").GetBoolean());
    }

    [Fact]
    public void BadAveragesAndInitialWeightsAreUsageErrors()
    {
        string dir = Repo.TempDir(), model = Path.Combine(dir, "m.safetensors");
        var (code, _, err) = CliRun.Run(Train(model, "--ema-decay", "1"));
        Assert.Equal(2, code);
        Assert.Contains("--ema-decay must be in [0, 1)", err);
        (code, _, err) = CliRun.Run(Train(model, "--init-from", Classifier(dir, "resnet8-small")));
        Assert.Equal(2, code);
        Assert.Contains("--init-from", err);
        Assert.Contains("resnet8-small", err);
        Assert.False(File.Exists(model));
    }
}
