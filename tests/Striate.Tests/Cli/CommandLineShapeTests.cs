using Striate.Cli;
using Striate.Tests.Support;

namespace Striate.Tests.Cli;

/// <summary>What every verb shares: the program's name, unknown options and verbs, checks made while parsing, refused settings named by their flag.</summary>
public class CommandLineShapeTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    [Fact]
    public void UsageLinesNameTheProgramAsTheUserTypesIt()
    {
        var (code, output, _) = Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("striate [command] [options]", output);
        Assert.DoesNotContain("Striate.Cli", output);
        Assert.Contains("striate finetune [options]", Run("finetune", "--help").Out);
    }

    [Theory]
    [InlineData(new[] { "train", "--epoch", "3" }, "Did you mean --epochs?", "'train' takes --augment, --balance")]
    [InlineData(new[] { "finetune", "--classes", "1,2", "--learning-rate", "3" }, "'finetune' takes --augment, --batch-size", "--train-layers")]
    [InlineData(new[] { "trian" }, "Did you mean train?", "'striate' takes train, evaluate")]
    public void AnUnknownOptionOrVerbListsTheValidOnes(string[] args, string first, string second)
    {
        var (code, _, err) = Run(args);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains(first, err);
        Assert.Contains(second, err);
        Assert.DoesNotContain("   at ", err);
    }

    [Theory]
    [InlineData(new[] { "finetune", "--classes", "1,2", "--test-limit", "-1" }, "--test-limit must be >= 0, got -1.")]
    [InlineData(new[] { "finetune", "--classes", "1,2", "--optimizer", "lion" }, "--optimizer: unknown optimizer 'lion'. Valid optimizers: adam, adamw, sgd.")]
    [InlineData(new[] { "finetune", "--classes", "1,2", "--threads", "0" }, "--threads must be from 1 to 1024, got 0.")]
    [InlineData(new[] { "train", "--weight-decay", "-1" }, "--weight-decay must be >= 0, got -1.")]
    [InlineData(new[] { "train", "--early-stopping", "0", "--validation", "0.1" }, "--early-stopping must be >= 1, got 0.")]
    [InlineData(new[] { "train", "--task", "triplet", "--ema-decay", "1" }, "--ema-decay must be in [0, 1) (0: off), got 1.")]
    [InlineData(new[] { "train", "--balance", "oversample" }, "--balance: unknown class balancing 'oversample'. Valid balancings: none, weight, sample.")]
    // The other verbs: the model file named does not exist, so each message below can only come from the parse.
    [InlineData(new[] { "evaluate", "-m", "absent.safetensors", "--tta", "0" }, "--tta must be from 1 to 100 (1 for no test-time augmentation), got 0.")]
    [InlineData(new[] { "evaluate", "-m", "absent.safetensors", "--tta-augment", "none" }, "--tta-augment: unknown augmentation 'none'. Valid augmentations: standard, strong, flip.")]
    [InlineData(new[] { "report", "-m", "absent.safetensors", "-o", "r.html", "--test-limit", "-2" }, "--test-limit must be >= 0, got -2.")]
    [InlineData(new[] { "summary", "absent.safetensors", "--classes", "0" }, "--classes must be from 1 to 100000, got 0.")]
    [InlineData(new[] { "summary", "lenet5", "--input", "3x0x4" }, "--input '3x0x4': expected CxHxW with positive integers")]
    [InlineData(new[] { "explain", "conv", "--input", "32", "--kernel", "3", "--channels", "0" }, "--channels must be >= 1, got 0.")]
    [InlineData(new[] { "explain", "pool", "--input", "32", "--kernel", "3x", "--json" }, "--kernel '3x': expected N or AxB with integers >= 1.")]
    [InlineData(new[] { "explain", "receptive-field", "--layers", "k3,x" }, "--layers: 'x' is not kK[sS][dD]")]
    [InlineData(new[] { "filter", "--kernel", "sobel", "--display", "loud", "-o", "f.png", "absent.png" }, "--display: unknown mode 'loud'. Valid modes: auto, clamp, magnitude, signed.")]
    [InlineData(new[] { "filter", "--kernel", "1,2;3", "-o", "f.png", "absent.png" }, "--kernel: ")]
    [InlineData(new[] { "train", "--channels", "2" }, "--channels must be 1 (gray) or 3 (RGB), got 2.")]
    [InlineData(new[] { "train", "--on-bad-image", "maybe" }, "--on-bad-image: unknown bad-image policy 'maybe'. Valid policies: fail, skip.")]
    [InlineData(new[] { "train", "--image-size", "0x4" }, "--image-size: expected N or HxW with positive whole numbers, got '0x4'.")]
    [InlineData(new[] { "train", "--imbalance", "2,4:1.5" }, "--imbalance: expected C1,C2,...:FRACTION")]
    [InlineData(new[] { "train", "--task", "triplet", "--classes", "3-1" }, "--classes: the range '3-1' is empty.")]
    [InlineData(new[] { "finetune", "--classes", "1,2", "--layer-lr", "fc3=0.1", "fc2=-1" }, "--layer-lr: expected PATTERN=LR with a positive rate, got 'fc2=-1'.")]
    [InlineData(new[] { "verify", "-m", "absent.safetensors", "--tau", "-1", "a.png", "b.png" }, "--tau must be a non-negative number, got -1.")]
    [InlineData(new[] { "visualize", "occlusion", "-m", "absent.safetensors", "-o", "o.png", "--patch", "-3", "a.png" }, "--patch must be >= 0, got -3.")]
    public void RangeAndChoiceChecksHappenWhileParsing(string[] args, string message)
    {
        var (code, output, err) = Run(args);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains(message, err);
        // Nothing was started: no data read, no run announced.
        Assert.Equal("", output);
    }

    [Fact]
    public void ASettingTheRunRefusesIsNamedByItsFlag()
    {
        // The range of an embedding batch is the run's to know (a triplet needs pairs of classes); the command line
        // names the flag that carries it.
        var (code, _, err) = Run("train", "--task", "triplet", "--batch-size", "2", "--limit", "200", "--epochs", "1", "--out", Path.Combine(Repo.TempDir(), "e.safetensors"));
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("error: --batch-size must be >= 4 (an embedding batch needs pairs of classes), got 2.", err);
    }

    [Fact]
    public void TrainHelpListsItsOptionsByTask()
    {
        var (code, output, _) = Run("train", "--help");
        Assert.Equal(0, code);
        int common = output.IndexOf("Options (classification, and those every task reads):", StringComparison.Ordinal);
        int embedding = output.IndexOf("Options of --task triplet and contrastive", StringComparison.Ordinal);
        int deepface = output.IndexOf("Options of --task deepface", StringComparison.Ordinal);
        Assert.True(common >= 0 && common < embedding && embedding < deepface, output);
        int At(string option) => output.IndexOf(" " + option + " <", StringComparison.Ordinal);
        Assert.InRange(At("--epochs"), common, embedding);
        Assert.InRange(At("--schedule"), common, embedding);
        Assert.InRange(At("--embedding-dim"), embedding, deepface);
        Assert.InRange(At("--mining"), embedding, deepface);
        Assert.True(At("--distance") > deepface);
        Assert.True(At("--embedding-model") > deepface);
        // Every option once, none lost in the regrouping.
        var train = TrainCommand.Create(TextWriter.Null, TextWriter.Null);
        foreach (var option in train.Options.Where(o => !o.Hidden))
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(output, $@"^  (-\S+, )*{System.Text.RegularExpressions.Regex.Escape(option.Name)}[ ,<]", System.Text.RegularExpressions.RegexOptions.Multiline));
    }
}
