using System.Text.Json;
using Striate.Cli;
using Striate.Tests.Support;

namespace Striate.Tests.Cli;

/// <summary>
/// The face-system verbs end to end: a small triplet embedding trained through 'striate train --task triplet',
/// then embed, verify (including an image of another size), enroll (twice, with and without --replace, into an
/// empty file) and identify.
/// </summary>
[Collection(nameof(SerialCollection))]
public class EmbedCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    private static readonly Lazy<string> s_model = new(() =>
    {
        string path = Path.Combine(Repo.TempDir(), "emb.safetensors");
        var (code, output, err) = Run("train", "--task", "triplet", "--classes", "0-6", "--data", Repo.FashionMnist, "--limit", "2000", "--test-limit", "600",
            "--epochs", "1", "--embedding-dim", "16", "--pairs", "300", "--trials", "2", "--seed", "2", "--out", path, "--json");
        if (code != 0) throw new InvalidOperationException(err);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length != 2) throw new InvalidOperationException(output);
        return path;
    });

    // A test image written as a BMP, scaled up by an integer factor.
    internal static string Image(string dir, int index, int scale = 1)
    {
        string path = Path.Combine(dir, $"img{index}x{scale}.bmp");
        Bmp.WriteGray(path, Repo.Test.Image(index).ToArray(), 28, 28, scale);
        return path;
    }

    [Fact]
    public void TrainTaskTripletReportsEpochsAndTheVerificationSummary()
    {
        string dir = Repo.TempDir(), path = Path.Combine(dir, "c.safetensors");
        var (code, output, err) = Run("train", "--task", "contrastive", "--classes", "0-6", "--data", Repo.FashionMnist, "--limit", "1500", "--test-limit", "600",
            "--epochs", "1", "--embedding-dim", "8", "--pairs", "300", "--trials", "2", "--augment", "standard", "--out", path, "--json");
        Assert.True(code == 0, err);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var epoch = JsonDocument.Parse(lines[0]).RootElement;
        Assert.Equal(1, epoch.GetProperty("epoch").GetInt32());
        Assert.InRange(epoch.GetProperty("validation_auc").GetDouble(), 0.6, 1);
        var report = JsonDocument.Parse(lines[1]).RootElement;
        foreach (var key in new[] { "seen_auc", "unseen_auc", "unseen_pixel_auc", "one_shot_top1", "unknown_rejected", "tau" })
            Assert.True(report.GetProperty(key).ValueKind == JsonValueKind.Number, key);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void PairsZeroScoresEveryPairOfTheTestImages()
    {
        string dir = Repo.TempDir();
        string[] args = ["train", "--task", "triplet", "--classes", "0-6", "--data", Repo.FashionMnist, "--limit", "400", "--test-limit", "300",
            "--epochs", "1", "--embedding-dim", "8", "--trials", "1", "--out", Path.Combine(dir, "p.safetensors"), "--json"];
        var (code, output, err) = Run([.. args, "--pairs", "0"]);
        Assert.True(code == 0, err);
        var report = JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
        Assert.InRange(report.GetProperty("seen_auc").GetDouble(), 0.55, 1);
        Assert.InRange(report.GetProperty("unseen_auc").GetDouble(), 0.5, 1);
        var (bad, _, berr) = Run([.. args, "--pairs", "1"]);
        Assert.Equal(2, bad);
        Assert.Contains("--pairs must be 0 (every pair) or >= 2, got 1", berr);
    }

    [Fact]
    public void EmbedAndVerifyImagesOfAnySize()
    {
        string dir = Repo.TempDir(), model = s_model.Value;
        string a = Image(dir, 0), a2 = Image(dir, 0, scale: 2), b = Image(dir, 1);
        var (code, output, err) = Run("embed", "--model", model, a, b, "--json");
        Assert.True(code == 0, err);
        var rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(2, rows.Length);
        var e = rows[0].GetProperty("embedding").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        Assert.Equal(16, e.Length);
        Assert.Equal(1.0, Math.Sqrt(e.Sum(x => x * x)), 4);

        var (vcode, vout, verr) = Run("verify", "--model", model, a, a2, "--json");
        Assert.True(vcode == 0, verr);
        var v = JsonDocument.Parse(vout).RootElement;
        Assert.True(v.GetProperty("same").GetBoolean());
        Assert.True(v.GetProperty("distance").GetDouble() < 0.05);
        Assert.Contains("resized from 56x56 to 28x28", v.GetProperty("notes")[0].GetString());

        var (tcode, tout, _) = Run("verify", "--model", model, a, b, "--tau", "0");
        Assert.Equal(0, tcode);
        Assert.StartsWith("different: distance", tout);
    }

    [Fact]
    public void EnrolOnceIdentifyAndRefuseToOverwriteWithoutReplace()
    {
        string dir = Repo.TempDir(), model = s_model.Value, db = Path.Combine(dir, "faces.db");
        // Test images 0 and 1 are an ankle boot and a pullover.
        Assert.Equal(0, Run("enroll", "--model", model, "--db", db, "boot", Image(dir, 0)).Code);
        Assert.Equal(0, Run("enroll", "--model", model, "--db", db, "pullover", Image(dir, 1)).Code);
        var (code, _, err) = Run("enroll", "--model", model, "--db", db, "boot", Image(dir, 2));
        Assert.Equal(2, code);
        Assert.Contains("--replace", err);
        Assert.Equal(0, Run("enroll", "--model", model, "--db", db, "boot", Image(dir, 0), "--replace").Code);

        var (icode, iout, ierr) = Run("identify", "--model", model, "--db", db, Image(dir, 0), "--json");
        Assert.True(icode == 0, ierr);
        Assert.Equal("boot", JsonDocument.Parse(iout).RootElement.GetProperty("identity").GetString());
        var (_, uout, _) = Run("identify", "--model", model, "--db", db, Image(dir, 2), "--tau", "0", "--json");
        Assert.Equal("unknown", JsonDocument.Parse(uout).RootElement.GetProperty("identity").GetString());
    }

    [Fact]
    public void ADatabaseRefusesAnotherTrainedModelOfTheSameArchitecture()
    {
        string dir = Repo.TempDir(), model = s_model.Value, db = Path.Combine(dir, "faces.db"), other = Path.Combine(dir, "other.safetensors");
        var ck = Striate.Training.Checkpoint.Load(model);
        ck.Model.Parameters().First().Data[0] += 0.5f;
        ck.Save(other);
        Assert.Equal(0, Run("enroll", "--model", model, "--db", db, "boot", Image(dir, 0)).Code);
        byte[] before = File.ReadAllBytes(db);
        Assert.Equal(16, Striate.Embeddings.EnrollmentDatabase.Load(db).Weights.Length);

        var (code, _, err) = Run("identify", "--model", other, "--db", db, Image(dir, 0));
        Assert.Equal(2, code);
        Assert.Contains("another trained model of the same architecture", err);
        Assert.Equal(2, Run("enroll", "--model", other, "--db", db, "pullover", Image(dir, 1)).Code);
        Assert.Equal(before, File.ReadAllBytes(db));
        Assert.Equal(0, Run("identify", "--model", model, "--db", db, Image(dir, 0)).Code);

        // A database written without the digest is checked by architecture alone.
        var loaded = Striate.Embeddings.EnrollmentDatabase.Load(db);
        var legacy = new Striate.Embeddings.EnrollmentDatabase(loaded.EmbeddingDim, loaded.Model);
        legacy.Enroll("boot", loaded.Embedding("boot"));
        string legacyPath = Path.Combine(dir, "legacy.db");
        legacy.Save(legacyPath);
        Assert.Equal(0, Run("identify", "--model", other, "--db", legacyPath, Image(dir, 0)).Code);
    }

    [Fact]
    public void BadDatabasesAndModelsAreClearErrors()
    {
        string dir = Repo.TempDir(), model = s_model.Value, db = Path.Combine(dir, "empty.db");
        File.WriteAllBytes(db, []);
        var (code, _, err) = Run("enroll", "--model", model, "--db", db, "x", Image(dir, 0));
        Assert.Equal(2, code);
        Assert.Contains("is empty", err);
        Assert.Empty(File.ReadAllBytes(db));
        Assert.Contains("does not exist", Run("identify", "--model", model, "--db", Path.Combine(dir, "none.db"), Image(dir, 0)).Err);
        var (mcode, _, merr) = Run("train", "--task", "triplet", "--classes", "3", "--data", Repo.FashionMnist, "--limit", "100", "--out", Path.Combine(dir, "x.safetensors"));
        Assert.Equal(2, mcode);
        Assert.Contains("at least two classes", merr);
        Assert.Contains("unknown strategy 'hardest'", Run("train", "--task", "triplet", "--mining", "hardest", "--data", Repo.FashionMnist).Err);
    }

    [Fact]
    public void FinetuneReplacesTheHeadAndReportsTheSkippedKeys()
    {
        string dir = Repo.TempDir(), pre = Path.Combine(dir, "pre.safetensors"), tuned = Path.Combine(dir, "tuned.safetensors");
        var (code, _, err) = Run("finetune", "--classes", "0-4", "--per-class", "100", "--epochs", "1", "--test-limit", "200", "--data", Repo.FashionMnist, "--out", pre, "--json");
        Assert.True(code == 0, err);
        var (fcode, fout, ferr) = Run("finetune", "--from", pre, "--classes", "5,7,9", "--per-class", "50", "--train-layers", "fc3", "--layer-lr", "fc3=0.01",
            "--epochs", "4", "--test-limit", "300", "--data", Repo.FashionMnist, "--out", tuned, "--json");
        Assert.True(fcode == 0, ferr);
        var last = JsonDocument.Parse(fout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
        Assert.Equal(84 * 3 + 3, last.GetProperty("trainable_parameters").GetInt64());
        Assert.Equal(["fc3.weight", "fc3.bias"], last.GetProperty("skipped").EnumerateArray().Select(s => s.GetProperty("key").GetString()));
        Assert.InRange(last.GetProperty("test_accuracy").GetDouble(), 0.4, 1); // three classes: chance is 0.33
        var (bcode, _, berr) = Run("finetune", "--from", pre, "--classes", "5-9", "--train-layers", "fc", "--data", Repo.FashionMnist, "--out", tuned);
        Assert.Equal(2, bcode);
        Assert.Contains("no parameter matches 'fc'", berr);
        var (acode, _, aerr) = Run("finetune", "--from", pre, "--classes", "5-9", "--augment", "mixup", "--data", Repo.FashionMnist, "--out", tuned);
        Assert.Equal(2, acode);
        Assert.Contains("Unknown augmentation 'mixup'", aerr);
    }
    [Fact]
    public void FinetuneFromAnEmbeddingModelKeepsItsBackboneAndReplacesTheEmbeddingLayer()
    {
        string tuned = Path.Combine(Repo.TempDir(), "from-emb.safetensors");
        var (code, output, err) = Run("finetune", "--from", s_model.Value, "--classes", "7-9", "--per-class", "50", "--train-layers", "fc3", "--lr", "0.01",
            "--epochs", "4", "--test-limit", "300", "--data", Repo.FashionMnist, "--out", tuned, "--json");
        Assert.True(code == 0, err);
        var last = JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
        Assert.Equal(84 * 3 + 3, last.GetProperty("trainable_parameters").GetInt64());
        Assert.Equal(["fc3.weight", "fc3.bias"], last.GetProperty("skipped").EnumerateArray().Select(s => s.GetProperty("key").GetString()));
        Assert.InRange(last.GetProperty("test_accuracy").GetDouble(), 0.5, 1); // three classes: chance is 0.33
        var source = (Striate.Models.EmbeddingNet)Striate.Training.Checkpoint.Load(s_model.Value).Model;
        var result = Striate.Training.Checkpoint.Load(tuned);
        Assert.False(result.Spec.IsEmbedding);
        Assert.Equal(3, result.Spec.NumClasses);
        var tunedWeights = result.Model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        foreach (var (key, value) in source.Backbone.StateDict().Where(kv => !kv.Key.StartsWith("fc3.", StringComparison.Ordinal)))
            Assert.Equal(value.ToArray(), tunedWeights[key]); // frozen: the embedding model's weights, bit for bit
    }
}
