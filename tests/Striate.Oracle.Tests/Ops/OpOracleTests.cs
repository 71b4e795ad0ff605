using Striate.Ops;
using TorchSharp;
using static TorchSharp.torch.nn.functional;
using ST = Striate.Tensors.Tensor;
using TT = TorchSharp.torch.Tensor;

namespace Striate.Oracle.Tests.Ops;

/// <summary>Every op's forward and backward against libtorch on the same random inputs (relative error below 1e-4).</summary>
public class OpOracleTests
{
    private static long[] L(params int[] v) => v.Select(x => (long)x).ToArray();

    private static OracleCase Conv(string name, int[] xs, int[] ws, bool bias, (int, int) s, Padding2d p, (int, int) d, int groups)
    {
        var (pt, pb, pl, pr) = p.Resolve(ws[2], ws[3], d.Item1, d.Item2);
        int[][] shapes = bias ? [xs, ws, [ws[0]]] : [xs, ws];
        return new OracleCase(name, shapes,
            t => F.Conv2d(t[0], t[1], bias ? t[2] : null, s, p, d, groups),
            t => conv2d(pad(t[0], L(pl, pr, pt, pb)), t[1], bias ? t[2] : null, L(s.Item1, s.Item2), L(0, 0), L(d.Item1, d.Item2), groups));
    }

    private static OracleCase ConvT(string name, int[] xs, int[] ws, bool bias, (int, int) s, (int, int) p, (int, int) op, (int, int) d, int groups)
    {
        int[][] shapes = bias ? [xs, ws, [ws[1] * groups]] : [xs, ws];
        return new OracleCase(name, shapes,
            t => F.ConvTranspose2d(t[0], t[1], bias ? t[2] : null, s, p, op, d, groups),
            t => conv_transpose2d(t[0], t[1], bias ? t[2] : null, L(s.Item1, s.Item2), L(p.Item1, p.Item2), L(op.Item1, op.Item2), L(d.Item1, d.Item2), groups));
    }

    private static OracleCase Max(string name, int[] xs, (int, int) k, (int, int) s, (int, int) p, (int, int) d, bool ceil) =>
        new(name, [xs], t => F.MaxPool2d(t[0], k, s, p, d, ceil), t => max_pool2d(t[0], L(k.Item1, k.Item2), L(s.Item1, s.Item2), L(p.Item1, p.Item2), L(d.Item1, d.Item2), ceil));

    private static OracleCase Avg(string name, int[] xs, (int, int) k, (int, int) s, (int, int) p, bool ceil, bool countPad) =>
        new(name, [xs], t => F.AvgPool2d(t[0], k, s, p, ceil, countPad), t => avg_pool2d(t[0], L(k.Item1, k.Item2), L(s.Item1, s.Item2), L(p.Item1, p.Item2), ceil, countPad));

    private static TT Targets(params long[] t) => torch.tensor(t, torch.int64);

    public static IEnumerable<object[]> Cases() => new OracleCase[]
    {
        Conv("conv2d 29x31 pad 1 bias", [2, 3, 29, 31], [5, 3, 3, 3], true, (1, 1), 1, (1, 1), 1),
        Conv("conv2d stride (2,3) asymmetric padding", [1, 2, 9, 8], [3, 2, 2, 3], false, (2, 3), new Padding2d(1, 0, 2, 1), (1, 1), 1),
        Conv("conv2d dilation 2", [2, 2, 13, 11], [4, 2, 3, 3], true, (1, 1), 2, (2, 2), 1),
        Conv("conv2d dilation 3 stride 2", [1, 3, 17, 15], [2, 3, 3, 3], true, (2, 2), 1, (3, 3), 1),
        Conv("conv2d groups 2", [2, 4, 9, 7], [6, 2, 3, 3], true, (1, 1), 1, (1, 1), 2),
        Conv("conv2d depthwise", [2, 6, 11, 10], [6, 1, 3, 3], true, (1, 1), 1, (1, 1), 6),
        Conv("conv2d same, even kernel", [1, 3, 7, 9], [2, 3, 4, 2], true, (1, 1), Padding2d.Same, (1, 1), 1),
        Conv("conv2d stride > kernel", [2, 2, 13, 14], [3, 2, 2, 2], true, (3, 3), 0, (1, 1), 1),
        Conv("conv2d 1x1", [2, 9, 5, 6], [4, 9, 1, 1], true, (1, 1), 0, (1, 1), 1),
        Conv("conv2d batch 1, 5x5 valid", [1, 1, 12, 11], [6, 1, 5, 5], true, (1, 1), Padding2d.Valid, (1, 1), 1),
        ConvT("conv_transpose2d stride 2 output padding", [2, 3, 5, 4], [3, 2, 3, 3], true, (2, 2), (1, 1), (1, 1), (1, 1), 1),
        ConvT("conv_transpose2d groups 2 dilation 2", [1, 4, 4, 5], [4, 3, 3, 2], true, (1, 2), (1, 0), (0, 1), (2, 2), 2),
        Max("max_pool2d 3/2 pad 1", [2, 3, 29, 31], (3, 3), (2, 2), (1, 1), (1, 1), false),
        Max("max_pool2d ceil mode", [1, 2, 7, 9], (2, 2), (2, 2), (0, 0), (1, 1), true),
        Max("max_pool2d ceil mode, last window in the padding", [1, 2, 6, 6], (3, 3), (2, 2), (1, 1), (1, 1), true),
        Max("max_pool2d dilation 2", [1, 3, 11, 12], (3, 2), (1, 2), (1, 1), (2, 2), false),
        Max("max_pool2d stride > kernel", [2, 1, 10, 11], (2, 2), (3, 3), (0, 0), (1, 1), false),
        Avg("avg_pool2d count_include_pad", [2, 2, 9, 7], (3, 3), (2, 2), (1, 1), false, true),
        Avg("avg_pool2d exclude pad", [2, 2, 9, 7], (3, 3), (2, 2), (1, 1), false, false),
        Avg("avg_pool2d ceil mode", [1, 3, 7, 8], (3, 2), (2, 3), (1, 1), true, true),
        Avg("avg_pool2d ceil mode exclude pad", [1, 2, 6, 5], (2, 2), (2, 2), (1, 1), true, false),
        new("adaptive_avg_pool2d 7x9 to 3x4", [[2, 3, 7, 9]], t => F.AdaptiveAvgPool2d(t[0], (3, 4)), t => adaptive_avg_pool2d(t[0], L(3, 4))),
        new("adaptive_avg_pool2d global", [[2, 5, 6, 7]], t => F.GlobalAvgPool2d(t[0]), t => adaptive_avg_pool2d(t[0], L(1, 1))),
        new("linear", [[5, 7], [3, 7], [3]], t => F.Linear(t[0], t[1], t[2]), t => linear(t[0], t[1], t[2])),
        new("linear 3-D, no bias", [[2, 3, 7], [4, 7]], t => F.Linear(t[0], t[1]), t => linear(t[0], t[1])),
        new("matmul", [[3, 5], [5, 4]], t => F.MatMul(t[0], t[1]), t => torch.matmul(t[0], t[1])),
        new("bmm", [[2, 3, 5], [2, 5, 4]], t => F.MatMul(t[0], t[1]), t => torch.bmm(t[0], t[1])),
        new("relu", [[4, 9]], t => F.Relu(t[0]), t => relu(t[0])),
        new("leaky_relu", [[4, 9]], t => F.LeakyRelu(t[0], 0.1f), t => leaky_relu(t[0], 0.1)),
        new("elu", [[4, 9]], t => F.Elu(t[0], 1.3f), t => elu(t[0], 1.3)),
        new("sigmoid", [[4, 9]], t => F.Sigmoid(t[0]), t => torch.sigmoid(t[0])) { Low = -4, High = 4 },
        new("tanh", [[4, 9]], t => F.Tanh(t[0]), t => torch.tanh(t[0])) { Low = -3, High = 3 },
        new("softmax", [[4, 11]], t => F.Softmax(t[0]), t => softmax(t[0], -1)) { Low = -4, High = 4 },
        new("log_softmax", [[4, 11]], t => F.LogSoftmax(t[0]), t => log_softmax(t[0], -1)) { Low = -4, High = 4 },
        new("softmax dim 1 of 4-D", [[2, 5, 3, 2]], t => F.Softmax(t[0], 1), t => softmax(t[0], 1)) { Low = -3, High = 3 },
        new("add broadcast", [[2, 3, 4], [3, 1]], t => F.Add(t[0], t[1]), t => t[0] + t[1]),
        new("sub broadcast", [[4, 1, 5], [3, 5]], t => F.Sub(t[0], t[1]), t => t[0] - t[1]),
        new("mul broadcast", [[4, 1, 5], [1, 3, 5]], t => F.Mul(t[0], t[1]), t => t[0] * t[1]),
        new("div broadcast", [[2, 3], [3]], t => F.Div(t[0], t[1]), t => t[0] / t[1]) { Low = 0.5f, High = 2 },
        new("sum dim", [[2, 3, 4]], t => F.Sum(t[0], 1), t => t[0].sum(1)),
        new("mean dims keepdim", [[2, 3, 4]], t => F.Mean(t[0], [0, 2], keepDim: true), t => t[0].mean(L(0, 2), keepdim: true)),
        new("concat", [[2, 3, 2], [2, 1, 2]], t => F.Concat([t[0], t[1]], 1), t => torch.cat([t[0], t[1]], 1)),
        new("flatten", [[2, 3, 4, 5]], t => F.Flatten(t[0]), t => torch.flatten(t[0], 1)),
        new("permute", [[2, 3, 4, 5]], t => F.Permute(t[0], 0, 2, 3, 1), t => t[0].permute(0, 2, 3, 1)),
        new("narrow", [[3, 7, 2]], t => F.Narrow(t[0], 1, 2, 4), t => t[0].narrow(1, 2, 4)),
        new("max along a dimension", [[4, 6]], t => F.Max(t[0], 1).Values, t => t[0].max(1).values),
        new("exp, log, sqrt, pow", [[3, 5]], t => F.Pow(F.Sqrt(F.Log(F.Exp(t[0]))), 3f), t => t[0].exp().log().sqrt().pow(3)) { Low = 0.5f, High = 2 },
        new("batch_norm 2d training", [[3, 4, 5, 6], [4], [4]], t => F.BatchNorm(t[0], null, null, t[1], t[2], true),
            t => batch_norm(t[0], null, null, t[1], t[2], true, 0.1, 1e-5)) { Low = 0, High = 4 },
        new("batch_norm 1d training", [[7, 5], [5], [5]], t => F.BatchNorm(t[0], null, null, t[1], t[2], true),
            t => batch_norm(t[0], null, null, t[1], t[2], true, 0.1, 1e-5)),
        new("local_response_norm size 5", [[2, 7, 4, 3]], t => F.LocalResponseNorm(t[0], 5, 0.5f, 0.75f, 2f), t => local_response_norm(t[0], 5, 0.5, 0.75, 2)),
        new("local_response_norm size 4", [[2, 6, 3, 3]], t => F.LocalResponseNorm(t[0], 4, 0.3f, 0.6f, 1f), t => local_response_norm(t[0], 4, 0.3, 0.6, 1)),
        new("cross_entropy", [[6, 5]], t => F.CrossEntropy(t[0], [0, 4, 1, 1, 2, 3]), t => cross_entropy(t[0], Targets(0, 4, 1, 1, 2, 3))) { Low = -3, High = 3 },
        new("cross_entropy weights, smoothing", [[6, 5], [5]], t => F.CrossEntropy(t[0], [0, 4, 1, 1, 2, 3], t[1], labelSmoothing: 0.15f),
            t => cross_entropy(t[0], Targets(0, 4, 1, 1, 2, 3), t[1], label_smoothing: 0.15)) { Low = 0.1f, High = 2, NoGrad = [1] },
        new("cross_entropy sum, ignore_index", [[4, 3]], t => F.CrossEntropy(t[0], [2, -100, 0, 1], reduction: Reduction.Sum),
            t => cross_entropy(t[0], Targets(2, -100, 0, 1), reduction: torch.nn.Reduction.Sum)) { Low = -2, High = 2 },
        new("nll_loss weighted", [[5, 3], [3]], t => F.NllLoss(t[0], [2, 0, 0, 1, 2], t[1]), t => nll_loss(t[0], Targets(2, 0, 0, 1, 2), t[1])) { Low = 0.1f, High = 2, NoGrad = [1] },
        new("mse_loss", [[3, 4], [3, 4]], t => F.MseLoss(t[0], t[1]), t => mse_loss(t[0], t[1])),
        new("binary_cross_entropy_with_logits pos_weight", [[2, 3], [2, 3], [3]], t => F.BinaryCrossEntropyWithLogits(t[0], t[1], posWeight: t[2]),
            t => binary_cross_entropy_with_logits(t[0], t[1], pos_weights: t[2])) { Low = 0.1f, High = 2, NoGrad = [2] },
    }.Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesLibTorch(OracleCase c) => c.Verify();
}
