using Striate.Ops;
using Striate.Tensors;
using Striate.Tests.Support;

namespace Striate.Tests.Ops;

/// <summary>
/// Every op's forward against a float64 reference and its backward against central differences, and the error
/// column: each bad call is an argument error whose message names the op, what it expected and what it got.
/// </summary>
public class OpTableTests
{
    private static Tensor Z(params int[] s) => Tensor.Zeros(s);

    private static double[] Map(double[] x, Func<double, double> f) => x.Select(f).ToArray();

    // Broadcast reference: out[i] = f(a[ia], b[ib]) for NumPy-aligned shapes.
    private static double[] Bcast(double[] a, int[] sa, double[] b, int[] sb, Func<double, double, double> f)
    {
        int rank = Math.Max(sa.Length, sb.Length);
        int[] pa = Enumerable.Repeat(1, rank - sa.Length).Concat(sa).ToArray(), pb = Enumerable.Repeat(1, rank - sb.Length).Concat(sb).ToArray();
        int[] so = pa.Zip(pb, Math.Max).ToArray();
        int total = so.Aggregate(1, (x, y) => x * y);
        var y = new double[total];
        var idx = new int[rank];
        for (int k = 0; k < total; k++)
        {
            int rem = k;
            for (int d = rank - 1; d >= 0; d--) { idx[d] = rem % so[d]; rem /= so[d]; }
            int ia = 0, ib = 0;
            for (int d = 0; d < rank; d++)
            {
                ia = ia * pa[d] + (pa[d] == 1 ? 0 : idx[d]);
                ib = ib * pb[d] + (pb[d] == 1 ? 0 : idx[d]);
            }
            y[k] = f(a[ia], b[ib]);
        }
        return y;
    }

    private static OpCase Conv(string name, int[] xs, int[] ws, bool bias, (int, int) s, Padding2d p, (int, int) d, int groups)
    {
        var (pt, pb, pl, pr) = p.Resolve(ws[2], ws[3], d.Item1, d.Item2);
        int[][] shapes = bias ? [xs, ws, [ws[0]]] : [xs, ws];
        return new OpCase(name, shapes,
            t => F.Conv2d(t[0], t[1], bias ? t[2] : null, s, p, d, groups),
            r => Ref.Conv2d(r[0], xs, r[1], ws, bias ? r[2] : null, s.Item1, s.Item2, pt, pb, pl, pr, d.Item1, d.Item2, groups, out _));
    }

    private static OpCase ConvT(string name, int[] xs, int[] ws, bool bias, (int, int) s, (int, int) p, (int, int) op, (int, int) d, int groups)
    {
        int[][] shapes = bias ? [xs, ws, [ws[1] * groups]] : [xs, ws];
        return new OpCase(name, shapes,
            t => F.ConvTranspose2d(t[0], t[1], bias ? t[2] : null, s, p, op, d, groups),
            r => Ref.ConvTranspose2d(r[0], xs, r[1], ws, bias ? r[2] : null, s.Item1, s.Item2, p.Item1, p.Item2, op.Item1, op.Item2, d.Item1, d.Item2, groups, out _));
    }

    private static OpCase MaxPool(string name, int[] xs, (int, int) k, (int, int) s, (int, int) p, (int, int) d, bool ceil) =>
        new(name, [xs], t => F.MaxPool2d(t[0], k, s, p, d, ceil),
            r => Ref.MaxPool(r[0], xs[0] * xs[1], xs[2], xs[3], k.Item1, k.Item2, s.Item1, s.Item2, p.Item1, p.Item2, d.Item1, d.Item2, ceil, out _, out _));

    private static OpCase AvgPool(string name, int[] xs, (int, int) k, (int, int) s, (int, int) p, bool ceil, bool countPad) =>
        new(name, [xs], t => F.AvgPool2d(t[0], k, s, p, ceil, countPad),
            r => Ref.AvgPool(r[0], xs[0] * xs[1], xs[2], xs[3], k.Item1, k.Item2, s.Item1, s.Item2, p.Item1, p.Item2, ceil, countPad, out _, out _));

    private static double Sig(double v) => 1 / (1 + Math.Exp(-v));

    public static IEnumerable<object[]> Cases()
    {
        var list = new List<OpCase>
        {
            Conv("conv2d pad 1 bias", [2, 3, 7, 9], [4, 3, 3, 3], true, (1, 1), 1, (1, 1), 1) with { Bad = [
                    new("conv2d input not 4-D", () => F.Conv2d(Z(3, 8, 8), Z(4, 3, 3, 3)), "conv2d", "4-D input", "[3, 8, 8]"),
                    new("conv2d channel mismatch", () => F.Conv2d(Z(1, 3, 8, 8), Z(4, 2, 3, 3)), "conv2d expects 2 input channels, got 3", "[1, 3, 8, 8]"),
                    new("conv2d kernel larger than padded input", () => F.Conv2d(Z(1, 1, 4, 4), Z(1, 1, 5, 5), padding: 0), "larger than the padded input", "(4x4)"),
                    new("conv2d zero stride", () => F.Conv2d(Z(1, 1, 4, 4), Z(1, 1, 3, 3), stride: (0, 1)), "stride must be >= 1", "(0, 1)"),
                    new("conv2d negative dilation", () => F.Conv2d(Z(1, 1, 4, 4), Z(1, 1, 3, 3), dilation: (-1, 1)), "dilation must be >= 1"),
                    new("conv2d groups do not divide out", () => F.Conv2d(Z(1, 4, 4, 4), Z(6, 1, 3, 3), groups: 4), "out_channels (6) must be divisible by groups (4)"),
                    new("conv2d groups zero", () => F.Conv2d(Z(1, 4, 4, 4), Z(6, 1, 3, 3), groups: 0), "groups must be >= 1"),
                    new("conv2d same with stride", () => F.Conv2d(Z(1, 1, 8, 8), Z(1, 1, 3, 3), stride: (2, 2), padding: Padding2d.Same), "'same' needs stride 1"),
                    new("conv2d bad bias", () => F.Conv2d(Z(1, 1, 8, 8), Z(2, 1, 3, 3), Z(3)), "bias must be [2], got [3]"),
                ] },
            Conv("conv2d stride (2,3) asymmetric pad", [1, 2, 9, 8], [3, 2, 2, 3], false, (2, 3), new Padding2d(1, 0, 2, 1), (1, 1), 1),
            Conv("conv2d dilation 2", [2, 2, 9, 10], [2, 2, 3, 3], true, (1, 1), 2, (2, 2), 1),
            Conv("conv2d dilation (3,2) stride 2", [1, 2, 11, 12], [3, 2, 3, 2], true, (2, 2), 0, (3, 2), 1),
            Conv("conv2d groups 2", [2, 4, 6, 7], [6, 2, 3, 3], true, (1, 1), 1, (1, 1), 2),
            Conv("conv2d depthwise same", [2, 3, 7, 6], [3, 1, 3, 3], true, (1, 1), Padding2d.Same, (1, 1), 3),
            Conv("conv2d same even kernel", [1, 2, 5, 6], [2, 2, 2, 4], false, (1, 1), Padding2d.Same, (1, 1), 1),
            Conv("conv2d stride > kernel", [1, 2, 9, 9], [2, 2, 2, 2], true, (3, 3), 0, (1, 1), 1),
            Conv("conv2d 1x1", [2, 5, 4, 3], [3, 5, 1, 1], true, (1, 1), 0, (1, 1), 1),
            Conv("conv2d valid 5x5", [1, 1, 8, 7], [2, 1, 5, 5], true, (1, 1), Padding2d.Valid, (1, 1), 1),
            Conv("conv2d 5x5 pad 2 on a 1x2 map (taps that see only padding)", [2, 3, 1, 2], [2, 3, 5, 5], true, (1, 1), 2, (1, 1), 1),
            Conv("conv2d stride 2 pad 3 on a 2x3 map", [1, 2, 2, 3], [2, 2, 3, 3], false, (2, 2), 3, (1, 1), 1),
            ConvT("conv_transpose2d stride 2 output padding", [2, 3, 4, 5], [3, 2, 3, 3], true, (2, 2), (1, 1), (1, 1), (1, 1), 1) with { Bad = [
                    new("conv_transpose2d channels", () => F.ConvTranspose2d(Z(1, 3, 4, 4), Z(2, 2, 3, 3)), "expects 2 input channels, got 3"),
                    new("conv_transpose2d output padding", () => F.ConvTranspose2d(Z(1, 2, 4, 4), Z(2, 2, 3, 3), stride: (2, 2), outputPadding: (2, 0)), "output_padding"),
                ] },
            ConvT("conv_transpose2d groups 2", [1, 4, 3, 3], [4, 1, 2, 3], false, (1, 2), (0, 1), (0, 1), (1, 1), 2),
            ConvT("conv_transpose2d dilation 2", [1, 2, 4, 3], [2, 3, 3, 2], true, (1, 1), (1, 0), (0, 0), (2, 2), 1),
            MaxPool("max_pool2d 3/2 pad 1", [2, 3, 7, 9], (3, 3), (2, 2), (1, 1), (1, 1), false) with { Bad = [
                    new("max_pool2d window larger than input", () => F.MaxPool2d(Z(1, 1, 2, 2), (3, 3)), "max_pool2d", "larger than the padded input"),
                    new("max_pool2d padding over half kernel", () => F.MaxPool2d(Z(1, 1, 8, 8), (2, 2), padding: (2, 2)), "at most half the kernel"),
                ] },
            MaxPool("max_pool2d ceil mode", [1, 2, 7, 7], (2, 2), (2, 2), (0, 0), (1, 1), true),
            MaxPool("max_pool2d dilation 2", [1, 2, 8, 9], (3, 2), (1, 2), (1, 1), (2, 2), false),
            MaxPool("max_pool2d stride > kernel", [2, 1, 9, 10], (2, 2), (3, 3), (0, 0), (1, 1), false),
            AvgPool("avg_pool2d count pad", [2, 2, 7, 6], (3, 3), (2, 2), (1, 1), false, true) with { Bad = [
                    new("avg_pool2d zero stride", () => F.AvgPool2d(Z(1, 1, 8, 8), (2, 2), (0, 2)), "stride must be >= 1"),
                    new("avg_pool2d not 4-D", () => F.AvgPool2d(Z(8, 8), (2, 2)), "avg_pool2d expects a 4-D input", "[8, 8]"),
                ] },
            AvgPool("avg_pool2d exclude pad", [2, 2, 7, 6], (3, 3), (2, 2), (1, 1), false, false),
            AvgPool("avg_pool2d ceil mode", [1, 3, 7, 8], (3, 2), (2, 3), (1, 1), true, true),
            AvgPool("avg_pool2d ceil exclude pad", [1, 2, 6, 5], (2, 2), (2, 2), (1, 1), true, false),
            new("adaptive_avg_pool2d 3x4", [[2, 3, 7, 9]], t => F.AdaptiveAvgPool2d(t[0], (3, 4)), r => Ref.AdaptiveAvg(r[0], 6, 7, 9, 3, 4)),
            new("global_avg_pool2d", [[2, 3, 5, 4]], t => F.GlobalAvgPool2d(t[0]), r => Ref.AdaptiveAvg(r[0], 6, 5, 4, 1, 1)),
            new("linear", [[5, 7], [3, 7], [3]], t => F.Linear(t[0], t[1], t[2]), r => LinearRef(r[0], r[1], r[2], 5, 7, 3)) { Bad = [
                    new("linear feature mismatch", () => F.Linear(Z(2, 5), Z(3, 4)), "linear expects 4 input features", "[2, 5]"),
                ] },
            new("linear 3-D input, no bias", [[2, 3, 7], [4, 7]], t => F.Linear(t[0], t[1]), r => LinearRef(r[0], r[1], null, 6, 7, 4)),
            new("matmul", [[3, 5], [5, 4]], t => F.MatMul(t[0], t[1]), r => MatMulRef(r[0], r[1], 1, 3, 5, 4)) { Bad = [
                    new("matmul inner mismatch", () => F.MatMul(Z(2, 3), Z(4, 5)), "inner dimensions differ", "[2, 3] x [4, 5]"),
                ] },
            new("matmul batched", [[2, 3, 5], [2, 5, 2]], t => F.MatMul(t[0], t[1]), r => MatMulRef(r[0], r[1], 2, 3, 5, 2)),
            new("softmax", [[4, 7]], t => F.Softmax(t[0]), r => Ref.Softmax(r[0], 4, 7, false)) { Low = -3, High = 3, Bad = [
                    new("softmax dim", () => F.Softmax(Z(2, 3), 2), "softmax: dimension 2 is out of range", "rank 2"),
                ] },
            new("log_softmax", [[4, 7]], t => F.LogSoftmax(t[0]), r => Ref.Softmax(r[0], 4, 7, true)) { Low = -3, High = 3 },
            new("softmax dim 1 of 3-D", [[2, 3, 4]], t => F.Softmax(t[0], 1), r => SoftmaxMiddle(r[0])),
            new("dropout in evaluation mode", [[3, 5]], t => F.Dropout(t[0], 0.4f, false, new Generator(1)), r => r[0]) { Bad = [
                    new("dropout p", () => F.Dropout(Z(2), 1.5f, true, new Generator(1)), "probability must be in [0, 1], got 1.5"),
                ] },
            new("relu", [[3, 5]], t => F.Relu(t[0]), r => Map(r[0], v => Math.Max(v, 0))),
            new("leaky_relu", [[3, 5]], t => F.LeakyRelu(t[0], 0.2f), r => Map(r[0], v => v > 0 ? v : 0.2 * v)),
            new("elu", [[3, 5]], t => F.Elu(t[0], 1.5f), r => Map(r[0], v => v > 0 ? v : 1.5 * (Math.Exp(v) - 1))),
            new("sigmoid", [[3, 5]], t => F.Sigmoid(t[0]), r => Map(r[0], Sig)) { Low = -4, High = 4 },
            new("tanh", [[3, 5]], t => F.Tanh(t[0]), r => Map(r[0], Math.Tanh)) { Low = -3, High = 3 },
            new("exp", [[7]], t => F.Exp(t[0]), r => Map(r[0], Math.Exp)),
            new("log", [[7]], t => F.Log(t[0]), r => Map(r[0], Math.Log)) { Low = 0.5, High = 3 },
            new("sqrt", [[7]], t => F.Sqrt(t[0]), r => Map(r[0], Math.Sqrt)) { Low = 0.5, High = 3 },
            new("abs", [[7]], t => F.Abs(t[0]), r => Map(r[0], Math.Abs)),
            new("square", [[7]], t => F.Square(t[0]), r => Map(r[0], v => v * v)),
            new("pow 2.5", [[7]], t => F.Pow(t[0], 2.5f), r => Map(r[0], v => Math.Pow(v, 2.5))) { Low = 0.5, High = 2 },
            new("add broadcast", [[2, 3, 4], [3, 1]], t => F.Add(t[0], t[1]), r => Bcast(r[0], [2, 3, 4], r[1], [3, 1], (a, b) => a + b)) { Bad = [
                    new("broadcast mismatch", () => F.Add(Z(2, 3), Z(4)), "add", "[2, 3] and [4] cannot be broadcast"),
                ] },
            new("sub broadcast", [[4, 1, 5], [3, 5]], t => F.Sub(t[0], t[1]), r => Bcast(r[0], [4, 1, 5], r[1], [3, 5], (a, b) => a - b)),
            new("mul broadcast", [[4, 1, 5], [1, 3, 5]], t => F.Mul(t[0], t[1]), r => Bcast(r[0], [4, 1, 5], r[1], [1, 3, 5], (a, b) => a * b)),
            new("div broadcast", [[2, 3], [3]], t => F.Div(t[0], t[1]), r => Bcast(r[0], [2, 3], r[1], [3], (a, b) => a / b)) { Low = 0.5, High = 2 },
            new("mul scalar tensor", [[2, 3], []], t => F.Mul(t[0], t[1]), r => Bcast(r[0], [2, 3], r[1], [], (a, b) => a * b)),
            new("add_scalar, mul_scalar", [[5]], t => F.MulScalar(F.AddScalar(t[0], 2f), -3f), r => Map(r[0], v => (v + 2) * -3)),
            new("sum", [[3, 4]], t => F.Sum(t[0]), r => [r[0].Sum()]),
            new("mean", [[3, 4]], t => F.Mean(t[0]), r => [r[0].Average()]),
            new("sum dim 1", [[2, 3, 4]], t => F.Sum(t[0], 1), r => SumMiddle(r[0], 2, 3, 4)),
            new("mean dims {0,2} keepdim", [[2, 3, 4]], t => F.Mean(t[0], [0, 2], keepDim: true), r => MeanOuter(r[0])),
            new("max dim -1", [[3, 5]], t => F.Max(t[0], -1).Values, r => Enumerable.Range(0, 3).Select(i => r[0].Skip(i * 5).Take(5).Max()).ToArray()),
            new("reshape", [[2, 6]], t => F.Mul(F.Reshape(t[0], 3, -1), F.Reshape(t[0], 3, 4)), r => Map(r[0], v => v * v)) { Bad = [
                    new("reshape count mismatch", () => F.Reshape(Z(2, 3), 4, 2), "reshape", "[2, 3]", "[4, 2]"),
                    new("reshape two -1", () => F.Reshape(Z(2, 3), -1, -1), "only one dimension can be -1"),
                ] },
            new("permute", [[2, 3, 4]], t => F.Permute(t[0], 2, 0, 1), r => PermuteRef(r[0])),
            new("concat dim 1", [[2, 3, 2], [2, 1, 2]], t => F.Concat([t[0], t[1]], 1), r => ConcatRef(r[0], r[1])) { Bad = [
                    new("concat shape mismatch", () => F.Concat([Z(2, 3), Z(3, 3)], 1), "concat", "[3, 3]", "[2, 3]"),
                ] },
            new("narrow", [[3, 5]], t => F.Narrow(t[0], 1, 1, 3), r => Enumerable.Range(0, 3).SelectMany(i => r[0].Skip(i * 5 + 1).Take(3)).ToArray()),
            new("batch_norm 1d train", [[6, 3], [3], [3]], t => F.BatchNorm(t[0], null, null, t[1], t[2], true), r => Ref.BatchNorm(r[0], 6, 3, 1, r[1], r[2], 1e-5)),
            new("batch_norm 2d train", [[2, 3, 4, 5], [3], [3]], t => F.BatchNorm(t[0], null, null, t[1], t[2], true), r => Ref.BatchNorm(r[0], 2, 3, 20, r[1], r[2], 1e-5)) { Bad = [
                    new("batch_norm channels", () => F.BatchNorm(Z(2, 3, 4, 4), Z(4), Z(4), null, null, true), "batch_norm expects 3 channels for running_mean, got [4]"),
                    new("batch_norm one value per channel", () => F.BatchNorm(Z(1, 3), null, null, null, null, true), "more than 1 value per channel"),
                ] },
            new("local_response_norm size 5", [[2, 7, 3, 2]], t => F.LocalResponseNorm(t[0], 5, 0.5f, 0.75f, 2f), r => Ref.Lrn(r[0], 2, 7, 6, 5, 0.5, 0.75, 2)),
            new("local_response_norm size 4", [[1, 6, 2, 3]], t => F.LocalResponseNorm(t[0], 4, 0.3f, 0.6f, 1f), r => Ref.Lrn(r[0], 1, 6, 6, 4, 0.3, 0.6, 1)),
            new("cross_entropy", [[5, 4]], t => F.CrossEntropy(t[0], [0, 3, 1, 1, 2]), r => [Ref.CrossEntropy(r[0], 5, 4, [0, 3, 1, 1, 2], null, 0, 1)]) { Low = -2, High = 2, Bad = [
                    new("cross_entropy target out of range", () => F.CrossEntropy(Z(2, 3), [0, 3]), "target 3 at position 1 is out of range for 3 classes"),
                    new("cross_entropy target count", () => F.CrossEntropy(Z(2, 3), [0]), "expected 2 targets", "got 1"),
                    new("cross_entropy input rank", () => F.CrossEntropy(Z(2, 3, 4), [0, 1]), "input [N, C]", "[2, 3, 4]"),
                ] },
            new("cross_entropy weights smoothing", [[5, 4]], t => F.CrossEntropy(t[0], [0, 3, 1, 1, 2], Tensor.FromArray([0.5f, 2f, 1f, 3f], 4), labelSmoothing: 0.2f),
                r => [Ref.CrossEntropy(r[0], 5, 4, [0, 3, 1, 1, 2], [0.5, 2, 1, 3], 0.2, 1)]) { Low = -2, High = 2 },
            new("cross_entropy sum ignore", [[4, 3]], t => F.CrossEntropy(t[0], [2, -100, 0, 1], reduction: Reduction.Sum),
                r => [Ref.CrossEntropy(r[0], 4, 3, [2, -100, 0, 1], null, 0, 2)]) { Low = -2, High = 2 },
            new("nll_loss weighted", [[4, 3]], t => F.NllLoss(t[0], [2, 0, 0, 1], Tensor.FromArray([1f, 2f, 0.5f], 3)),
                r => [-(0.5 * r[0][2] + 1 * r[0][3] + 1 * r[0][6] + 2 * r[0][10]) / 4.5]),
            new("mse_loss", [[3, 4], [3, 4]], t => F.MseLoss(t[0], t[1]), r => [r[0].Zip(r[1], (a, b) => (a - b) * (a - b)).Average()]) { Bad = [
                    new("mse shape mismatch", () => F.MseLoss(Z(2, 3), Z(3, 2)), "same shape"),
                ] },
            new("bce_with_logits pos_weight", [[2, 3], [2, 3], [3]], t => F.BinaryCrossEntropyWithLogits(t[0], t[1], posWeight: t[2]), r => BceRef(r[0], r[1], r[2])) { Low = 0.1, High = 2, NoGrad = [2] },
            new("pad constant 1.5 crop and grow (2,-1,-1,3)", [[2, 3, 4, 5]], t => F.Pad(t[0], [2, -1, -1, 3], PadMode.Constant, 1.5f),
                r => PadRef(r[0], [2, 3, 4, 5], [2, -1, -1, 3], PadMode.Constant, 1.5)),
            new("pad reflect (2,1,1,3)", [[2, 3, 4, 5]], t => F.Pad(t[0], [2, 1, 1, 3], PadMode.Reflect), r => PadRef(r[0], [2, 3, 4, 5], [2, 1, 1, 3], PadMode.Reflect, 0)) { Bad = [
                    new("pad odd list", () => F.Pad(Z(2, 3), [1, 2, 3]), "pad", "(before, after) pairs", "got 3 values"),
                    new("pad more dimensions than the input", () => F.Pad(Z(3), [1, 1, 1, 1]), "2 dimensions to pad", "[3] has 1"),
                    new("pad negative size", () => F.Pad(Z(2, 3), [-2, -2]), "padding (-2, -2) of dimension 1 (size 3)", "negative size (-1)"),
                    new("pad reflect too wide", () => F.Pad(Z(2, 3), [0, 3], PadMode.Reflect), "reflect padding must be smaller than the size it mirrors: 3 on dimension 1 of size 3"),
                    new("pad circular wraps twice", () => F.Pad(Z(2, 3), [4, 0], PadMode.Circular), "circular padding may wrap around at most once: 4 on dimension 1 of size 3"),
                    new("pad circular after a crop", () => F.Pad(Z(2, 3), [3, -1], PadMode.Circular), "wrap around at most once: 3 on dimension 1 of size 2"),
                    new("pad replicate empty", () => F.Pad(Z(2, 0), [1, 0], PadMode.Replicate), "replicate padding needs at least one element", "[2, 0] is empty"),
                    new("pad value with reflect", () => F.Pad(Z(2, 3), [1, 1], PadMode.Reflect, 2f), "fill value (2) is used only by constant padding, not reflect"),
                ] },
            new("pad reflect three dims with a crop", [[2, 3, 4, 5]], t => F.Pad(t[0], [1, 1, -1, 2, 2, 1], PadMode.Reflect),
                r => PadRef(r[0], [2, 3, 4, 5], [1, 1, -1, 2, 2, 1], PadMode.Reflect, 0)),
            new("pad replicate (3,0,2,4)", [[2, 3, 4, 5]], t => F.Pad(t[0], [3, 0, 2, 4], PadMode.Replicate), r => PadRef(r[0], [2, 3, 4, 5], [3, 0, 2, 4], PadMode.Replicate, 0)),
            new("pad replicate 1-D input", [[6]], t => F.Pad(t[0], [4, 2], PadMode.Replicate), r => PadRef(r[0], [6], [4, 2], PadMode.Replicate, 0)),
            new("pad circular (2,5,4,1)", [[2, 3, 4, 5]], t => F.Pad(t[0], [2, 5, 4, 1], PadMode.Circular), r => PadRef(r[0], [2, 3, 4, 5], [2, 5, 4, 1], PadMode.Circular, 0)),
            new("pad circular wraps what the crop left (3,-1,-2,2)", [[2, 3, 4, 5]], t => F.Pad(t[0], [3, -1, -2, 2], PadMode.Circular),
                r => PadRef(r[0], [2, 3, 4, 5], [3, -1, -2, 2], PadMode.Circular, 0)),
            new("cross_entropy probabilities [N, C] mean", [[5, 4], [5, 4]], t => F.CrossEntropy(t[0], t[1]), r => CeProbRef(r[0], r[1], [5, 4], null, 0, Reduction.Mean)) { Low = 0, High = 1, Bad = [
                    new("cross_entropy probability target shape", () => F.CrossEntropy(Z(2, 3), Z(2, 4)), "cross_entropy", "the logits' shape [2, 3], got [2, 4]"),
                    new("cross_entropy probability weights", () => F.CrossEntropy(Z(2, 3, 4), Z(2, 3, 4), Z(4)), "class weights must be [3], got [4]"),
                    new("cross_entropy probability smoothing", () => F.CrossEntropy(Z(2, 3), Z(2, 3), labelSmoothing: 1.5f), "label_smoothing must be in [0, 1], got 1.5"),
                    new("cross_entropy probability scalar", () => F.CrossEntropy(Z(), Z()), "cross_entropy expects logits", "scalar"),
                ] },
            new("cross_entropy probabilities weights smoothing sum", [[5, 4], [5, 4]], t => F.CrossEntropy(t[0], t[1], Tensor.FromArray([0.5f, 2f, 1f, 3f], 4), Reduction.Sum, 0.2f),
                r => CeProbRef(r[0], r[1], [5, 4], [0.5, 2, 1, 3], 0.2, Reduction.Sum)) { Low = 0, High = 1 },
            new("cross_entropy probabilities [N, C, H, W] weights none", [[2, 3, 2, 3], [2, 3, 2, 3]],
                t => F.CrossEntropy(t[0], t[1], Tensor.FromArray([0.5f, 2f, 1.5f], 3), Reduction.None),
                r => CeProbRef(r[0], r[1], [2, 3, 2, 3], [0.5, 2, 1.5], 0, Reduction.None)) { Low = 0, High = 1 },
            new("cross_entropy probabilities [N, C, H, W] smoothing mean", [[2, 3, 2, 3], [2, 3, 2, 3]],
                t => F.CrossEntropy(t[0], t[1], null, Reduction.Mean, 0.1f), r => CeProbRef(r[0], r[1], [2, 3, 2, 3], null, 0.1, Reduction.Mean)) { Low = 0, High = 1 },
            new("cross_entropy probabilities one sample [C]", [[4], [4]], t => F.CrossEntropy(t[0], t[1]), r => CeProbRef(r[0], r[1], [4], null, 0, Reduction.Mean)) { Low = 0, High = 1 },
            new("triplet_margin_loss p 2 mean", [[6, 5], [6, 5], [6, 5]], t => F.TripletMarginLoss(t[0], t[1], t[2], 0.5f),
                r => TripletRef(r[0], r[1], r[2], 6, 5, 0.5, 2, 1e-6, false, Reduction.Mean)),
            new("triplet_margin_loss p 1 swap sum", [[6, 5], [6, 5], [6, 5]], t => F.TripletMarginLoss(t[0], t[1], t[2], 1f, 1f, swap: true, reduction: Reduction.Sum),
                r => TripletRef(r[0], r[1], r[2], 6, 5, 1, 1, 1e-6, true, Reduction.Sum)),
            new("triplet_margin_loss p 3 eps 0.01 none", [[6, 5], [6, 5], [6, 5]], t => F.TripletMarginLoss(t[0], t[1], t[2], 0.8f, 3f, 0.01f, reduction: Reduction.None),
                r => TripletRef(r[0], r[1], r[2], 6, 5, 0.8, 3, 0.01, false, Reduction.None)),
            new("triplet_margin_loss infinity norm swap mean", [[6, 5], [6, 5], [6, 5]], t => F.TripletMarginLoss(t[0], t[1], t[2], 0.7f, float.PositiveInfinity, swap: true),
                r => TripletRef(r[0], r[1], r[2], 6, 5, 0.7, double.PositiveInfinity, 1e-6, true, Reduction.Mean)),
            new("triplet_margin_loss one triplet [D]", [[7], [7], [7]], t => F.TripletMarginLoss(t[0], t[1], t[2], 2f, reduction: Reduction.None),
                r => TripletRef(r[0], r[1], r[2], 1, 7, 2, 2, 1e-6, false, Reduction.None)),
        };
        return list.Select(c => new object[] { c });
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesReferenceAndBackwardMatchesFiniteDifferences(OpCase c) => Check.Op(c);

    public static TheoryData<string, string> BadCalls()
    {
        var data = new TheoryData<string, string>();
        foreach (var c in Cases().Select(row => (OpCase)row[0]))
            foreach (var b in c.Bad) data.Add(c.Name, b.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(BadCalls))]
    public void BadInputFailsWithAMessageThatSaysWhatWasExpected(string op, string name)
    {
        var bad = Cases().Select(row => (OpCase)row[0]).Single(c => c.Name == op).Bad.Single(b => b.Name == name);
        var e = Record.Exception(bad.Call);
        Assert.True(e is ArgumentException or InvalidOperationException, $"{name}: expected an argument error, got {e?.GetType().Name ?? "none"}");
        foreach (var f in bad.Fragments) Assert.Contains(f, e!.Message);
    }

    // F.pad one dimension at a time, as list operations: circular crops first and wraps what is left (PyTorch's order);
    // the other modes pad the original, then crop the negative amounts.
    private static double[] PadRef(double[] x, int[] shape, int[] pad, PadMode mode, double value)
    {
        var data = x;
        var dims = (int[])shape.Clone();
        for (int k = 0; k < pad.Length / 2; k++)
        {
            int d = dims.Length - 1 - k;
            (data, dims) = AlongDim(data, dims, d, line => Pad1d(line, pad[2 * k], pad[2 * k + 1], mode, value));
        }
        return data;
    }

    private static List<double> Pad1d(List<double> x, int before, int after, PadMode mode, double value)
    {
        List<double> Crop(List<double> v) => v.Skip(Math.Max(-before, 0)).Take(v.Count - Math.Max(-before, 0) - Math.Max(-after, 0)).ToList();
        int l = Math.Max(before, 0), r = Math.Max(after, 0);
        if (mode == PadMode.Circular)
        {
            var kept = Crop(x);
            return kept.Skip(kept.Count - l).Concat(kept).Concat(kept.Take(r)).ToList();
        }
        var left = mode switch
        {
            PadMode.Reflect => Enumerable.Range(1, l).Reverse().Select(i => x[i]),
            PadMode.Replicate => Enumerable.Repeat(x[0], l),
            _ => Enumerable.Repeat(value, l),
        };
        var right = mode switch
        {
            PadMode.Reflect => Enumerable.Range(1, r).Select(i => x[x.Count - 1 - i]),
            PadMode.Replicate => Enumerable.Repeat(x[^1], r),
            _ => Enumerable.Repeat(value, r),
        };
        var grown = left.Concat(x).Concat(right).ToList();
        // Crop the negative amounts from the grown line's ends.
        return grown.Skip(Math.Max(-before, 0)).Take(grown.Count - Math.Max(-before, 0) - Math.Max(-after, 0)).ToList();
    }

    // Applies f to every line of x along dimension d.
    private static (double[] Data, int[] Dims) AlongDim(double[] x, int[] dims, int d, Func<List<double>, List<double>> f)
    {
        int outer = dims[..d].Aggregate(1, (a, b) => a * b), inner = dims[(d + 1)..].Aggregate(1, (a, b) => a * b), n = dims[d];
        int m = f(Enumerable.Repeat(0.0, n).ToList()).Count;
        var y = new double[outer * m * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                var line = f(Enumerable.Range(0, n).Select(j => x[(o * n + j) * inner + i]).ToList());
                for (int j = 0; j < m; j++) y[(o * m + j) * inner + i] = line[j];
            }
        var outDims = (int[])dims.Clone();
        outDims[d] = m;
        return (y, outDims);
    }

    // -sum_c w_c ((1 - e) t_c + e / C) log softmax(x)_c per sample (class dimension 1, or 0 for [C]); the mean over samples.
    private static double[] CeProbRef(double[] x, double[] t, int[] shape, double[]? w, double e, Reduction reduction)
    {
        int cd = shape.Length == 1 ? 0 : 1, c = shape[cd];
        int outer = shape[..cd].Aggregate(1, (a, b) => a * b), inner = shape[(cd + 1)..].Aggregate(1, (a, b) => a * b);
        var loss = new double[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double m = Enumerable.Range(0, c).Max(k => x[(o * c + k) * inner + i]);
                double lse = m + Math.Log(Enumerable.Range(0, c).Sum(k => Math.Exp(x[(o * c + k) * inner + i] - m)));
                double s = 0;
                for (int k = 0; k < c; k++)
                {
                    int at = (o * c + k) * inner + i;
                    s -= (w?[k] ?? 1) * ((1 - e) * t[at] + e / c) * (x[at] - lse);
                }
                loss[o * inner + i] = s;
            }
        return reduction switch { Reduction.None => loss, Reduction.Sum => [loss.Sum()], _ => [loss.Average()] };
    }

    // PyTorch's triplet margin loss: d(x, y) = ||x - y + eps||_p, max(d(a, p) - d(a, n) + margin, 0), swap taking min(d(a, n), d(p, n)).
    private static double[] TripletRef(double[] a, double[] p, double[] n, int rows, int dim, double margin, double norm, double eps, bool swap, Reduction reduction)
    {
        double D(double[] x, double[] y, int r)
        {
            var v = Enumerable.Range(0, dim).Select(k => Math.Abs(x[r * dim + k] - y[r * dim + k] + eps)).ToArray();
            return double.IsPositiveInfinity(norm) ? v.Max() : Math.Pow(v.Sum(u => Math.Pow(u, norm)), 1 / norm);
        }
        var loss = Enumerable.Range(0, rows).Select(r =>
        {
            double neg = swap ? Math.Min(D(a, n, r), D(p, n, r)) : D(a, n, r);
            return Math.Max(D(a, p, r) - neg + margin, 0);
        }).ToArray();
        return reduction switch { Reduction.None => loss, Reduction.Sum => [loss.Sum()], _ => [loss.Average()] };
    }

    private static double[] LinearRef(double[] x, double[] w, double[]? b, int rows, int inF, int outF)
    {
        var y = new double[rows * outF];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outF; o++)
            {
                double s = b?[o] ?? 0;
                for (int i = 0; i < inF; i++) s += x[r * inF + i] * w[o * inF + i];
                y[r * outF + o] = s;
            }
        return y;
    }

    private static double[] MatMulRef(double[] a, double[] b, int batch, int m, int k, int n)
    {
        var y = new double[batch * m * n];
        for (int z = 0; z < batch; z++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    for (int p = 0; p < k; p++) y[(z * m + i) * n + j] += a[(z * m + i) * k + p] * b[(z * k + p) * n + j];
        return y;
    }

    private static double[] SoftmaxMiddle(double[] x)
    {
        var y = new double[24];
        for (int a = 0; a < 2; a++)
            for (int c = 0; c < 4; c++)
            {
                double m = Enumerable.Range(0, 3).Max(b => x[(a * 3 + b) * 4 + c]);
                double s = Enumerable.Range(0, 3).Sum(b => Math.Exp(x[(a * 3 + b) * 4 + c] - m));
                for (int b = 0; b < 3; b++) y[(a * 3 + b) * 4 + c] = Math.Exp(x[(a * 3 + b) * 4 + c] - m) / s;
            }
        return y;
    }

    private static double[] SumMiddle(double[] x, int a, int b, int c)
    {
        var y = new double[a * c];
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                for (int k = 0; k < c; k++) y[i * c + k] += x[(i * b + j) * c + k];
        return y;
    }

    private static double[] MeanOuter(double[] x)
    {
        var y = new double[3];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++) y[j] += x[(i * 3 + j) * 4 + k] / 8;
        return y;
    }

    private static double[] PermuteRef(double[] x)
    {
        var y = new double[24];
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 3; b++)
                for (int c = 0; c < 4; c++) y[(c * 2 + a) * 3 + b] = x[(a * 3 + b) * 4 + c];
        return y;
    }

    private static double[] ConcatRef(double[] a, double[] b)
    {
        var y = new List<double>();
        for (int n = 0; n < 2; n++)
        {
            y.AddRange(a.Skip(n * 6).Take(6));
            y.AddRange(b.Skip(n * 2).Take(2));
        }
        return y.ToArray();
    }

    private static double[] BceRef(double[] x, double[] t, double[] pw)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double p = Sig(x[i]);
            s += -(pw[i % 3] * t[i] * Math.Log(p) + (1 - t[i]) * Math.Log(1 - p));
        }
        return [s / x.Length];
    }
}
