using System.Text.Json;
using Striate.Serialization;
using Striate.Tests.Support;

namespace Striate.Tests.Cli;

public class PlateauCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    private static string[] Small(string output, int epochs) =>
        ["train", "--data", Repo.FashionMnist, "--limit", "1200", "--test-limit", "200", "--batch-size", "32", "--epochs", epochs.ToString(), "--seed", "4",
         "--validation", "0.25", "--out", output, "--json"];

    [Fact]
    public void EarlyStoppingStopsKeepsTheBestCheckpointAndRefusesToResume()
    {
        string dir = Repo.TempDir(), model = Path.Combine(dir, "m.safetensors");
        // A minimum delta of 10 makes every epoch after the first a non-improvement: patience 1 stops after epoch 2.
        var (code, output, err) = Run([.. Small(model, 5), "--early-stopping", "1", "--early-stopping-min-delta", "10"]);
        Assert.True(code == 0, err);
        Assert.Equal(2, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("stopped early", err);
        string best = Path.Combine(dir, "m.best.safetensors");
        Assert.Equal("1", SafeTensors.Read(best).Metadata["epoch"]);
        Assert.Equal("2", SafeTensors.Read(model).Metadata["epoch"]);
        var (rcode, _, rerr) = Run([.. Small(Path.Combine(dir, "m.safetensors"), 5), "--resume", model]);
        Assert.Equal(2, rcode);
        Assert.Contains("stopped early", rerr);

        var (ncode, _, nerr) = Run("train", "--data", Repo.FashionMnist, "--limit", "100", "--epochs", "1", "--early-stopping", "2", "--out", model);
        Assert.Equal(2, ncode);
        Assert.Contains("--validation", nerr);
    }

    [Fact]
    public void APlateauScheduleResumesWithItsState()
    {
        string dir = Repo.TempDir(), whole = Path.Combine(dir, "whole.safetensors"), part = Path.Combine(dir, "part.safetensors");
        // Patience 0: any epoch whose validation loss does not improve halves the rate from the next epoch on.
        string[] extra = ["--schedule", "plateau:0.5:0", "--lr", "0.02"];
        var (code, output, err) = Run([.. Small(whole, 3), .. extra]);
        Assert.True(code == 0, err);
        var lrs = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("lr").GetDouble()).ToArray();
        Assert.Equal(0.02, lrs[0], 6);
        Assert.All(lrs.Zip(lrs.Skip(1)), p => Assert.True(p.Second == p.First || Math.Abs(p.Second - p.First / 2) < 1e-6, $"{p.First} -> {p.Second}"));

        Assert.Equal(0, Run([.. Small(part, 2), .. extra]).Code);
        Assert.Equal(0, Run([.. Small(part, 3), .. extra, "--resume", part]).Code);
        var a = SafeTensors.Read(whole);
        var b = SafeTensors.Read(part);
        Assert.Equal(a.Metadata["plateau_state"], b.Metadata["plateau_state"]);
        Assert.Equal("plateau:0.5:0", b.Metadata["schedule"]);
        Assert.Equal(a["fc3.weight"].Data.ToArray(), b["fc3.weight"].Data.ToArray());
    }
}
