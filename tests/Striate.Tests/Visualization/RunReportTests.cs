using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Striate.Cli;
using Striate.Tests.Support;
using Striate.Imaging;

namespace Striate.Tests.Visualization;

[Collection(nameof(SerialCollection))]
public class RunReportTests
{
    private static readonly Lazy<string> s_report = new(() =>
    {
        string html = Path.Combine(TrainedLeNet.Dir, "report", "run.html");
        var o = new StringWriter();
        var e = new StringWriter();
        int code = StriateCli.Run(["report", "--model", TrainedLeNet.Model, "--data", Repo.FashionMnist, "--test-limit", "1000", "-o", html], o, e);
        if (code != 0) throw new InvalidOperationException($"striate report failed ({code}): {e}");
        return html;
    });

    private static readonly string[] s_images = ["misclassified", "filters"];
    private static readonly string[] s_charts = ["loss", "accuracy", "learning-rate", "throughput", "confusion"];
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    // The inline SVG charts of a page, by the id of the figure that holds each.
    private static Dictionary<string, XElement> Charts(string html) =>
        Regex.Matches(html, "<figure (?:id|class)=\"([a-z-]+)\">(<svg.*?</svg>)</figure>", RegexOptions.Singleline)
            .ToDictionary(m => m.Groups[1].Value + (m.Groups[0].Value.StartsWith("<figure class", StringComparison.Ordinal) ? "#" + m.Index : ""), m => XElement.Parse(m.Groups[2].Value));

    [Fact]
    public void ReportInlinesEveryPictureAsADecodablePng()
    {
        string html = File.ReadAllText(s_report.Value);
        var images = Regex.Matches(html, "<img id=\"([a-z]+)\" alt=\"[^\"]*\" width=\"(\\d+)\" src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\">");
        Assert.Equal(s_images, images.Select(m => m.Groups[1].Value).ToArray());
        string dir = Repo.TempDir();
        foreach (Match m in images)
        {
            string png = Path.Combine(dir, m.Groups[1].Value + ".png");
            File.WriteAllBytes(png, Convert.FromBase64String(m.Groups[3].Value));
            var img = Image.Load(png, 3);
            Assert.Equal(int.Parse(m.Groups[2].Value), img.Width);
            Assert.True(img.Pixels.Max() - img.Pixels.Min() > 0.5f, $"{m.Groups[1].Value} is not blank");
        }
        Assert.DoesNotContain("src=\"http", html);
        Assert.Contains("<th>model</th><td>lenet5</td>", html);
        Assert.Contains("<th>schedule</th><td>constant</td>", html);
        Assert.Matches(@"Test accuracy <b>[0-9.]+ %</b> on 1,000 images after 2 epochs", html);
        Assert.Contains("conv2    Conv2d     16x10x10", html); // the model summary
        Assert.Equal(3, Regex.Matches(html, "<tr><td>\\d+</td>").Count + 1); // two epochs in the table

        // The curves and the confusion matrix are vector charts with real text.
        var charts = Charts(html);
        Assert.Equal(s_charts, charts.Keys.ToArray());
        string Legend(XElement svg) => string.Join("|", svg.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "legend").Select(g => g.Value));
        // The run logged every step (6,000 images less 10% held out, batches of 64: 85 a epoch), drawn behind the epochs' figures.
        Assert.Equal("train, per step|train|validation|test", Legend(charts["loss"]));
        var perStep = charts["loss"].Descendants(Svg + "polyline").First();
        Assert.Equal(170, perStep.Attribute("points")!.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal("train|validation|test", Legend(charts["accuracy"]));
        Assert.Equal("per step", Legend(charts["learning-rate"]));
        Assert.Equal(Striate.Data.FashionMnist.ClassNames.ToArray(),
            charts["confusion"].Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == "column").Select(t => t.Value).ToArray());
        Assert.Equal(170, Striate.Training.StepLog.Read(Path.ChangeExtension(TrainedLeNet.Model, ".steps.csv")).Count);
    }

    [Fact]
    public void ReportComparesSeveralRunsOnOnePage()
    {
        string dir = Repo.TempDir(), other = Path.Combine(dir, "sgd.safetensors"), html = Path.Combine(dir, "compare.html");
        var e = new StringWriter();
        int code = StriateCli.Run(["train", "--data", Repo.FashionMnist, "--limit", "1200", "--test-limit", "200", "--epochs", "3", "--seed", "7",
            "--optimizer", "sgd", "--lr", "0.05", "--out", other], new StringWriter(), e);
        Assert.True(code == 0, e.ToString());
        code = StriateCli.Run(["report", TrainedLeNet.Model, other, "--data", Repo.FashionMnist, "--test-limit", "300", "-o", html], new StringWriter(), e);
        Assert.True(code == 0, e.ToString());
        string page = File.ReadAllText(html);
        Assert.Contains("<h1>2 runs compared: lenet5, sgd</h1>", page);
        var results = Regex.Matches(page, "<tr><td><span style=\"color:#[0-9a-f]{6}\">&#9632;</span> ([a-z0-9]+)</td><td>lenet5</td><td>(\\d+)</td><td><b>[0-9.]+ %</b> on 300</td>");
        Assert.Equal(["lenet5:2", "sgd:3"], results.Select(m => m.Groups[1].Value + ":" + m.Groups[2].Value).ToArray());
        // Settings side by side; the rows that differ are marked, the rows that agree are not.
        Assert.Matches("<tr class=\"differs\"><th>seed</th><td>1</td><td>7</td></tr>", page);
        Assert.Matches("<tr><th>model</th><td>lenet5</td><td>lenet5</td></tr>", page);
        var charts = Charts(page);
        foreach (var id in new[] { "test-accuracy", "train-loss", "step-loss", "learning-rate", "throughput" })
            Assert.Equal(["lenet5", "sgd"], charts[id].Descendants(Svg + "polyline").Select(p => p.Attribute("data-name")!.Value).ToArray());
        // Only the first run held out a validation set.
        Assert.Equal(["lenet5"], charts["validation-accuracy"].Descendants(Svg + "polyline").Select(p => p.Attribute("data-name")!.Value).ToArray());
        Assert.Equal(2, charts.Keys.Count(k => k.StartsWith("confusion#", StringComparison.Ordinal)));

        var bad = new StringWriter();
        Assert.Equal(2, StriateCli.Run(["report", TrainedLeNet.Model, other, "--log", TrainedLeNet.Log, "-o", html], new StringWriter(), bad));
        Assert.Contains("--log names one run's log; 2 runs were given", bad.ToString());
        bad = new StringWriter();
        Assert.Equal(2, StriateCli.Run(["report", "-o", html], new StringWriter(), bad));
        Assert.Contains("give the checkpoint to report on", bad.ToString());
    }

    [Fact]
    public void ReportWithAMissingLogSaysWhereItLooked()
    {
        var e = new StringWriter();
        int code = StriateCli.Run(["report", "--model", TrainedLeNet.Model, "--log", Path.Combine(TrainedLeNet.Dir, "none.csv"), "--test-limit", "10", "-o", Path.Combine(TrainedLeNet.Dir, "x.html")], new StringWriter(), e);
        Assert.Equal(2, code);
        Assert.Contains("none.csv' does not exist", e.ToString());
    }

    [Fact]
    public void TrainWritesTheReportAfterTheRun()
    {
        string dir = Repo.TempDir(), model = Path.Combine(dir, "m.safetensors"), html = Path.Combine(dir, "new", "run.html");
        var o = new StringWriter();
        var e = new StringWriter();
        int code = StriateCli.Run(["train", "--data", Repo.FashionMnist, "--limit", "600", "--test-limit", "200", "--epochs", "2", "--seed", "5",
            "--out", model, "--report", html], o, e);
        Assert.True(code == 0, e.ToString());
        Assert.Contains("wrote " + html, o.ToString());
        string page = File.ReadAllText(html);
        Assert.Matches(@"Test accuracy <b>[0-9.]+ %</b> on 200 images after 2 epochs", page);
        Assert.Equal(2, Regex.Matches(page, "data:image/png;base64,").Count);
        Assert.Equal(5, Regex.Matches(page, "<svg ").Count);
    }

    private static (int Code, string Out) Browser(params string[] args)
    {
        var psi = new ProcessStartInfo(ChromiumFactAttribute.Browser!) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--user-data-dir=" + Repo.TempDir() }) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(90_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("chromium did not finish within 90 s: " + stderr.Result);
        }
        return (p.ExitCode, stdout.Result);
    }

    [ChromiumFact]
    public void ChromiumRendersEveryPictureOfTheReport()
    {
        string report = s_report.Value, dir = Repo.TempDir();
        // A copy with a probe that records each picture's decoded size once the page has loaded, and for each chart
        // whether the browser laid out its text, and any legend entry whose box meets the plot area.
        string probe = Path.Combine(dir, "probe.html");
        File.WriteAllText(probe, File.ReadAllText(report).Replace("</body>",
            "<script>addEventListener('load',()=>{for(const i of document.images){i.setAttribute('data-natural',i.complete+':'+i.naturalWidth+'x'+i.naturalHeight)}" +
            "for(const f of document.querySelectorAll('figure')){const svg=f.querySelector('svg');const texts=[...svg.querySelectorAll('text')];" +
            "const wide=texts.filter(t=>t.getBBox().width>0).length;const plot=svg.querySelector('rect.plot');let overlaps=0;" +
            "if(plot){const p=plot.getBBox();for(const g of svg.querySelectorAll('g.legend')){const b=g.getBBox();" +
            "if(b.x<p.x+p.width&&b.x+b.width>p.x&&b.y<p.y+p.height&&b.y+b.height>p.y)overlaps++}}" +
            "f.setAttribute('data-layout',wide+'/'+texts.length+':'+overlaps)}})</script></body>"));
        var (code, dom) = Browser("--virtual-time-budget=5000", "--dump-dom", new Uri(probe).AbsoluteUri);
        Assert.Equal(0, code);
        var sizes = Regex.Matches(dom, "id=\"([a-z]+)\"[^>]*data-natural=\"true:(\\d+)x(\\d+)\"");
        Assert.Equal(s_images, sizes.Select(m => m.Groups[1].Value).ToArray());
        Assert.All(sizes, m => Assert.True(int.Parse(m.Groups[2].Value) > 100 && int.Parse(m.Groups[3].Value) > 20, m.Value));
        // Every chart's text has width in the browser (at least a title, two axis labels, a legend entry and two ticks
        // on each axis; how many ticks depends on the values, and throughput is a timing), and no legend entry touches a plot.
        var layouts = Regex.Matches(dom, "<figure id=\"([a-z-]+)\" data-layout=\"(\\d+)/(\\d+):(\\d+)\"");
        Assert.Equal(s_charts, layouts.Select(m => m.Groups[1].Value).ToArray());
        Assert.All(layouts, m => Assert.True(m.Groups[2].Value == m.Groups[3].Value && int.Parse(m.Groups[3].Value) >= 8 && m.Groups[4].Value == "0", m.Value));

        // And a screenshot of the page itself: not blank, and showing the charts' colours.
        string shot = Path.Combine(dir, "shot.png");
        (code, _) = Browser("--window-size=1000,2400", "--screenshot=" + shot, new Uri(report).AbsoluteUri);
        Assert.Equal(0, code);
        var img = Image.Load(shot, 3);
        Assert.Equal((2400, 1000), (img.Height, img.Width));
        int hw = img.Height * img.Width, blue = 0, yellowish = 0, dark = 0;
        for (int i = 0; i < hw; i++)
        {
            float r = img.Pixels[i], g = img.Pixels[hw + i], b = img.Pixels[2 * hw + i];
            if (Math.Abs(r - 0.12f) < 0.05f && Math.Abs(g - 0.47f) < 0.05f && Math.Abs(b - 0.71f) < 0.05f) blue++; // train curve
            if (r > 0.6f && g > 0.75f && b < 0.35f) yellowish++; // confusion diagonal (viridis high end)
            if (r < 0.3f && g < 0.3f && b < 0.3f) dark++; // text and images
        }
        Assert.True(blue > 200, $"train-curve blue pixels: {blue}");
        Assert.True(yellowish > 1000, $"confusion-matrix yellow pixels: {yellowish}");
        Assert.True(dark > 5000, $"dark pixels: {dark}");
    }
}
