using System.Text.Json;
using Striate.Tests.Support;

namespace Striate.Tests.Cli;

/// <summary>
/// 'striate train --task deepface' on the frozen embeddings of a small triplet model trained on the bundled
/// Fashion-MNIST, then 'striate verify --head' with it; a head is refused with another model, with --tau, or
/// when the file is not a head.
/// </summary>
[Collection(nameof(SerialCollection))]
public class DeepFaceCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    // A small embedding model and its head, trained once for the tests of this class.
    private static readonly Lazy<(string Model, string Head, JsonElement Report)> s_trained = new(() =>
    {
        string dir = Repo.TempDir(), model = Path.Combine(dir, "emb.safetensors"), head = Path.Combine(dir, "head.safetensors");
        var (code, _, err) = Run("train", "--task", "triplet", "--classes", "0-6", "--data", Repo.FashionMnist, "--limit", "2000", "--test-limit", "600",
            "--epochs", "1", "--embedding-dim", "16", "--pairs", "300", "--trials", "2", "--seed", "3", "--out", model, "--json");
        if (code != 0) throw new InvalidOperationException(err);
        var (hcode, hout, herr) = Run("train", "--task", "deepface", "--embedding-model", model, "--data", Repo.FashionMnist, "--limit", "3000",
            "--epochs", "3", "--pairs", "2000", "--seed", "1", "--out", head, "--json");
        if (hcode != 0) throw new InvalidOperationException(herr);
        var lines = hout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length != 4) throw new InvalidOperationException(hout);
        return (model, head, JsonDocument.Parse(lines[^1]).RootElement);
    });

    private static string Image(string dir, int index, int scale = 1) => EmbedCommandTests.Image(dir, index, scale);

    [Fact]
    public void TheHeadTrainsOnTheModelsClassesAndIsMeasuredOnBothKindsOfTestPairs()
    {
        var (_, head, report) = s_trained.Value;
        Assert.True(File.Exists(head));
        Assert.Equal("l1", report.GetProperty("distance").GetString());
        Assert.True(double.IsFinite(report.GetProperty("threshold").GetDouble()));
        var seen = report.GetProperty("pairs").GetProperty("seen");
        var unseen = report.GetProperty("pairs").GetProperty("unseen");
        // One epoch of triplet training on 2,000 images: the embedding's own distance scores about 0.9 on the classes it
        // saw; the head, trained on the same classes' embeddings, must not fall far below it, and must be far from chance.
        double auc = seen.GetProperty("auc").GetDouble(), distanceAuc = seen.GetProperty("distance_auc").GetDouble();
        Assert.True(auc > 0.8 && auc > distanceAuc - 0.03, $"seen: head {auc}, distance {distanceAuc}");
        Assert.InRange(seen.GetProperty("accuracy").GetDouble(), 0.7, 1);
        Assert.InRange(unseen.GetProperty("auc").GetDouble(), 0.55, 1);
    }

    [Fact]
    public void VerifyWithTheHeadDecidesByItsProbability()
    {
        var (model, head, _) = s_trained.Value;
        string dir = Repo.TempDir();
        string a = Image(dir, 0), a2 = Image(dir, 0, scale: 2), b = Image(dir, 1);
        var (code, output, err) = Run("verify", "--model", model, "--head", head, a, a2, "--json");
        Assert.True(code == 0, err);
        var same = JsonDocument.Parse(output).RootElement;
        Assert.True(same.GetProperty("same").GetBoolean());
        double pSame = same.GetProperty("probability").GetDouble();
        Assert.True(pSame >= same.GetProperty("threshold_probability").GetDouble());
        Assert.Contains("resized from 56x56 to 28x28", same.GetProperty("notes")[0].GetString());
        var (dcode, dout, derr) = Run("verify", "--model", model, "--head", head, a, b, "--json");
        Assert.True(dcode == 0, derr);
        double pOther = JsonDocument.Parse(dout).RootElement.GetProperty("probability").GetDouble();
        Assert.True(pOther < pSame, $"an ankle boot and a pullover: {pOther}; the same image resized: {pSame}");
        var (tcode, tout, _) = Run("verify", "--model", model, "--head", head, a, a2);
        Assert.Equal(0, tcode);
        Assert.StartsWith("same: probability", tout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
    }

    [Fact]
    public void AHeadIsRefusedWithAnotherModelWithTauOrWhenTheFileIsNotAHead()
    {
        var (model, head, _) = s_trained.Value;
        string dir = Repo.TempDir(), other = Path.Combine(dir, "other.safetensors"), a = Image(dir, 0), b = Image(dir, 1);
        var (code, _, err) = Run("train", "--task", "triplet", "--classes", "0-6", "--data", Repo.FashionMnist, "--limit", "300", "--test-limit", "200",
            "--epochs", "1", "--embedding-dim", "16", "--pairs", "100", "--trials", "1", "--seed", "4", "--out", other);
        Assert.True(code == 0, err);
        var (ocode, _, oerr) = Run("verify", "--model", other, "--head", head, a, b);
        Assert.Equal(2, ocode);
        Assert.Contains("trained on the embeddings of another model", oerr);
        var (tcode, _, terr) = Run("verify", "--model", model, "--head", head, "--tau", "0.5", a, b);
        Assert.Equal(2, tcode);
        Assert.Contains("--tau is a threshold on the squared distance", terr);
        var (mcode, _, merr) = Run("verify", "--model", model, "--head", model, a, b);
        Assert.Equal(2, mcode);
        Assert.Contains("is not a DeepFace head", merr);
        string junk = Path.Combine(dir, "junk.safetensors");
        File.WriteAllBytes(junk, [1, 2, 3]);
        var (jcode, _, jerr) = Run("verify", "--model", model, "--head", junk, a, b);
        Assert.Equal(2, jcode);
        Assert.Contains("junk.safetensors", jerr);
    }

    [Fact]
    public void TheTaskNeedsAnEmbeddingModelAndAKnownDistance()
    {
        var (code, _, err) = Run("train", "--task", "deepface", "--data", Repo.FashionMnist);
        Assert.Equal(2, code);
        Assert.Contains("needs --embedding-model", err);
        var (model, _, _) = s_trained.Value;
        var (dcode, _, derr) = Run("train", "--task", "deepface", "--embedding-model", model, "--distance", "cosine", "--data", Repo.FashionMnist);
        Assert.Equal(2, dcode);
        Assert.Contains("unknown distance 'cosine'", derr);
    }
}
