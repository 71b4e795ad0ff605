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
    [InlineData(new[] { "finetune", "--classes", "1,2", "--threads", "0" }, "--threads must be >= 1, got 0.")]
    [InlineData(new[] { "train", "--weight-decay", "-1" }, "--weight-decay must be >= 0, got -1.")]
    [InlineData(new[] { "train", "--early-stopping", "0", "--validation", "0.1" }, "--early-stopping must be >= 1, got 0.")]
    [InlineData(new[] { "train", "--task", "triplet", "--ema-decay", "1" }, "--ema-decay must be in [0, 1) (0: off), got 1.")]
    [InlineData(new[] { "train", "--balance", "oversample" }, "--balance: unknown class balancing 'oversample'. Valid balancings: none, weight, sample.")]
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
}
