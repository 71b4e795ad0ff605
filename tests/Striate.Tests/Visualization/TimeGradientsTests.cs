using Striate.Models;
using Striate.Ops;
using Striate.Tensors;
using Striate.Tests.Support;
using Striate.Visualization;

namespace Striate.Tests.Visualization;

/// <summary>The gradient with respect to each step's hidden state: exact at the last step, central differences before it, values untouched.</summary>
public class TimeGradientsTests
{
    private static RowRecurrentNet Net(RecurrentKind kind) => new(kind, 4, 1, 6, 5, hidden: 7, generator: new Generator(3));

    [Theory]
    [InlineData(RecurrentKind.RnnTanh)]
    [InlineData(RecurrentKind.Lstm)]
    [InlineData(RecurrentKind.Gru)]
    public void TheNormsAreTheGradientsOfEachStepsState(RecurrentKind kind)
    {
        var net = Net(kind);
        net.Eval();
        var x = Tensor.Uniform(new Generator(4), 0f, 1f, 3, 1, 6, 5);
        int[] labels = [0, 3, 1];
        var norms = TimeGradients.Measure(net, x, labels);
        Assert.Equal(6, norms.Length);
        Assert.All(norms, v => Assert.True(v > 0 && double.IsFinite(v)));

        // The last step's state reaches the loss only through the head: dL_i/dh_T = W^T (softmax_i - onehot_i).
        float[] logits;
        using (Autograd.NoGrad()) logits = net.Forward(x).ToArray();
        var w = net.Fc.Weight.ToArray();
        double expectedLast = 0;
        for (int b = 0; b < 3; b++)
        {
            var z = logits.Skip(b * 4).Take(4).Select(v => (double)v).ToArray();
            double m = z.Max(), sum = z.Sum(v => Math.Exp(v - m));
            var p = z.Select(v => Math.Exp(v - m) / sum).ToArray();
            p[labels[b]] -= 1;
            double sq = 0;
            for (int u = 0; u < 7; u++)
            {
                double g = 0;
                for (int k = 0; k < 4; k++) g += w[k * 7 + u] * p[k];
                sq += g * g;
            }
            expectedLast += Math.Sqrt(sq) / 3;
        }
        Assert.Equal(expectedLast, norms[^1], 1e-5);

        // An earlier step: the gradient of the summed loss with respect to a shift of h_t, by central differences.
        double Loss(int t, int b, int u, float shift)
        {
            using var scope = TensorScope.Begin();
            using var _ = Autograd.NoGrad();
            var probes = Enumerable.Range(0, 6).Select(_ => Tensor.Zeros(3, 7)).ToList();
            probes[t].Data[b * 7 + u] = shift;
            return F.CrossEntropy(net.ForwardWithStateProbes(x, probes), labels).Item() * 3.0;
        }
        const int step = 2;
        double norm = 0;
        for (int b = 0; b < 3; b++)
        {
            double sq = 0;
            for (int u = 0; u < 7; u++)
            {
                double d = (Loss(step, b, u, 1e-2f) - Loss(step, b, u, -1e-2f)) / 2e-2;
                sq += d * d;
            }
            norm += Math.Sqrt(sq) / 3;
        }
        Assert.True(Math.Abs(norm - norms[step]) <= 2e-3 + 2e-2 * norm, $"{kind}: step {step + 1}: {norms[step]}, central differences {norm}");

        // Zero probes change nothing, and the parameters are left without gradients.
        using (Autograd.NoGrad())
            Assert.Equal(logits, net.ForwardWithStateProbes(x, [.. Enumerable.Range(0, 6).Select(_ => Tensor.Zeros(3, 7))]).ToArray());
        Assert.All(net.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void TheChartHasALinePerModelAndRefusesNothing()
    {
        var image = TimeGradients.Draw([("rnn", [1e-6, 1e-3, 1]), ("lstm", [1e-2, 1e-1, 1])]);
        Assert.True(image.Width > 500 && image.Height > 300);
        Assert.Throws<ArgumentException>(() => TimeGradients.Draw([]));
        Assert.Throws<ArgumentException>(() => TimeGradients.Draw([("zero", [0.0, 0.0])]));
    }
}

/// <summary>striate visualize time-gradients: the picture, the table, and a model that does not read rows refused.</summary>
[Collection(nameof(SerialCollection))]
public class TimeGradientsCliTests
{
    [Fact]
    public void ThePictureAndTheTableForTwoModels()
    {
        string png = Path.Combine(Repo.TempDir(), "grads.png");
        var (code, stdout, err) = CliRun.Run(["visualize", "time-gradients", "--model", "rnn-rows", "--model", "lstm-rows", "--train-steps", "2", "--batch", "8",
            "--data", Repo.FashionMnist, "-o", png]);
        Assert.True(code == 0, err);
        Assert.True(new FileInfo(png).Length > 1000);
        var rows = stdout.Split('\n').Where(l => l.Length > 4 && char.IsDigit(l.TrimStart()[0])).ToList();
        Assert.Equal(28, rows.Count);
        Assert.Contains("rnn-rows, after 2 steps: first step / last step", stdout);
        Assert.Contains("lstm-rows, after 2 steps: first step / last step", stdout);

        (code, _, err) = CliRun.Run(["visualize", "time-gradients", "--model", "lenet5", "--data", Repo.FashionMnist, "-o", png]);
        Assert.Equal(2, code);
        Assert.Contains("does not read rows", err);
    }

    [Fact]
    public void TheRunReportOfARowModelShowsItsGradientThroughTime()
    {
        string dir = Repo.TempDir(), report = Path.Combine(dir, "run.html");
        var (code, _, err) = CliRun.Run(["train", "--model", "rnn-rows", "--epochs", "1", "--limit", "256", "--test-limit", "64", "--data", Repo.FashionMnist,
            "--out", Path.Combine(dir, "rnn.safetensors"), "--report", report]);
        Assert.True(code == 0, err);
        string html = File.ReadAllText(report);
        Assert.Contains("<h2>Gradient through time</h2>", html);
        Assert.Contains("each of the 28 steps", html);
        Assert.Contains("id=\"time-gradients\"", html);
    }
}
