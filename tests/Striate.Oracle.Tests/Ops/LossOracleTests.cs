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
