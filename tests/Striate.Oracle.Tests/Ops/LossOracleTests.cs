using Striate.Ops;
using TorchSharp;
using TF = TorchSharp.torch.nn.functional;
using TorchReduction = TorchSharp.torch.nn.Reduction;
using TT = TorchSharp.torch.Tensor;

namespace Striate.Oracle.Tests.Ops;

/// <summary>
/// CrossEntropy, NllLoss, MseLoss and BinaryCrossEntropyWithLogits against torch.nn.functional, for every
/// reduction: the loss and the gradients of the scores (and of the target where it is a tensor). Class weights
/// get no gradient in either library.
/// </summary>
public class LossOracleTests
{
    private const Reduction Mean = Reduction.Mean, Sum = Reduction.Sum, None = Reduction.None;

    private static TorchReduction Torch(Reduction r) => r switch
    {
        Reduction.None => TorchReduction.None,
        Reduction.Sum => TorchReduction.Sum,
        _ => TorchReduction.Mean,
    };

    private static TT Indices(int[] values) => torch.tensor(Array.ConvertAll(values, v => (long)v), dtype: torch.ScalarType.Int64);

    // Inputs: logits [N, C] in [-3, 3), then class weights [C] in [0.2, 2) when weighted.
    private static OpOracle CrossEntropy(string name, int classes, int[] targets, bool weighted, Reduction r, float smoothing = 0f, int ignore = -100) =>
        OpOracle.Case(name, weighted ? [[targets.Length, classes], [classes]] : [[targets.Length, classes]],
            t => F.CrossEntropy(t[0], targets, weighted ? t[1] : null, r, smoothing, ignore),
            t => TF.cross_entropy(t[0], Indices(targets), weighted ? t[1] : null, ignore, Torch(r), smoothing))
            .In(0, -3f, 3f).In(1, 0.2f, 2f) with { NoGrad = [1] };

    // Inputs: log-probabilities [N, C] in [-4, 0), then class weights [C]. TorchSharp's nll_loss has no
    // ignore_index, so the reference drops the ignored rows first: PyTorch's definition of the sum and of the
    // mean (divided by the summed weights of the rows kept).
    private static OpOracle Nll(string name, int classes, int[] targets, bool weighted, Reduction r, int ignore = -100)
    {
        int[] kept = Enumerable.Range(0, targets.Length).Where(i => targets[i] != ignore).ToArray();
        bool drops = kept.Length < targets.Length;
        if (drops && r == None) throw new ArgumentException("Reduction none keeps a row per sample; ignored rows need mean or sum here.");
        return OpOracle.Case(name, weighted ? [[targets.Length, classes], [classes]] : [[targets.Length, classes]],
            t => F.NllLoss(t[0], targets, weighted ? t[1] : null, r, ignore),
            t => TF.nll_loss(drops ? t[0].index_select(0, Indices(kept)) : t[0], Indices(kept.Select(i => targets[i]).ToArray()),
                weighted ? t[1] : null, Torch(r)))
            .In(0, -4f, 0f).In(1, 0.2f, 2f) with { NoGrad = [1] };
    }

    private static OpOracle Mse(string name, int[] shape, Reduction r) =>
        OpOracle.Case(name, [shape, shape], t => F.MseLoss(t[0], t[1], r), t => TF.mse_loss(t[0], t[1], Torch(r)));

    // Inputs: logits in [-4, 4), targets in [0, 1), then the element weight and the positive-class weight (both
    // in [0.5, 3)) when given. Logits and targets get gradients; libtorch refuses them for the two weights.
    private static OpOracle Bce(string name, int[] shape, int[]? weight, int[]? posWeight, Reduction r)
    {
        int[][] shapes = [shape, shape, .. weight is null ? Array.Empty<int[]>() : [weight], .. posWeight is null ? Array.Empty<int[]>() : [posWeight]];
        int wi = weight is null ? -1 : 2, pi = posWeight is null ? -1 : shapes.Length - 1;
        return OpOracle.Case(name, shapes,
            t => F.BinaryCrossEntropyWithLogits(t[0], t[1], wi < 0 ? null : t[wi], pi < 0 ? null : t[pi], r),
            t => TF.binary_cross_entropy_with_logits(t[0], t[1], wi < 0 ? null : t[wi], Torch(r), pi < 0 ? null : t[pi]))
            .In(0, -4f, 4f).In(1, 0f, 1f).In(2, 0.5f, 3f).In(3, 0.5f, 3f) with { NoGrad = [2, 3] };
    }

    // Inputs: logits [N, C, ...] in [-3, 3), a target of class probabilities of that shape (each sample's row
    // normalised in both libraries' calls, so the target's gradient passes through the normalisation too), then class
    // weights [C] when weighted.
    private static OpOracle CrossEntropyProbabilities(string name, int[] shape, bool weighted, Reduction r, float smoothing = 0f, bool normalise = true)
    {
        int classDim = shape.Length == 1 ? 0 : 1;
        return OpOracle.Case(name, weighted ? [shape, shape, [shape[classDim]]] : [shape, shape],
            t => F.CrossEntropy(t[0], normalise ? F.Div(t[1], F.Sum(t[1], classDim, keepDim: true)) : t[1], weighted ? t[2] : null, r, smoothing),
            t => TF.cross_entropy(t[0], normalise ? t[1] / t[1].sum(classDim, keepdim: true) : t[1], weighted ? t[2] : null,
                reduction: Torch(r), label_smoothing: smoothing))
            .In(0, -3f, 3f).In(1, 0.05f, 1f).In(2, 0.2f, 2f) with { NoGrad = weighted ? [2] : [] };
    }

    // Inputs: anchor, positive, negative [N, D] (or [D]) in [-1, 1).
    private static OpOracle TripletMargin(string name, int[] shape, float margin, int p, float eps, bool swap, Reduction r) =>
        OpOracle.Case(name, [shape, shape, shape],
            t => F.TripletMarginLoss(t[0], t[1], t[2], margin, p, eps, swap, r),
            t => TF.triplet_margin_loss(t[0], t[1], t[2], margin, p, eps, swap, Torch(r)));

    private static readonly int[] Seven = [0, 4, 2, 4, 1, 3, 0];
    private static readonly int[] SevenIgnoring = [0, -100, 2, 4, -100, 3, 0];
    private static readonly int[] SevenIgnoring2 = [2, 4, 2, 1, 0, 3, 2];

    internal static readonly OpOracle[] Table =
    [
        CrossEntropy("cross_entropy mean 7x5", 5, Seven, false, Mean),
        CrossEntropy("cross_entropy sum batch 1 of 13 classes", 13, [12], false, Sum),
        CrossEntropy("cross_entropy none", 5, Seven, false, None),
        CrossEntropy("cross_entropy class weights mean", 5, Seven, true, Mean),
        CrossEntropy("cross_entropy class weights none", 5, Seven, true, None),
        CrossEntropy("cross_entropy label smoothing 0.1 mean", 5, Seven, false, Mean, smoothing: 0.1f),
        CrossEntropy("cross_entropy label smoothing 0.2 weights mean", 5, Seven, true, Mean, smoothing: 0.2f),
        CrossEntropy("cross_entropy label smoothing 0.2 weights sum", 5, Seven, true, Sum, smoothing: 0.2f),
        CrossEntropy("cross_entropy label smoothing 0.3 weights none", 5, Seven, true, None, smoothing: 0.3f),
        CrossEntropy("cross_entropy ignore -100 mean", 5, SevenIgnoring, false, Mean),
        CrossEntropy("cross_entropy ignore -100 none", 5, SevenIgnoring, false, None),
        CrossEntropy("cross_entropy ignore 2 weights smoothing 0.1 mean", 5, SevenIgnoring2, true, Mean, smoothing: 0.1f, ignore: 2),
        CrossEntropy("cross_entropy ignore 2 weights smoothing 0.1 sum", 5, SevenIgnoring2, true, Sum, smoothing: 0.1f, ignore: 2),
        CrossEntropy("cross_entropy 29 classes batch 9 smoothing 0.05 none", 29, [28, 0, 13, 7, 7, 21, 3, 16, 1], false, None, smoothing: 0.05f),
        CrossEntropy("cross_entropy ignore -100 weights smoothing 0.1 none", 5, SevenIgnoring, true, None, smoothing: 0.1f),
        CrossEntropy("cross_entropy all ignored mean (NaN)", 5, [-100, -100, -100], false, Mean),
        CrossEntropy("cross_entropy large logits mean", 5, Seven, false, Mean).In(0, -80f, 80f),

        CrossEntropyProbabilities("cross_entropy probabilities mean 7x5", [7, 5], false, Mean),
        CrossEntropyProbabilities("cross_entropy probabilities sum weights smoothing 0.2", [7, 5], true, Sum, smoothing: 0.2f),
        CrossEntropyProbabilities("cross_entropy probabilities none weights", [7, 5], true, None),
        CrossEntropyProbabilities("cross_entropy probabilities [N, C, H, W] mean weights smoothing 0.1", [2, 4, 5, 3], true, Mean, smoothing: 0.1f),
        CrossEntropyProbabilities("cross_entropy probabilities [N, C, H, W] none", [2, 4, 5, 3], false, None),
        CrossEntropyProbabilities("cross_entropy probabilities one sample [C] mean", [6], false, Mean),
        CrossEntropyProbabilities("cross_entropy unnormalised target sum", [7, 5], false, Sum, normalise: false),

        TripletMargin("triplet_margin_loss defaults 9x7", [9, 7], 1f, 2, 1e-6f, false, Mean),
        TripletMargin("triplet_margin_loss margin 0.3 swap sum", [9, 7], 0.3f, 2, 1e-6f, true, Sum),
        TripletMargin("triplet_margin_loss p 1 none", [9, 7], 0.5f, 1, 1e-6f, false, None),
        TripletMargin("triplet_margin_loss p 3 eps 0.01 swap mean", [9, 7], 0.4f, 3, 0.01f, true, Mean),
        TripletMargin("triplet_margin_loss one triplet [D] none", [13], 0.5f, 2, 1e-6f, false, None),

        Nll("nll_loss mean", 5, Seven, false, Mean),
        Nll("nll_loss sum weights", 5, Seven, true, Sum),
        Nll("nll_loss none weights", 5, Seven, true, None),
        Nll("nll_loss mean weights", 5, Seven, true, Mean),
        Nll("nll_loss ignore -100 mean weights", 5, SevenIgnoring, true, Mean),
        Nll("nll_loss ignore 2 sum", 5, SevenIgnoring2, false, Sum, ignore: 2),

        Mse("mse_loss mean 3x7x9", [3, 7, 9], Mean),
        Mse("mse_loss sum 3x7x9", [3, 7, 9], Sum),
        Mse("mse_loss none batch 1", [1, 13], None),

        Bce("bce_with_logits mean 5x7", [5, 7], null, null, Mean),
        Bce("bce_with_logits sum element weights", [5, 7], [5, 7], null, Sum),
        Bce("bce_with_logits none pos_weight", [5, 7], null, [7], None),
        Bce("bce_with_logits mean weights broadcast and pos_weight", [2, 3, 7], [7], [7], Mean),
        Bce("bce_with_logits large logits none", [5, 7], null, [7], None).In(0, -60f, 60f),
    ];

    public static TheoryData<string> Cases => OpOracle.Names(Table);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesLibTorch(string name) => OpOracle.Check(Table, name);
}
