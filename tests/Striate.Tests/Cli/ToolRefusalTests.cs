using Striate.Cli;
using Striate.Tests.Support;
using Striate.Tests.Visualization;

namespace Striate.Tests.Cli;

/// <summary>filter, summary and visualize refuse options they would ignore and name the option at fault.</summary>
[Collection(nameof(SerialCollection))]
public class ToolRefusalTests
{
    private static string Photo => Path.Combine(Repo.Root, "data", "images", "chelsea.png");

    public static TheoryData<string[], string> Refusals => new()
    {
        { ["filter", "PHOTO", "-k", "all", "--valid", "-o", "OUT"], "--valid applies to a single kernel" },
        { ["filter", "PHOTO", "-k", "all", "--display", "signed", "-o", "OUT"], "--display applies to a single kernel" },
        { ["filter", "PHOTO", "-k", "1e40", "-o", "OUT"], "--kernel:" },
        { ["summary", "MODEL", "--classes", "5"], "--classes builds a zoo model" },
        { ["visualize", "activations", "-m", "alexnet", "-l", "features.0", "PHOTO", "-o", "OUT"], "(the default; give --input CxHxW)" },
        { ["visualize", "activations", "-m", "MODEL", "--input", "3x64x64", "-l", "conv1", "PHOTO", "-o", "OUT"], "--input only sizes a zoo model" },
        { ["visualize", "receptive-field", "-m", "MODEL", "-l", "conv1", "--samples", "1000000", "-o", "OUT"], "--samples must be from 1 to" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void IgnoredOrImpossibleOptionsAreUsageErrors(string[] args, string expected)
    {
        string out_ = Path.Combine(Repo.TempDir(), "x.png");
        var filled = args.Select(a => a switch { "PHOTO" => Photo, "OUT" => out_, "MODEL" => TrainedLeNet.Model, _ => a }).ToArray();
        var (code, _, err) = CliRun.Run(filled);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains(expected, err);
        Assert.False(File.Exists(out_));
    }
}
