using System.Diagnostics;
using System.Text.Json;
using Striate.Cli;
using Striate.Serialization;
using Striate.Tests.Support;

namespace Striate.Tests.Cli;

public class TrainCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    private static string[] Small(string output, int epochs) =>
        ["train", "--data", Repo.FashionMnist, "--limit", "1500", "--test-limit", "300", "--batch-size", "32", "--epochs", epochs.ToString(), "--seed", "3", "--out", output];

    [Fact]
    public void TrainPrintsOneJsonObjectPerEpochAndSavesTheModel()
    {
        string dir = Repo.TempDir(), model = Path.Combine(dir, "m.safetensors");
        var (code, output, err) = Run([.. Small(model, 2), "--json"]);
        Assert.True(code == 0, err);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        foreach (var (line, i) in lines.Select((l, i) => (l, i)))
        {
            var j = JsonDocument.Parse(line).RootElement;
            Assert.Equal(i + 1, j.GetProperty("epoch").GetInt32());
            foreach (var key in new[] { "train_loss", "train_accuracy", "test_accuracy", "images_per_second", "seconds" })
                Assert.True(j.GetProperty(key).GetDouble() > 0, key);
        }
        Assert.True(File.Exists(model));

        var (ecode, eout, eerr) = Run("evaluate", "--model", model, "--data", Repo.FashionMnist, "--json");
        Assert.True(ecode == 0, eerr);
        var ej = JsonDocument.Parse(eout).RootElement;
        Assert.Equal(10000, ej.GetProperty("images").GetInt32());
        Assert.InRange(ej.GetProperty("accuracy").GetDouble(), 0.5, 1.0);
        Assert.Equal(10, ej.GetProperty("confusion_matrix").GetArrayLength());
        Assert.Equal("Ankle boot", ej.GetProperty("class_names")[9].GetString());

        var (pcode, pout, perr) = Run("predict", "--model", model, "--data", Repo.FashionMnist, "--index", "0", "--json");
        Assert.True(pcode == 0, perr);
        var pj = JsonDocument.Parse(pout).RootElement;
        Assert.Equal("Ankle boot", pj.GetProperty("label").GetString());
        Assert.Equal(5, pj.GetProperty("top5").GetArrayLength());
        double p = pj.GetProperty("top5").EnumerateArray().Sum(x => x.GetProperty("probability").GetDouble());
        Assert.InRange(p, 0.5, 1.0001);
    }

    [Fact]
    public void StepScheduleAndClippingReachTheOptimizerAndTheCheckpoint()
    {
        string dir = Repo.TempDir(), model = Path.Combine(dir, "m.safetensors");
        var (code, output, err) = Run([.. Small(model, 2), "--schedule", "step:1:0.5", "--clip-grad-norm", "1.5", "--augment", "standard", "--json"]);
        Assert.True(code == 0, err);
        var lrs = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("lr").GetDouble()).ToArray();
        Assert.Equal(0.002, lrs[0], 6);
        Assert.Equal(0.001, lrs[1], 6);
        var meta = SafeTensors.Read(model).Metadata;
        Assert.Equal("step:1:0.5", meta["schedule"]);
        Assert.Equal("1.5", meta["clip_grad_norm"]);
        Assert.Equal("standard", meta["augment"]);
    }

    [Fact]
    public void PredictReadsAnImageFile()
    {
        string dir = Repo.TempDir(), model = Path.Combine(dir, "m.safetensors");
        Assert.Equal(0, Run(Small(model, 1)).Code);
        // Test image 0 (an ankle boot) written as a 56x56 BMP: predict converts, resizes and normalises it.
        var img = Repo.Test.Image(0).ToArray();
        string bmp = Path.Combine(dir, "boot.bmp");
        Bmp.WriteGray(bmp, img, 28, 28, scale: 2);
        var (code, output, err) = Run("predict", "--model", model, bmp);
        Assert.True(code == 0, err);
        Assert.Contains("boot.bmp", output);
        Assert.Equal(6, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        File.WriteAllBytes(Path.Combine(dir, "broken.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);
        var (bcode, _, berr) = Run("predict", "--model", model, Path.Combine(dir, "broken.png"));
        Assert.Equal(StriateCli.UsageError, bcode);
        Assert.Contains("broken.png", berr);
        Assert.DoesNotContain("   at ", berr);
    }

    [Theory]
    [InlineData(new[] { "--batch-size", "0" }, "--batch-size must be >= 1")]
    [InlineData(new[] { "--lr", "-0.1" }, "--lr must be a positive number")]
    [InlineData(new[] { "--model", "nope" }, "Valid models: alexnet, alexnet-paper, densenet121")]
    [InlineData(new[] { "--optimizer", "rmsprop" }, "Valid optimizers: adam, adamw, sgd")]
    [InlineData(new[] { "--data", "/no/such/folder" }, "/no/such/folder")]
    [InlineData(new[] { "--epochs", "0" }, "--epochs must be from 1 to 100000")]
    [InlineData(new[] { "--schedule", "linear" }, "--schedule: Schedule 'linear'")]
    [InlineData(new[] { "--clip-grad-norm", "0" }, "--clip-grad-norm must be > 0")]
    [InlineData(new[] { "--augment", "heavy" }, "Valid augmentations: none, standard")]
    [InlineData(new[] { "--workers", "-1" }, "--workers must be from 0 to 256, got -1")]
    [InlineData(new[] { "--model", "alexnet", "--limit", "10" }, "alexnet cannot take 1x28x28 images: ")]
    public void BadOptionsAreUsageErrors(string[] extra, string fragment)
    {
        var (code, _, err) = Run(["train", .. extra]);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains(fragment, err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void MissingOrCorruptFilesAreUsageErrors()
    {
        string dir = Repo.TempDir();
        var (code, _, err) = Run("evaluate", "--model", Path.Combine(dir, "none.safetensors"));
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("does not exist", err);
        string bad = Path.Combine(dir, "bad.safetensors");
        File.WriteAllBytes(bad, new byte[100]);
        (code, _, err) = Run("evaluate", "--model", bad);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("bad.safetensors", err);
        // A corrupt IDX file in a data folder.
        string data = Path.Combine(dir, "data");
        Directory.CreateDirectory(data);
        foreach (var f in Directory.GetFiles(Repo.FashionMnist, "*.gz")) File.Copy(f, Path.Combine(data, Path.GetFileName(f)));
        var img = File.ReadAllBytes(Path.Combine(data, "t10k-images-idx3-ubyte.gz"));
        File.WriteAllBytes(Path.Combine(data, "t10k-images-idx3-ubyte.gz"), img[..(img.Length / 3)]);
        (code, _, err) = Run("train", "--data", data, "--limit", "100", "--epochs", "1", "--out", Path.Combine(dir, "x.safetensors"));
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("t10k-images-idx3-ubyte.gz", err);
    }

    [Fact]
    public void AKilledRunContinuedWithResumeMatchesAnUninterruptedRun()
    {
        string straightDir = Repo.TempDir(), killedDir = Repo.TempDir();
        string straight = Path.Combine(straightDir, "m.safetensors"), killed = Path.Combine(killedDir, "m.safetensors");
        Assert.Equal(0, Run(Small(straight, 3)).Code);

        // Start the real program, wait for the first epoch's checkpoint, and kill it during the second.
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Striate.Cli.dll"));
        foreach (var arg in Small(killed, 3)) psi.ArgumentList.Add(arg);
        psi.ArgumentList.Add("--json");
        using (var p = Process.Start(psi)!)
        {
            string? first = p.StandardOutput.ReadLine();
            Assert.NotNull(first);
            Assert.Equal(1, JsonDocument.Parse(first).RootElement.GetProperty("epoch").GetInt32());
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        int saved = int.Parse(SafeTensors.Read(killed).Metadata["epoch"]);
        Assert.InRange(saved, 1, 2); // killed before the end
        var (code, _, err) = Run([.. Small(killed, 3), "--resume", killed]);
        Assert.True(code == 0, err);

        var a = SafeTensors.Read(straight);
        var b = SafeTensors.Read(killed);
        Assert.Equal(a.Tensors.Select(t => t.Name).Order(), b.Tensors.Select(t => t.Name).Order());
        foreach (var t in a.Tensors)
            Assert.True(t.Data.Span.SequenceEqual(b[t.Name].Data.Span), $"tensor '{t.Name}' differs between the resumed and the uninterrupted run");
        Assert.Equal("3", b.Metadata["epoch"]);
    }
}
