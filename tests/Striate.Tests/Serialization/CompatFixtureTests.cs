using System.Text.Json;
using Striate.Embeddings;
using Striate.Optim;
using Striate.Tests.Support;
using Striate.Training;

namespace Striate.Tests.Serialization;

/// <summary>
/// Files an earlier Striate wrote (tests/Striate.Tests/Fixtures/Compat, made at commit 821a26b) still load and give
/// the same answers: a classifier checkpoint with optimizer state, an embedding model, an enrolment database and a
/// DeepFace head.
/// </summary>
[Collection(nameof(SerialCollection))]
public class CompatFixtureTests
{
    private static string Fixture(string name) => Path.Combine(Repo.Root, "tests", "Striate.Tests", "Fixtures", "Compat", name);

    private static string Image(string name) => Path.Combine(Repo.Root, "data", "images", name);

    private static JsonElement Json(string stdout) => JsonDocument.Parse(stdout).RootElement;

    [Fact]
    public void TheClassifierCheckpointLoadsAndPredictsAsBefore()
    {
        var ck = Checkpoint.Load(Fixture("classifier.safetensors"));
        Assert.Equal("lenet5", ck.Spec.Architecture);
        Assert.Equal(1, ck.Epoch);
        Assert.Equal(3UL, ck.Seed);
        Assert.Equal(OptimizerKind.Sgd, ck.Optimizer!.Name);
        Assert.Equal(0.05f, ck.Optimizer.Lr);
        Assert.Equal(10, ck.ClassNames.Count);
        Assert.NotEmpty(ck.OptimizerState);

        var (code, stdout, err) = CliRun.Run("predict", "--model", Fixture("classifier.safetensors"), "--index", "0", "--json");
        Assert.True(code == 0, err);
        var top = Json(stdout).GetProperty("top5").EnumerateArray().ToArray();
        (string Class, int Index, double P)[] then =
            [("Pullover", 2, 0.107905954), ("Bag", 8, 0.10255549), ("T-shirt/top", 0, 0.10252158), ("Dress", 3, 0.10251906), ("Shirt", 6, 0.102481216)];
        for (int i = 0; i < then.Length; i++)
        {
            Assert.Equal(then[i].Class, top[i].GetProperty("class").GetString());
            Assert.Equal(then[i].Index, top[i].GetProperty("index").GetInt32());
            Assert.Equal(then[i].P, top[i].GetProperty("probability").GetDouble(), 1e-7);
        }
    }

    [Fact]
    public void TheClassifierCheckpointResumes()
    {
        string dir = Repo.TempDir(), copy = Path.Combine(dir, "classifier.safetensors"), output = Path.Combine(dir, "resumed.safetensors");
        File.Copy(Fixture("classifier.safetensors"), copy);
        var (code, _, err) = CliRun.Run("train", "--resume", copy, "--epochs", "2", "--limit", "600", "--test-limit", "200", "-o", output);
        Assert.True(code == 0, err);
        Assert.Equal(2, Checkpoint.Load(output).Epoch);
    }

    [Fact]
    public void TheEmbeddingModelEmbedsAsBefore()
    {
        var (code, stdout, err) = CliRun.Run("embed", "--model", Fixture("embedding.safetensors"), Image("chelsea.png"), "--json");
        Assert.True(code == 0, err);
        double[] then = [-0.271745, 0.42450038, -0.47356653, 0.35783365, 0.08526042, 0.048192568, 0.59817386, 0.16198777];
        var now = Json(stdout).GetProperty("embedding").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(then.Length, now.Length);
        for (int i = 0; i < then.Length; i++) Assert.Equal(then[i], now[i], 1e-6);
    }

    [Fact]
    public void TheEnrolmentDatabaseLoadsAndIdentifiesAsBefore()
    {
        var db = EnrollmentDatabase.Load(Fixture("faces.db"));
        Assert.Equal(["cat", "cup"], db.Names);
        string dir = Repo.TempDir(), copy = Path.Combine(dir, "faces.db");
        File.Copy(Fixture("faces.db"), copy);
        var (code, stdout, err) = CliRun.Run("identify", "--model", Fixture("embedding.safetensors"), "--db", copy, Image("chelsea.png"), Image("astronaut.png"), "--json");
        Assert.True(code == 0, err);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Json).ToArray();
        Assert.Equal("cat", lines[0].GetProperty("identity").GetString());
        Assert.Equal(0, lines[0].GetProperty("distance").GetDouble(), 1e-9);
        Assert.Equal("cup", lines[1].GetProperty("identity").GetString());
        Assert.Equal(0.020570061606722454, lines[1].GetProperty("distance").GetDouble(), 1e-7);
        Assert.Equal(0.09361258360113672, lines[1].GetProperty("tau").GetDouble(), 1e-9);
    }

    [Fact]
    public void TheDeepFaceHeadLoadsAndDecidesAsBefore()
    {
        var (code, stdout, err) = CliRun.Run("verify", "--model", Fixture("embedding.safetensors"), "--head", Fixture("head.safetensors"),
            Image("chelsea.png"), Image("coffee.png"), "--json");
        Assert.True(code == 0, err);
        var v = Json(stdout);
        Assert.Equal(0.5018496279983644, v.GetProperty("probability").GetDouble(), 1e-7);
        Assert.Equal(0.5281251300662204, v.GetProperty("threshold_probability").GetDouble(), 1e-9);
        Assert.False(v.GetProperty("same").GetBoolean());
    }
}
