using System.Text.RegularExpressions;
using Spectre.Console;
using Striate.Cli;
using Striate.Runs;
using Striate.Tests.Support;

namespace Striate.Tests.Cli;

/// <summary>The live training display in an 80-column terminal: nothing wraps, and each epoch is shown once.</summary>
public class ProgressDisplayTests
{
    [Fact]
    public void EightyColumnsHoldEveryLineAndEachEpochOnce()
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Standard,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 80;
        console.Profile.Height = 24;
        var options = new TrainingOptions { Output = Path.Combine(Repo.TempDir(), "m.safetensors"), Epochs = 3, TrainLimit = 640, TestLimit = 100, BatchSize = 64 };
        var run = new TrainingRun(options, Repo.Train, Repo.Test);
        TrainCommand.RunWithProgress(console, run, options.Epochs, CancellationToken.None);

        string text = writer.ToString();
        // What the terminal shows of each line: escape sequences (colour, cursor moves) take no columns.
        string visible = Regex.Replace(text, @"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07", "\n");
        var lines = visible.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        var wide = lines.Where(l => l.Length > 80).ToList();
        Assert.True(wide.Count == 0, "lines wider than 80 columns: " + string.Join(" | ", wide));
        for (int e = 1; e <= 3; e++)
            Assert.Single(Regex.Matches(visible, $"epoch {e}/3  loss "));
        // The bar was drawn (this is the live display, not plain lines).
        Assert.Contains("epoch 3/3 ", visible);
        Assert.Contains("%", visible);
    }
}
