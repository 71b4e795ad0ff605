using System.Text.Json;
using Striate.Cli;
using Striate.Nn;

using Striate.Tests.Support;
namespace Striate.Tests.Cli;

public class ExplainCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    private static JsonElement Json(params string[] args)
    {
        var (code, output, err) = Run([.. args, "--json"]);
        Assert.True(code == 0, err);
        return JsonDocument.Parse(output).RootElement;
    }

    [Fact]
    public void AlexNetConv1OfSeed000()
    {
        var j = Json("explain", "conv", "--input", "227x227x3", "--filters", "96", "--kernel", "11", "--stride", "4");
        Assert.Equal(55, j.GetProperty("output_height").GetInt32());
        Assert.Equal(55, j.GetProperty("output_width").GetInt32());
        Assert.Equal(34944, j.GetProperty("parameters").GetInt64());
        Assert.Equal(290400, j.GetProperty("output_values").GetInt64());
        Assert.Equal(105705600, j.GetProperty("connections").GetInt64());
        var (_, text, _) = Run("explain", "conv", "--input", "227x227x3", "--filters", "96", "--kernel", "11", "--stride", "4");
        Assert.Contains("364 inputs", text);
        Assert.Contains("=> 55x55x96", text);
    }

    [Fact]
    public void AStrideThatDoesNotTileFloorsAndSaysWhatIsDropped()
    {
        var j = Json("explain", "conv", "--input", "7x7", "--kernel", "3", "--stride", "3");
        Assert.Equal(2, j.GetProperty("output_height").GetInt32());
        Assert.Equal(1, j.GetProperty("dropped_rows").GetInt32());
        Assert.Equal(1, j.GetProperty("dropped_columns").GetInt32());
        var (_, text, _) = Run("explain", "conv", "--input", "7x7", "--kernel", "3", "--stride", "3");
        Assert.Contains("1.33", text);
        Assert.Contains("dropped", text);
        Assert.Equal(5, Json("explain", "conv", "--input", "7x7", "--kernel", "3").GetProperty("output_height").GetInt32());
        Assert.Equal(0, Json("explain", "conv", "--input", "7x7", "--kernel", "3", "--stride", "2").GetProperty("dropped_rows").GetInt32());
    }

    [Fact]
    public void SameAndValidOnSixtyThreeOfSeed002()
    {
        var same = Json("explain", "conv", "--input", "63x63x3", "--filters", "8", "--kernel", "3", "--padding", "same");
        Assert.Equal(31752, same.GetProperty("output_values").GetInt64());
        // The slide's 30x30x8 = 7,200 is a slip: the formula gives 31x31x8 = 7,688.
        var valid = Json("explain", "conv", "--input", "63x63x3", "--filters", "8", "--kernel", "3", "--padding", "valid", "--stride", "2");
        Assert.Equal(7688, valid.GetProperty("output_values").GetInt64());
    }

    [Fact]
    public void ReceptiveFieldWeightCountsOfSeed000()
    {
        Assert.Equal(75, Json("explain", "conv", "--input", "32x32x3", "--kernel", "5", "--no-bias").GetProperty("parameters").GetInt64());
        Assert.Equal(180, Json("explain", "conv", "--input", "32x32x20", "--kernel", "3", "--no-bias").GetProperty("parameters").GetInt64());
    }

    [Fact]
    public void DepthwiseSeparableCountsOfSeed004()
    {
        long dw = Json("explain", "conv", "--input", "14x14x256", "--filters", "256", "--kernel", "3", "--groups", "256", "--padding", "1", "--no-bias").GetProperty("parameters").GetInt64();
        long pw = Json("explain", "conv", "--input", "14x14x256", "--filters", "512", "--kernel", "1", "--no-bias").GetProperty("parameters").GetInt64();
        long full = Json("explain", "conv", "--input", "14x14x256", "--filters", "512", "--kernel", "3", "--padding", "1", "--no-bias").GetProperty("parameters").GetInt64();
        Assert.Equal(133376, dw + pw);
        Assert.Equal(1179648, full);
        Assert.Equal(133376, new DepthwiseSeparableConv2d(256, 512, 3, padding: 1, bias: false).ParameterCount());
    }

    [Fact]
    public void BottleneckCostOfSeed003()
    {
        long direct = Json("explain", "conv", "--input", "28x28x192", "--filters", "32", "--kernel", "5", "--padding", "same").GetProperty("multiply_accumulates").GetInt64();
        long reduce = Json("explain", "conv", "--input", "28x28x192", "--filters", "16", "--kernel", "1").GetProperty("multiply_accumulates").GetInt64();
        long then = Json("explain", "conv", "--input", "28x28x16", "--filters", "32", "--kernel", "5", "--padding", "same").GetProperty("multiply_accumulates").GetInt64();
        Assert.Equal(120_422_400, direct); // about 120M
        Assert.Equal(12_443_648, reduce + then); // about 12.4M
    }

    [Fact]
    public void TwoThreeByThreeCostLessThanOneFiveByFive()
    {
        const int c = 64;
        long three = Json("explain", "conv", "--input", "32x32x64", "--filters", "64", "--kernel", "3", "--no-bias").GetProperty("parameters").GetInt64();
        long five = Json("explain", "conv", "--input", "32x32x64", "--filters", "64", "--kernel", "5", "--no-bias").GetProperty("parameters").GetInt64();
        Assert.Equal(18 * c * c, 2 * three);
        Assert.Equal(25 * c * c, five);
    }

    [Fact]
    public void PoolingArithmetic()
    {
        var j = Json("explain", "pool", "--input", "55x55x96", "--kernel", "3", "--stride", "2");
        Assert.Equal(27, j.GetProperty("output_height").GetInt32());
        Assert.Equal(0, j.GetProperty("parameters").GetInt64());
        Assert.Equal(4, Json("explain", "pool", "--input", "7x7", "--kernel", "2", "--ceil-mode").GetProperty("output_height").GetInt32());
        Assert.Equal(3, Json("explain", "pool", "--input", "7x7", "--kernel", "2").GetProperty("output_height").GetInt32());
    }

    [Theory]
    [InlineData("--stride", "0", "--stride '0'")]
    [InlineData("--kernel", "9", "larger than the padded height")]
    [InlineData("--padding", "wide", "Padding 'wide'")]
    [InlineData("--groups", "2", "divisible by groups")]
    public void BadInputIsAUsageErrorWithAClearMessage(string option, string value, string fragment)
    {
        string[] args = option == "--kernel" ? ["explain", "conv", "--input", "7x7x3", option, value] : ["explain", "conv", "--input", "7x7x3", "--kernel", "3", option, value];
        var (code, _, err) = Run(args);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains(fragment, err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void MissingInputIsAUsageError()
    {
        var (code, _, err) = Run("explain", "conv", "--kernel", "3");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--input", err);
    }
}

public class ExplainStackTests
{
    private static System.Text.Json.JsonElement Json(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        Assert.True(StriateCli.Run([.. args, "--json"], o, e) == 0, e.ToString());
        return System.Text.Json.JsonDocument.Parse(o.ToString()).RootElement;
    }

    [Fact]
    public void AlexNetConv1WithSquareInputAndChannels()
    {
        var j = Json("explain", "conv", "--input", "227", "--kernel", "11", "--stride", "4", "--padding", "0", "--filters", "96", "--channels", "3");
        Assert.Equal(55, j.GetProperty("output_height").GetInt32());
        Assert.Equal(290400, j.GetProperty("output_values").GetInt64());
        Assert.Equal(105705600, j.GetProperty("connections").GetInt64());
        Assert.Equal(34944, j.GetProperty("parameters").GetInt64());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void DilatedThreeByThreeStacksReachTwoToTheKPlusOneMinusOne(int k)
    {
        // Seed 004: with dilation 2^(i-1) at layer i and F = 3, R_k = 2^(k+1) - 1.
        string layers = string.Join(",", Enumerable.Range(0, k).Select(i => $"k3d{1 << i}"));
        Assert.Equal((1L << (k + 1)) - 1, Json("explain", "receptive-field", "--layers", layers).GetProperty("receptive_field").GetInt64());
    }

    [Fact]
    public void ReceptiveFieldWithStrides()
    {
        // R = 1 + 2 = 3; + 2 = 5; pool 2/2: + 1 = 6, jump 2; 3x3: + 2 * 2 = 10.
        var j = Json("explain", "receptive-field", "--layers", "k3,k3,k2s2,k3");
        Assert.Equal([3L, 5, 6, 10], j.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("receptive_field").GetInt64()));
    }

    [Fact]
    public void DepthwiseOfSeed004()
    {
        var j = Json("explain", "depthwise", "--channels", "256", "--filters", "512", "--kernel", "3");
        Assert.Equal(133376, j.GetProperty("separable").GetInt64());
        Assert.Equal(1179648, j.GetProperty("full").GetInt64());
    }

    [Fact]
    public void BottleneckOfSeed003()
    {
        var j = Json("explain", "bottleneck", "--input", "28", "--channels", "192", "--filters", "32", "--kernel", "5", "--reduce", "16");
        Assert.Equal(120_422_400, j.GetProperty("direct").GetInt64()); // about 120M
        Assert.Equal(12_443_648, j.GetProperty("bottleneck").GetInt64()); // about 12.4M
    }
    [Theory]
    [InlineData(new[] { "explain", "conv", "-i", "100000x100000x100000", "-k", "3", "-f", "100000" }, "too large to hold in 64 bits")]
    [InlineData(new[] { "explain", "depthwise", "-c", "100000", "-f", "100000", "-k", "100000" }, "too large to hold in 64 bits")]
    [InlineData(new[] { "explain", "conv", "-i", "5", "-k", "3", "-d", "2147483647" }, "too large to hold in 64 bits")]
    [InlineData(new[] { "explain", "receptive-field", "-l", "k99999999999" }, "larger than 2147483647")]
    [InlineData(new[] { "explain", "bottleneck", "-i", "28x28x192", "-f", "32", "-r", "16", "-k", "3x5" }, "square here; got 3x5")]
    public void SizesBeyondTheArithmeticAreUsageErrors(string[] args, string expected)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        Assert.Equal(Striate.Cli.StriateCli.UsageError, Striate.Cli.StriateCli.Run(args, o, e));
        Assert.Contains(expected, e.ToString());
    }

    [Fact]
    public void ADilatedKernelIsBracketedInTheFormula()
    {
        var o = new StringWriter();
        Assert.Equal(0, Striate.Cli.StriateCli.Run(["explain", "conv", "-i", "9", "-k", "3", "-d", "2"], o, new StringWriter()));
        Assert.Contains("(9 + 0 + 0 - (2 x (3 - 1) + 1 = 5)) / 1 + 1 = 4 / 1 + 1", o.ToString());
    }
}
