using System.Globalization;
using System.Xml.Linq;
using Striate.Imaging;
using Striate.Optim;
using Striate.Tests.Support;
using Striate.Training;
using Striate.Visualization;

namespace Striate.Tests.Visualization;

public class SvgChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static double Attr(XElement e, string name) => double.Parse(e.Attribute(name)!.Value, CultureInfo.InvariantCulture);

    [Fact]
    public void LinesPlaceEveryPointWhereItsAxesSayAndKeepTheLegendOffThePlot()
    {
        var train = new ChartSeries("train", "#1f77b4", [(1, 1.2), (2, 0.7), (3, 0.5)]);
        var validation = new ChartSeries("validation", "#ff7f0e", [(1, 1.0), (2, 0.8), (3, double.NaN)]);
        var test = new ChartSeries("test", "#2ca02c", [(1, double.NaN), (2, double.NaN)]);
        var doc = XDocument.Parse(SvgChart.Lines("loss", "epoch", "cross-entropy", [train, validation, test], fromZero: true));
        var texts = doc.Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains("loss", texts);
        Assert.Contains("epoch", texts);
        Assert.Contains("cross-entropy", texts);

        // One line per series with a finite point; the test series has none.
        var lines = doc.Descendants(Svg + "polyline").ToList();
        Assert.Equal(["train", "validation"], lines.Select(l => l.Attribute("data-name")!.Value).ToArray());

        // The y ticks are round values from 0, and every point lies where linear interpolation between ticks puts it.
        var yTicks = doc.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == "ytick")
            .Select(t => (Value: double.Parse(t.Value, CultureInfo.InvariantCulture), Y: Attr(t, "y") - 4)).ToList();
        var xTicks = doc.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == "xtick")
            .Select(t => (Value: double.Parse(t.Value, CultureInfo.InvariantCulture), X: Attr(t, "x"))).ToList();
        Assert.Equal(0, yTicks[0].Value);
        Assert.True(yTicks[^1].Value >= 1.2, $"top tick {yTicks[^1].Value}");
        Assert.Equal([1.0, 2, 3], xTicks.Select(t => t.Value).ToArray());
        double YOf(double v) => yTicks[0].Y + (v - yTicks[0].Value) / (yTicks[^1].Value - yTicks[0].Value) * (yTicks[^1].Y - yTicks[0].Y);
        double XOf(double v) => xTicks[0].X + (v - 1) / 2 * (xTicks[^1].X - xTicks[0].X);
        var points = lines[0].Attribute("points")!.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToList();
        Assert.Equal(3, points.Count);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(XOf(train.Points[i].X), points[i][0], 0.1);
            Assert.Equal(YOf(train.Points[i].Y), points[i][1], 0.1);
        }
        Assert.Equal(2, lines[1].Attribute("points")!.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);

        // The legend names both drawn series and lies wholly below the plot and its axis labels.
        var plot = doc.Descendants(Svg + "rect").Single(r => (string?)r.Attribute("class") == "plot");
        double bottom = Attr(plot, "y") + Attr(plot, "height");
        var legend = doc.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "legend").ToList();
        Assert.Equal(["train", "validation"], legend.Select(g => g.Element(Svg + "text")!.Value).ToArray());
        double xLabel = Attr(doc.Descendants(Svg + "text").Single(t => t.Value == "epoch"), "y");
        foreach (var g in legend)
        {
            Assert.True(Attr(g.Element(Svg + "rect")!, "y") > xLabel, "legend swatch below the axis label");
            Assert.True(Attr(g.Element(Svg + "text")!, "y") - 12 > xLabel && xLabel > bottom, "legend text below the axis label");
        }
        Assert.Throws<ArgumentException>(() => SvgChart.Lines("x", "x", "y", [test]));
    }

    [Fact]
    public void PercentChartsWriteTheirTicksAsPercentages()
    {
        var doc = XDocument.Parse(SvgChart.Lines("accuracy", "epoch", "accuracy", [new ChartSeries("test", "#000", [(1, 0.52), (2, 0.78)])], percent: true));
        var ticks = doc.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == "ytick").Select(t => t.Value).ToList();
        Assert.All(ticks, t => Assert.EndsWith("%", t));
        Assert.Equal("50%", ticks[0]);
        Assert.Equal("80%", ticks[^1]);
    }

    [Theory]
    [InlineData(0.013, 0.87, false, 0.0, 1.0, 0.2)]
    [InlineData(1, 3, true, 1, 3, 1)]
    [InlineData(1, 40, true, 0, 40, 10)]
    [InlineData(0.0004, 0.0021, false, 0.0, 0.0025, 0.0005)]
    [InlineData(5, 5, false, 4.4, 5.6, 0.2)]
    public void AxesRoundOutwardsToOneTwoOrFiveTimesAPowerOfTen(double lo, double hi, bool integral, double a, double b, double step)
    {
        var (l, h, s) = SvgChart.Axis(lo, hi, integral);
        Assert.Equal(step, s, 1e-12);
        Assert.Equal(a, l, 1e-12);
        Assert.Equal(b, h, 1e-12);
    }

    [Fact]
    public void ConfusionColoursEachCellByItsRowFractionAndNamesBothAxes()
    {
        long[,] m = { { 8, 2, 0 }, { 0, 5, 5 }, { 1, 0, 9 } };
        var doc = XDocument.Parse(SvgChart.Confusion(m, ["cat", "dog", "bird"]));
        var cells = doc.Descendants(Svg + "rect").Where(r => (string?)r.Attribute("class") == "cell").ToList();
        Assert.Equal(9, cells.Count);
        for (int t = 0; t < 3; t++)
            for (int p = 0; p < 3; p++)
            {
                var (r, g, b) = Colormap.Viridis(m[t, p] / (float)(m[t, 0] + m[t, 1] + m[t, 2]));
                string fill = cells[t * 3 + p].Attribute("fill")!.Value;
                Assert.Equal(r, Convert.ToInt32(fill[1..3], 16) / 255f, 0.003f);
                Assert.Equal(g, Convert.ToInt32(fill[3..5], 16) / 255f, 0.003f);
                Assert.Equal(b, Convert.ToInt32(fill[5..7], 16) / 255f, 0.003f);
            }
        Assert.Contains("true dog, predicted bird: 5", cells[5].Element(Svg + "title")!.Value);
        string[] Labels(string cls) => doc.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == cls).Select(t => t.Value).ToArray();
        Assert.Equal(["cat", "dog", "bird"], Labels("row"));
        Assert.Equal(["cat", "dog", "bird"], Labels("column"));
        Assert.Throws<ArgumentException>(() => SvgChart.Confusion(new long[2, 3], ["a", "b"]));
    }

    [Fact]
    public void StepLogRoundTripsAndAResumedEpochReplacesItsInterruptedSteps()
    {
        string path = Path.Combine(Repo.TempDir(), "run.steps.csv");
        static BatchProgress P(int epoch, int batch, double? loss, double lr) => new(epoch, batch, 3, 0, 0, 0, TimeSpan.Zero, loss, lr);
        using (var log = new StepLog(path, restart: true))
        {
            log.Add(P(0, 1, 2.5, 0.01));
            log.Add(P(0, 2, null, 0.01)); // a skipped batch
            log.Add(P(0, 3, 1.5, 0.005));
            log.Add(P(1, 1, 9.0, 0.005)); // interrupted here
        }
        using (var log = new StepLog(path, restart: false))
        {
            log.Add(P(1, 1, 1.25, 0.005));
            log.Add(P(1, 2, 1.0, 0.0025));
        }
        var steps = StepLog.Read(path);
        Assert.Equal([(1, 1), (1, 2), (1, 3), (2, 1), (2, 2)], steps.Select(s => (s.Epoch, s.Batch)).ToArray());
        Assert.Null(steps[1].Loss);
        Assert.Equal(1.25, steps[3].Loss);
        Assert.Equal(0.0025, steps[4].LearningRate, 1e-9);
        Assert.Equal(1 + 2 / 3.0, steps[4].Position, 1e-12);

        using (var log = new StepLog(path, restart: true)) log.Add(P(0, 1, 2.0, 0.1));
        Assert.Single(StepLog.Read(path));

        File.AppendAllText(path, "1,4,3,1.0,0.1\n");
        Assert.Contains("line 3: batch 4 of 3", Assert.Throws<InvalidDataException>(() => StepLog.Read(path)).Message);
        File.WriteAllText(path, "epoch,batch,batches,loss,lr\n1,1,3,abc,0.1\n");
        Assert.Contains("line 2: loss 'abc' is not a number", Assert.Throws<InvalidDataException>(() => StepLog.Read(path)).Message);
        File.WriteAllText(path, "epoch,loss\n");
        Assert.Contains("expected the header", Assert.Throws<InvalidDataException>(() => StepLog.Read(path)).Message);
    }

    [Fact]
    public void LongStepLogsAreDrawnAsMeansOfConsecutiveSteps()
    {
        var steps = Enumerable.Range(1, 3000).Select(b => new StepRecord(1, b, 3000, b % 2 == 0 ? 1.0 : 3.0, 0.1)).ToList();
        var points = RunReport.StepPoints(steps, s => s.Loss);
        Assert.Equal(1500, points.Count);
        Assert.All(points, p => Assert.Equal(2.0, p.Y, 1e-12));
        Assert.Equal((1 / 3000.0 + 2 / 3000.0) / 2, points[0].X, 1e-12);
    }
}
