using Striate.Cli;
using Striate.Tests.Support;

namespace Striate.Tests.Cli;

/// <summary>
/// 'striate train' (the classify task), predict and report refuse what they would otherwise drop or misuse: options
/// of other tasks, options that only act with another one, an empty validation split, a report over the checkpoint,
/// a resumed run told to change its settings or fed other classes, and test images of another shape.
/// </summary>
[Collection(nameof(SerialCollection))]
public class TrainOptionConflictTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    private static string[] Small(string out_) => ["train", "--data", Repo.FashionMnist, "--limit", "300", "--test-limit", "100", "--epochs", "1", "--out", out_];

    [Theory]
    [InlineData(new[] { "--classes", "0-3" }, "--task classify does not use --classes")]
    [InlineData(new[] { "--ema-decay", "0.99" }, "--task classify does not use --ema-decay")]
    [InlineData(new[] { "--on-bad-image", "skip" }, "--on-bad-image applies to image folders")]
    [InlineData(new[] { "--channels", "3", "--on-bad-image", "skip" }, "--on-bad-image applies to image folders")]
    [InlineData(new[] { "--momentum", "0.5" }, "--momentum applies to --optimizer sgd")]
    [InlineData(new[] { "--early-stopping-monitor", "accuracy" }, "give the patience too")]
    [InlineData(new[] { "--validation", "0.001" }, "leaves 300 for training and 0 for validation")]
    [InlineData(new[] { "--validation", "NaN" }, "--validation must be in [0, 1)")]
    public void OptionsThatWouldDoNothingAreRefusedBeforeTraining(string[] extra, string expected)
    {
        string out_ = Path.Combine(Repo.TempDir(), "m.safetensors");
        var (code, output, err) = Run([.. Small(out_), .. extra]);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains(expected, err);
        Assert.DoesNotContain("epoch 1", output);
        Assert.False(File.Exists(out_));
    }

    [Fact]
    public void AReportOrACheckpointPathThatWouldClobberAnotherOutputIsRefused()
    {
        string dir = Repo.TempDir(), out_ = Path.Combine(dir, "m.safetensors");
        foreach (var report in new[] { out_, Path.Combine(dir, "m.csv"), Path.Combine(dir, "m.jsonl") })
        {
            var (code, _, err) = Run([.. Small(out_), "--report", report]);
            Assert.Equal(StriateCli.UsageError, code);
            Assert.Contains("would overwrite a file the run writes", err);
        }
        var (fcode, _, ferr) = Run(Small(dir));
        Assert.Equal(StriateCli.UsageError, fcode);
        Assert.Contains("is a folder", ferr);
        Assert.False(File.Exists(out_));
    }

    [Fact]
    public void AResumedRunKeepsItsSettingsAndItsClasses()
    {
        string dir = Repo.TempDir(), first = Path.Combine(dir, "a.safetensors"), next = Path.Combine(dir, "b.safetensors");
        Assert.Equal(0, Run([.. Small(first), "--batch-size", "32", "--lr", "0.003"]).Code);
        string[] resume = ["train", "--data", Repo.FashionMnist, "--limit", "300", "--test-limit", "100", "--epochs", "2", "--resume", first, "--out", next];

        // Repeating the first command's values is fine; changing one is not.
        var (same, output, err) = Run([.. resume, "--batch-size", "32", "--lr", "0.003"]);
        Assert.True(same == 0, err);
        Assert.Contains("batch 32", output);
        foreach (var (args, expected) in new (string[], string)[]
        {
            (["--lr", "0.5"], "--lr 0.5 (the checkpoint's: 0.003)"),
            (["--optimizer", "sgd"], "--optimizer sgd (the checkpoint's: adam)"),
            (["--augment", "strong"], "--augment strong (the checkpoint's: none)"),
            (["--batch-size", "64"], "--batch-size 64 (the checkpoint's: 32)"),
        })
        {
            var (code, _, e) = Run([.. resume, .. args]);
            Assert.Equal(StriateCli.UsageError, code);
            Assert.Contains(expected, e);
        }
        // Without --batch-size the checkpoint's 32 is used, not the default 64.
        var (kept, keptOut, keptErr) = Run(resume);
        Assert.True(kept == 0, keptErr);
        Assert.Contains("batch 32", keptOut);

        // Other classes (a 10-class checkpoint resumed on 3 classes of an image folder).
        string folder = Path.Combine(dir, "folder");
        foreach (var split in new[] { "train", "test" })
            foreach (var cls in new[] { "a", "b", "c" })
            {
                Directory.CreateDirectory(Path.Combine(folder, split, cls));
                for (int i = 0; i < 2; i++)
                    Bmp.WriteGray(Path.Combine(folder, split, cls, $"{i}.bmp"), Repo.Test.Image(i).ToArray(), 28, 28);
            }
        var (ccode, _, cerr) = Run("train", "--data", folder, "--channels", "1", "--epochs", "2", "--resume", first, "--out", next);
        Assert.Equal(StriateCli.UsageError, ccode);
        Assert.Contains("the checkpoint was trained on the classes", cerr);
    }

    [Fact]
    public void PredictAndReportRefuseTestImagesOfAnotherShape()
    {
        string dir = Repo.TempDir(), folder = Path.Combine(dir, "folder"), model = Path.Combine(dir, "small.safetensors");
        foreach (var split in new[] { "train", "test" })
            foreach (var cls in new[] { "a", "b" })
            {
                Directory.CreateDirectory(Path.Combine(folder, split, cls));
                for (int i = 0; i < 4; i++)
                    Bmp.WriteGray(Path.Combine(folder, split, cls, $"{i}.bmp"), Repo.Test.Image(i + (cls == "a" ? 0 : 4)).ToArray(), 28, 28);
            }
        // A 1x12x12 model: Fashion-MNIST's 28x28 test images do not fit it.
        Assert.Equal(0, Run("train", "--data", folder, "--channels", "1", "--image-size", "12", "--model", "resnet8-small", "--epochs", "1", "--batch-size", "4", "--out", model).Code);
        var (pcode, _, perr) = Run("predict", "--model", model, "--index", "0");
        Assert.Equal(StriateCli.UsageError, pcode);
        Assert.Contains("the model takes 1x12x12 images", perr);
        var (rcode, _, rerr) = Run("report", "--model", model, "--out", Path.Combine(dir, "r.html"));
        Assert.Equal(StriateCli.UsageError, rcode);
        Assert.Contains("the model takes 1x12x12 images", rerr);
        // The model's own image folder works for both.
        Assert.Equal(0, Run("predict", "--model", model, "--data", folder, "--index", "0").Code);
        var (ok, _, okErr) = Run("report", "--model", model, "--data", folder, "--out", Path.Combine(dir, "r.html"));
        Assert.True(ok == 0, okErr);
    }
}
