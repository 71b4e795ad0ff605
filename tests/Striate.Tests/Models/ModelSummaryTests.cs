using System.Text.Json;
using Striate.Cli;
using Striate.Models;
using Striate.Nn;

namespace Striate.Tests.Models;

public class ModelSummaryTests
{
    [Fact]
    public void LeNet5RowByRow()
    {
        var s = ModelSummary.Of(new LeNet5(), 1, 28, 28, "lenet5");
        var byName = s.Rows.ToDictionary(r => r.Name);
        Assert.Equal([6, 28, 28], byName["conv1"].OutputShape);
        Assert.Equal(156, byName["conv1"].Parameters);
        Assert.Equal(150, byName["conv1"].Weights);
        Assert.Equal(28L * 28 * 6 * 25, byName["conv1"].MultiplyAccumulates);
        Assert.Equal([16, 5, 5], byName["pool2"].OutputShape);
        Assert.Equal(48120, byName["fc1"].Parameters); // the seed's 16x5x5x120 = 48k, plus 120 biases
        Assert.Equal(61706, s.Parameters);
        // Receptive fields: 5, then pool 2/2 adds 1, conv 5x5 at jump 2 adds 8, pool adds 2.
        Assert.Equal([5L, 6, 14, 16], new[] { "conv1", "pool1", "conv2", "pool2" }.Select(n => byName[n].ReceptiveField));
        Assert.Equal(4, byName["pool2"].Jump);
        Assert.Equal(0, byName["act1"].Activations); // in place
        Assert.Equal(28 * 28 + 6 * 28 * 28 + 6 * 14 * 14 + 16 * 10 * 10 + 16 * 5 * 5 + 120 + 84 + 10, s.Activations);
    }

    [Fact]
    public void DilatedStackGrowsTheFieldAsTheSeedFormulaSays()
    {
        // Seed 004: with dilation 2^(k-1) and 3x3 kernels, R_k = 2^(k+1) - 1.
        var m = new Sequential(new Conv2d(1, 1, 3, padding: 1), new Conv2d(1, 1, 3, padding: 2, dilation: 2), new Conv2d(1, 1, 3, padding: 4, dilation: 4), new Conv2d(1, 1, 3, padding: 8, dilation: 8));
        var s = ModelSummary.Of(m, 1, 40, 40);
        Assert.Equal([3L, 7, 15, 31], s.Rows.Select(r => r.ReceptiveField));
    }

    [Fact]
    public void AStrideThatDoesNotTileIsFlagged()
    {
        var s = ModelSummary.Of(new Sequential(new Conv2d(1, 2, 3, stride: 3)), 1, 7, 7);
        Assert.Equal(1, s.Rows[0].DroppedRows);
        Assert.Equal(1, s.Rows[0].DroppedColumns);
        Assert.Contains("drops 1 row(s), 1 column(s)", s.ToString());
    }

    [Fact]
    public void SummaryCommandPrintsJsonAndRejectsBadInput()
    {
        var o = new StringWriter();
        var e = new StringWriter();
        Assert.Equal(0, StriateCli.Run(["summary", "lenet5", "--input", "1x28x28", "--json"], o, e));
        var j = JsonDocument.Parse(o.ToString()).RootElement;
        Assert.Equal(61706, j.GetProperty("parameters").GetInt64());
        Assert.Equal(12, j.GetProperty("layers").GetArrayLength());
        Assert.Equal(StriateCli.UsageError, StriateCli.Run(["summary", "nope"], o, e));
        Assert.Contains("Valid models: ", e.ToString());
        e = new StringWriter();
        Assert.Equal(StriateCli.UsageError, StriateCli.Run(["summary", "lenet5", "--input", "1x8x8"], o, e));
        Assert.Contains("Conv2d 'conv2'", e.ToString());
    }
}
