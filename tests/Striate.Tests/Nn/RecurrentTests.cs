using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using Striate.Tests.Support;

namespace Striate.Tests.Nn;

/// <summary>
/// RNN, LSTM (with peepholes and projections) and GRU against a float64 reference written from the equations, and
/// every gradient against central differences of that reference: odd sizes, reverse passes, variable lengths, then
/// whole networks of two bidirectional layers.
/// </summary>
public class RecurrentTests
{
    private static double Sig(double v) => 1 / (1 + Math.Exp(-v));

    // One layer and direction in float64. x [T, B, I]; h0 [B, H']; c0 [B, H]; returns outputs [T, B, H'] then the final h and c.
    internal static (double[] Y, double[] H, double[] C) RefLayer(RecurrentKind kind, double[] x, int steps, int batch, int input, double[] h0, double[]? c0,
        double[] wIh, double[] wHh, double[]? bIh, double[]? bHh, int hidden, double[]? wHr = null, int proj = 0, double[]? peep = null,
        bool reverse = false, int[]? lengths = null)
    {
        int gates = F.Gates(kind), outSize = proj > 0 ? proj : hidden;
        var h = (double[])h0.Clone();
        var c = c0 is null ? null : (double[])c0.Clone();
        var y = new double[steps * batch * outSize];
        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            var hNext = (double[])h.Clone();
            var cNext = c is null ? null : (double[])c.Clone();
            for (int b = 0; b < batch; b++)
            {
                if (lengths is not null && t >= lengths[b]) continue; // ended: state kept, output zero
                var a = new double[gates * hidden];
                var r = new double[gates * hidden];
                for (int j = 0; j < gates * hidden; j++)
                {
                    double s = bIh?[j] ?? 0, q = bHh?[j] ?? 0;
                    for (int i = 0; i < input; i++) s += wIh[j * input + i] * x[(t * batch + b) * input + i];
                    for (int i = 0; i < outSize; i++) q += wHh[j * outSize + i] * h[b * outSize + i];
                    a[j] = s;
                    r[j] = q;
                }
                var hb = new double[hidden];
                for (int u = 0; u < hidden; u++)
                {
                    switch (kind)
                    {
                        case RecurrentKind.RnnTanh: hb[u] = Math.Tanh(a[u] + r[u]); break;
                        case RecurrentKind.RnnRelu: hb[u] = Math.Max(0, a[u] + r[u]); break;
                        case RecurrentKind.Gru:
                        {
                            double rg = Sig(a[u] + r[u]), z = Sig(a[hidden + u] + r[hidden + u]);
                            double n = Math.Tanh(a[2 * hidden + u] + rg * r[2 * hidden + u]);
                            hb[u] = (1 - z) * n + z * h[b * outSize + u];
                            break;
                        }
                        default:
                        {
                            double cPrev = c![b * hidden + u];
                            double ig = Sig(a[u] + r[u] + (peep is null ? 0 : peep[u] * cPrev));
                            double fg = Sig(a[hidden + u] + r[hidden + u] + (peep is null ? 0 : peep[hidden + u] * cPrev));
                            double g = Math.Tanh(a[2 * hidden + u] + r[2 * hidden + u]);
                            double cNew = fg * cPrev + ig * g;
                            double og = Sig(a[3 * hidden + u] + r[3 * hidden + u] + (peep is null ? 0 : peep[2 * hidden + u] * cNew));
                            cNext![b * hidden + u] = cNew;
                            hb[u] = og * Math.Tanh(cNew);
                            break;
                        }
                    }
                }
                for (int o = 0; o < outSize; o++)
                {
                    double v = hb[o];
                    if (proj > 0)
                    {
                        v = 0;
                        for (int u = 0; u < hidden; u++) v += wHr![o * hidden + u] * hb[u];
                    }
                    hNext[b * outSize + o] = v;
                    y[(t * batch + b) * outSize + o] = v;
                }
            }
            h = hNext;
            c = cNext;
        }
        return (y, h, c ?? []);
    }

    private sealed record LayerCase(string Name, RecurrentKind Kind, int Steps, int Batch, int Input, int Hidden, bool Bias = true, int Proj = 0,
        bool Peep = false, bool Reverse = false, int[]? Lengths = null)
    {
        public override string ToString() => Name;
    }

    private static readonly LayerCase[] s_cases =
    [
        new("rnn tanh", RecurrentKind.RnnTanh, 4, 3, 5, 7),
        new("rnn relu, reverse, no bias", RecurrentKind.RnnRelu, 3, 2, 3, 4, Bias: false, Reverse: true),
        new("lstm", RecurrentKind.Lstm, 4, 2, 3, 5),
        new("lstm with peepholes", RecurrentKind.Lstm, 3, 2, 3, 4, Peep: true),
        new("lstm with a projection", RecurrentKind.Lstm, 3, 2, 4, 5, Proj: 3),
        new("lstm, lengths 4 and 2, reverse", RecurrentKind.Lstm, 4, 2, 3, 3, Reverse: true, Lengths: [4, 2]),
        new("lstm, lengths 1, 3, 2 (any order)", RecurrentKind.Lstm, 3, 3, 2, 3, Lengths: [1, 3, 2]),
        new("gru", RecurrentKind.Gru, 5, 2, 3, 4),
        new("gru, lengths 3 and 5, reverse", RecurrentKind.Gru, 5, 2, 3, 4, Reverse: true, Lengths: [3, 5]),
        new("gru, no bias, lengths 2, 4, 1", RecurrentKind.Gru, 4, 3, 2, 3, Bias: false, Lengths: [2, 4, 1]),
        new("rnn relu, lengths 3 and 1, reverse", RecurrentKind.RnnRelu, 3, 2, 4, 5, Reverse: true, Lengths: [3, 1]),
    ];

    public static TheoryData<string> Cases() => [.. s_cases.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Cases))]
    public void ALayerMatchesTheFloat64ReferenceAndFiniteDifferences(string name)
    {
        var k = s_cases.Single(c => c.Name == name);
        int g = F.Gates(k.Kind), outSize = k.Proj > 0 ? k.Proj : k.Hidden;
        // Inputs: x, h0, [c0], W_ih, W_hh, [b_ih, b_hh], [W_hr], [peepholes].
        var shapes = new List<int[]> { new[] { k.Steps, k.Batch, k.Input }, new[] { k.Batch, outSize } };
        bool lstm = k.Kind == RecurrentKind.Lstm;
        if (lstm) shapes.Add([k.Batch, k.Hidden]);
        int wAt = shapes.Count;
        shapes.Add([g * k.Hidden, k.Input]);
        shapes.Add([g * k.Hidden, outSize]);
        if (k.Bias) { shapes.Add([g * k.Hidden]); shapes.Add([g * k.Hidden]); }
        int hrAt = shapes.Count;
        if (k.Proj > 0) shapes.Add([k.Proj, k.Hidden]);
        int peepAt = shapes.Count;
        if (k.Peep) shapes.Add([3 * k.Hidden]);

        RecurrentWeights Weights(Tensor[] a) => new(a[wAt], a[wAt + 1], k.Bias ? a[wAt + 2] : null, k.Bias ? a[wAt + 3] : null,
            k.Proj > 0 ? a[hrAt] : null, k.Peep ? a[peepAt] : null);
        var c = new OpCase(k.Name, [.. shapes], a =>
        {
            var (y, h, cell) = F.RecurrentLayer(k.Kind, a[0], a[1], lstm ? a[2] : null, Weights(a), k.Reverse, k.Lengths);
            Tensor[] parts = cell is null ? [F.Reshape(y, y.Numel), F.Reshape(h, h.Numel)] : [F.Reshape(y, y.Numel), F.Reshape(h, h.Numel), F.Reshape(cell, cell.Numel)];
            return F.Concat(parts, 0);
        }, a =>
        {
            var (y, h, cell) = RefLayer(k.Kind, a[0], k.Steps, k.Batch, k.Input, a[1], lstm ? a[2] : null, a[wAt], a[wAt + 1],
                k.Bias ? a[wAt + 2] : null, k.Bias ? a[wAt + 3] : null, k.Hidden, k.Proj > 0 ? a[hrAt] : null, k.Proj, k.Peep ? a[peepAt] : null, k.Reverse, k.Lengths);
            return [.. y, .. h, .. cell];
        });
        for (ulong seed = 1; seed <= 2; seed++) Check.Op(c, seed);
    }

    [Theory]
    [InlineData(RecurrentKind.RnnTanh, false, 4, 7)]
    [InlineData(RecurrentKind.RnnRelu, true, 4, 7)]
    [InlineData(RecurrentKind.Lstm, false, 4, 7)]
    [InlineData(RecurrentKind.Lstm, true, 4, 7)]
    [InlineData(RecurrentKind.Gru, false, 4, 7)]
    [InlineData(RecurrentKind.Gru, true, 4, 7)]
    // Wide enough for whole vectors and a tail, and batches large enough to be split between threads.
    [InlineData(RecurrentKind.Lstm, true, 160, 19)]
    [InlineData(RecurrentKind.Gru, false, 160, 19)]
    [InlineData(RecurrentKind.RnnTanh, false, 160, 40)]
    public void TheWholeSequenceNodeGivesTheStepByStepAnswers(RecurrentKind kind, bool reverse, int batch, int hidden)
    {
        // State probes (zeros here) make the layer run step by step; without them it is one node for the sequence.
        const int steps = 6, input = 5;
        int g = F.Gates(kind);
        int[] lengths = [.. Enumerable.Range(0, batch).Select(b => b % 2 == 0 ? steps : 1 + b * 7 % steps)];
        var gen = new Generator(11);
        Tensor P(params int[] shape) { var t = Tensor.Uniform(gen, -0.6f, 0.6f, shape); t.RequiresGrad = true; return t; }
        var x = P(steps, batch, input);
        var h0 = P(batch, hidden);
        var c0 = kind == RecurrentKind.Lstm ? P(batch, hidden) : null;
        var w = new RecurrentWeights(P(g * hidden, input), P(g * hidden, hidden), P(g * hidden), P(g * hidden));
        var weights = new[] { Tensor.Uniform(gen, -1f, 1f, steps, batch, hidden), Tensor.Uniform(gen, -1f, 1f, batch, hidden), Tensor.Uniform(gen, -1f, 1f, batch, hidden) };
        Tensor[] leaves = c0 is null ? [x, h0, w.WeightIh, w.WeightHh, w.BiasIh!, w.BiasHh!] : [x, h0, c0, w.WeightIh, w.WeightHh, w.BiasIh!, w.BiasHh!];
        (float[] Values, float[][] Grads) Run(IReadOnlyList<Tensor>? probes)
        {
            foreach (var l in leaves) l.Grad = null;
            var (y, h, c) = F.RecurrentLayer(kind, x, h0, c0, w, reverse, lengths, probes);
            var loss = F.Add(F.Sum(F.Mul(y, weights[0])), F.Sum(F.Mul(h, weights[1])));
            if (c is not null) loss = F.Add(loss, F.Sum(F.Mul(c, weights[2])));
            loss.Backward();
            float[] values = [.. y.ToArray(), .. h.ToArray(), .. c?.ToArray() ?? []];
            return (values, [.. leaves.Select(l => l.Grad!.ToArray())]);
        }
        var fused = Run(null);
        var stepwise = Run([.. Enumerable.Range(0, steps).Select(_ => Tensor.Zeros(batch, hidden))]);
        Assert.Equal(stepwise.Values, fused.Values);   // the same arithmetic, to the last bit
        for (int i = 0; i < leaves.Length; i++)
            for (int j = 0; j < fused.Grads[i].Length; j++)
                Assert.True(Math.Abs(fused.Grads[i][j] - stepwise.Grads[i][j]) <= 1e-5 + 1e-5 * Math.Abs(stepwise.Grads[i][j]),
                    $"gradient {i}[{j}]: {fused.Grads[i][j]} whole sequence, {stepwise.Grads[i][j]} step by step");
    }

    [Fact]
    public void TheFusedLstmCellMatchesItsEquationsAndFiniteDifferences()
    {
        const int batch = 3, n = 5;
        var c = new OpCase("lstm cell", [[batch, 4 * n], [batch, n]], a => F.LstmCell(a[0], a[1]), a =>
        {
            var y = new double[batch * 2 * n];
            for (int b = 0; b < batch; b++)
                for (int u = 0; u < n; u++)
                {
                    double i = Sig(a[0][b * 4 * n + u]), f = Sig(a[0][b * 4 * n + n + u]), g = Math.Tanh(a[0][b * 4 * n + 2 * n + u]), o = Sig(a[0][b * 4 * n + 3 * n + u]);
                    double cNew = f * a[1][b * n + u] + i * g;
                    y[b * 2 * n + u] = o * Math.Tanh(cNew);
                    y[b * 2 * n + n + u] = cNew;
                }
            return y;
        }) { Low = -3, High = 3 };
        for (ulong seed = 1; seed <= 3; seed++) Check.Op(c, seed);
        Assert.Contains("expected gates [B, 4H]", Assert.Throws<ArgumentException>(() => F.LstmCell(Tensor.Zeros(2, 8), Tensor.Zeros(2, 3))).Message);
    }

    [Fact]
    public void TheFusedGruCellMatchesItsEquationsAndFiniteDifferences()
    {
        const int batch = 3, n = 4;
        var c = new OpCase("gru cell", [[batch, 3 * n], [batch, 3 * n], [batch, n]], a => F.GruCell(a[0], a[1], a[2]), a =>
        {
            var y = new double[batch * n];
            for (int b = 0; b < batch; b++)
                for (int u = 0; u < n; u++)
                {
                    int g0 = b * 3 * n;
                    double r = Sig(a[0][g0 + u] + a[1][g0 + u]), z = Sig(a[0][g0 + n + u] + a[1][g0 + n + u]);
                    double cand = Math.Tanh(a[0][g0 + 2 * n + u] + r * a[1][g0 + 2 * n + u]);
                    y[b * n + u] = (1 - z) * cand + z * a[2][b * n + u];
                }
            return y;
        }) { Low = -3, High = 3 };
        for (ulong seed = 1; seed <= 3; seed++) Check.Op(c, seed);
        Assert.Contains("expected projections [B, 3H]", Assert.Throws<ArgumentException>(() => F.GruCell(Tensor.Zeros(2, 6), Tensor.Zeros(2, 6), Tensor.Zeros(2, 3))).Message);
    }

    [Fact]
    public void OutputsPastASequencesEndAreZeroAndItsFinalStateIsItsOwnLastStep()
    {
        var lstm = new LSTM(3, 4, generator: new Generator(1));
        var x = Tensor.Uniform(new Generator(2), -1f, 1f, 5, 2, 3);
        var packed = lstm.Run(x, lengths: [5, 2]);
        // The second sequence alone, cut to its two steps.
        var alone = lstm.Run(F.Reshape(F.Narrow(F.Narrow(x, 1, 1, 1), 0, 0, 2), 2, 1, 3));
        var y = packed.Output.ToArray();
        for (int t = 2; t < 5; t++)
            for (int u = 0; u < 4; u++) Assert.Equal(0f, y[(t * 2 + 1) * 4 + u]);
        var hn = packed.Hidden.ToArray();
        var cn = packed.Cell!.ToArray();
        for (int u = 0; u < 4; u++)
        {
            Assert.Equal(alone.Hidden.ToArray()[u], hn[4 + u], 1e-6f);
            Assert.Equal(alone.Cell!.ToArray()[u], cn[4 + u], 1e-6f);
            Assert.Equal(alone.Output.ToArray()[4 + u], y[(1 * 2 + 1) * 4 + u], 1e-6f);
        }
    }

    [Theory]
    [InlineData(RecurrentKind.Lstm)]
    [InlineData(RecurrentKind.Gru)]
    [InlineData(RecurrentKind.RnnTanh)]
    public void TwoBidirectionalLayersMatchTheReferenceStackedByHand(RecurrentKind kind)
    {
        int steps = 4, batch = 3, input = 3, hidden = 5;
        var net = new RecurrentNetwork(kind, input, hidden, numLayers: 2, batchFirst: true, bidirectional: true, generator: new Generator(4));
        var x = Tensor.Uniform(new Generator(5), -1f, 1f, batch, steps, input);
        var h0 = Tensor.Uniform(new Generator(6), -1f, 1f, 4, batch, hidden);
        var c0 = kind == RecurrentKind.Lstm ? Tensor.Uniform(new Generator(7), -1f, 1f, 4, batch, hidden) : null;
        int[] lengths = [4, 1, 3];
        var got = net.Run(x, h0, c0, lengths);
        Assert.Equal([batch, steps, 2 * hidden], got.Output.Shape.ToArray());
        Assert.Equal([4, batch, hidden], got.Hidden.Shape.ToArray());

        // Reference: time-major input, each layer's two directions joined on the features.
        var xd = new double[steps * batch * input];
        var xv = x.ToArray();
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < steps; t++)
                for (int i = 0; i < input; i++) xd[(t * batch + b) * input + i] = xv[(b * steps + t) * input + i];
        double[] D(Tensor? t) => t is null ? [] : t.ToArray().D();
        double[] Slice(Tensor t, int s) => t.ToArray().Skip(s * batch * hidden).Take(batch * hidden).Select(v => (double)v).ToArray();
        var layerIn = xd;
        int width = input;
        var finalH = new List<double>();
        for (int layer = 0; layer < 2; layer++)
        {
            var outs = new double[2][];
            for (int d = 0; d < 2; d++)
            {
                var w = net.Weights(layer, d);
                var (y, h, _) = RefLayer(kind, layerIn, steps, batch, width, Slice(h0, layer * 2 + d), c0 is null ? null : Slice(c0, layer * 2 + d),
                    D(w.WeightIh), D(w.WeightHh), D(w.BiasIh), D(w.BiasHh), hidden, reverse: d == 1, lengths: lengths);
                outs[d] = y;
                finalH.AddRange(h);
            }
            var joined = new double[steps * batch * 2 * hidden];
            for (int r = 0; r < steps * batch; r++)
                for (int d = 0; d < 2; d++)
                    for (int u = 0; u < hidden; u++) joined[r * 2 * hidden + d * hidden + u] = outs[d][r * hidden + u];
            layerIn = joined;
            width = 2 * hidden;
        }
        var expected = new double[batch * steps * 2 * hidden];
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < batch; b++)
                for (int j = 0; j < 2 * hidden; j++) expected[(b * steps + t) * 2 * hidden + j] = layerIn[(t * batch + b) * 2 * hidden + j];
        Check.Close(expected, got.Output.Data, 1e-5, 1e-5, $"{kind} output");
        Check.Close([.. finalH], got.Hidden.Data, 1e-5, 1e-5, $"{kind} final hidden states");

        // The gradient of the input through both layers, against central differences of the network itself.
        x.RequiresGrad = true;
        var probe = Tensor.Uniform(new Generator(8), -1f, 1f, batch, steps, 2 * hidden);
        F.Sum(F.Mul(net.Run(x, h0, c0, lengths).Output, probe)).Backward();
        var analytic = x.Grad!.ToArray();
        var xs = x.ToArray();
        using var _ = Autograd.NoGrad();
        for (int e = 0; e < xs.Length; e += 5)
        {
            double Loss(float v)
            {
                var copy = (float[])xs.Clone();
                copy[e] = v;
                var y = net.Run(Tensor.FromArray(copy, batch, steps, input), h0, c0, lengths).Output.ToArray();
                double s = 0;
                var p = probe.ToArray();
                for (int i = 0; i < y.Length; i++) s += (double)y[i] * p[i];
                return s;
            }
            const float step = 1e-2f;
            double numeric = (Loss(xs[e] + step) - Loss(xs[e] - step)) / (2 * step);
            Assert.True(Math.Abs(numeric - analytic[e]) <= 2e-3 + 2e-2 * Math.Abs(numeric), $"{kind}: input gradient {e}: {analytic[e]}, numeric {numeric}");
        }
    }

    [Fact]
    public void TheParametersHavePyTorchsNamesAndShapes()
    {
        var lstm = new LSTM(10, 20, numLayers: 2, bidirectional: true, projSize: 5);
        var shapes = lstm.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape.ToArray());
        Assert.Equal([80, 10], shapes["weight_ih_l0"]);
        Assert.Equal([80, 5], shapes["weight_hh_l0"]);
        Assert.Equal([80], shapes["bias_ih_l0_reverse"]);
        Assert.Equal([5, 20], shapes["weight_hr_l0"]);
        Assert.Equal([80, 10], shapes["weight_ih_l1"]); // two directions of 5
        Assert.Equal(20, shapes.Count);
        var gru = new GRU(3, 4, bias: false);
        Assert.Equal(["weight_ih_l0", "weight_hh_l0"], gru.StateDict().Select(kv => kv.Key));
        Assert.Equal([12, 3], gru.StateDict().First().Value.Shape.ToArray());
        var cell = new LSTMCell(3, 4);
        Assert.Equal(["weight_ih", "weight_hh", "bias_ih", "bias_hh"], cell.StateDict().Select(kv => kv.Key));
        // PyTorch's initialisation: uniform in +-1/sqrt(hidden).
        Assert.All(new LSTM(7, 16).Parameters(), p => Assert.All(p.ToArray(), v => Assert.InRange(v, -0.25f, 0.25f)));
    }

    [Fact]
    public void UnbatchedInputAndCellsGiveTheBatchedAnswers()
    {
        var gru = new GRU(3, 4, generator: new Generator(9));
        var x = Tensor.Uniform(new Generator(10), -1f, 1f, 5, 3);
        var single = gru.Run(x);
        var batched = gru.Run(F.Reshape(x, 5, 1, 3));
        Assert.Equal(batched.Output.ToArray(), single.Output.ToArray());
        Assert.Equal([5, 4], single.Output.Shape.ToArray());
        Assert.Equal([1, 4], single.Hidden.Shape.ToArray());

        // A cell stepped by hand is the one-layer network.
        var cell = new LSTMCell(3, 4, generator: new Generator(11));
        var lstm = new LSTM(3, 4);
        lstm.LoadStateDict(cell.StateDict().ToDictionary(kv => kv.Key + "_l0", kv => kv.Value));
        var seq = Tensor.Uniform(new Generator(12), -1f, 1f, 3, 2, 3);
        Tensor? h = null, c = null;
        for (int t = 0; t < 3; t++) (h, c) = cell.Step(F.Reshape(F.Narrow(seq, 0, t, 1), 2, 3), h, c);
        var whole = lstm.Run(seq);
        Check.Close(whole.Hidden.ToArray(), h!.Data, 1e-6, 1e-6, "cell against layer, h");
        Check.Close(whole.Cell!.ToArray(), c!.Data, 1e-6, 1e-6, "cell against layer, c");
    }

    [Fact]
    public void BadInputIsRefusedNamingTheLayer()
    {
        var lstm = new LSTM(3, 4, numLayers: 2);
        var x = Tensor.Zeros(5, 2, 3);
        Assert.Contains("LSTM: expected 3 input features", Assert.Throws<ArgumentException>(() => lstm.Run(Tensor.Zeros(5, 2, 4))).Message);
        Assert.Contains("LSTM: expected input of rank 3", Assert.Throws<ArgumentException>(() => lstm.Run(Tensor.Zeros(5, 2, 3, 1))).Message);
        Assert.Contains("expected h0 of shape [2, 2, 4]", Assert.Throws<ArgumentException>(() => lstm.Run(x, Tensor.Zeros(1, 2, 4))).Message);
        Assert.Contains("expected c0 of shape [2, 2, 4]", Assert.Throws<ArgumentException>(() => lstm.Run(x, null, Tensor.Zeros(2, 3, 4))).Message);
        Assert.Contains("between 1 and the sequence's 5 steps, got 6", Assert.Throws<ArgumentException>(() => lstm.Run(x, lengths: [6, 1])).Message);
        Assert.Contains("between 1 and the sequence's 5 steps, got 0", Assert.Throws<ArgumentException>(() => lstm.Run(x, lengths: [0, 1])).Message);
        Assert.Contains("expected 2 lengths", Assert.Throws<ArgumentException>(() => lstm.Run(x, lengths: [5])).Message);
        Assert.Contains("the input sequence is empty", Assert.Throws<ArgumentException>(() => lstm.Run(Tensor.Zeros(0, 2, 3))).Message);
        Assert.Contains("GRU: only an LSTM takes a cell state", Assert.Throws<ArgumentException>(() => new GRU(3, 4).Run(x, null, Tensor.Zeros(1, 2, 4))).Message);
        Assert.Contains("nonlinearity must be 'tanh' or 'relu'", Assert.Throws<ArgumentException>(() => new RNN(3, 4, nonlinearity: "sigmoid")).Message);
        Assert.Contains("proj_size", Assert.Throws<ArgumentException>(() => new LSTM(3, 4, projSize: 4)).Message);
        Assert.Contains("GRUCell: expected input [batch, 3]", Assert.Throws<ArgumentException>(() => new GRUCell(3, 4).Step(Tensor.Zeros(2, 5))).Message);
    }

    [Fact]
    public void EmbeddingLooksUpRowsAndThePaddingRowGetsNoGradient()
    {
        var emb = new Embedding(5, 3, paddingIdx: 0, generator: new Generator(1));
        var w = emb.Weight.ToArray();
        Assert.Equal([0f, 0f, 0f], w[..3]);
        var y = emb.Forward(Tensor.FromArray([1, 0, 4, 1], 2, 2));
        Assert.Equal([2, 2, 3], y.Shape.ToArray());
        int[] rows = [1, 0, 4, 1];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 3; j++) Assert.Equal(w[rows[i] * 3 + j], y.ToArray()[i * 3 + j]);
        var g = Tensor.Uniform(new Generator(2), -1f, 1f, 2, 2, 3);
        F.Sum(F.Mul(y, g)).Backward();
        var grad = emb.Weight.Grad!.ToArray();
        var gv = g.ToArray();
        for (int j = 0; j < 3; j++)
        {
            Assert.Equal(0f, grad[j]); // padding
            Assert.Equal(gv[j] + gv[9 + j], grad[3 + j], 1e-6f);
            Assert.Equal(gv[6 + j], grad[12 + j]);
            Assert.Equal(0f, grad[6 + j]);
        }
        Assert.Contains("index 5 at position 1", Assert.Throws<ArgumentException>(() => emb.Forward(Tensor.FromArray([1, 5], 2))).Message);
        Assert.Contains("index 1.5", Assert.Throws<ArgumentException>(() => emb.Forward(Tensor.FromArray([1.5f], 1))).Message);
        Assert.Contains("padding_idx", Assert.Throws<ArgumentException>(() => new Embedding(5, 3, paddingIdx: 5)).Message);
        Assert.Equal(4, new Embedding(5, 3, paddingIdx: -1).PaddingIdx);
    }
}
