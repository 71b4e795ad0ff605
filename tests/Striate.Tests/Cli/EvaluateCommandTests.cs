using System.Text.Json;
using Striate.Cli;
using Striate.Tests.Support;

namespace Striate.Tests.Cli;

public class EvaluateCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    [Fact]
    public void TtaAveragesViewsAndOneViewIsPlainEvaluation()
    {
        string dir = Repo.TempDir(), model = Path.Combine(dir, "m.safetensors");
        var (code, _, err) = Run("train", "--data", Repo.FashionMnist, "--limit", "2000", "--test-limit", "100", "--batch-size", "32", "--epochs", "1",
            "--augment", "standard", "--seed", "4", "--out", model);
        Assert.True(code == 0, err);
        JsonElement Evaluate(params string[] extra)
        {
            var (c, o, e) = Run(["evaluate", "--model", model, "--data", Repo.FashionMnist, "--json", .. extra]);
            Assert.True(c == 0, e);
            return JsonDocument.Parse(o).RootElement;
        }
        var plain = Evaluate();
        var one = Evaluate("--tta", "1");
        Assert.Equal(plain.GetProperty("accuracy").GetDouble(), one.GetProperty("accuracy").GetDouble());
        var three = Evaluate("--tta", "3", "--seed", "2");
        Assert.Equal(3, three.GetProperty("tta_views").GetInt32());
        double a = plain.GetProperty("accuracy").GetDouble();
        Assert.InRange(three.GetProperty("accuracy").GetDouble(), a - 0.03, a + 0.05);
        Assert.NotEqual(plain.GetProperty("loss").GetDouble(), three.GetProperty("loss").GetDouble());

        var (text, tout, terr) = Run("evaluate", "--model", model, "--data", Repo.FashionMnist, "--tta", "2", "--tta-augment", "strong");
        Assert.True(text == 0, terr);
        Assert.StartsWith("test-time augmentation: 2 views (strong, seed 1)", tout);

        (code, _, err) = Run("evaluate", "--model", model, "--tta", "0");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--tta must be from 1 to 100 (1 for no test-time augmentation), got 0", err);
        (code, _, err) = Run("evaluate", "--model", model, "--tta", "2", "--tta-augment", "none");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("Valid augmentations: standard, strong", err);
    }
}
