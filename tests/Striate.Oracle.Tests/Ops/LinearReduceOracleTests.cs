using Striate.Ops;
using TorchSharp;
using static Striate.Oracle.Tests.Ops.OpOracle;
using TF = TorchSharp.torch.nn.functional;

namespace Striate.Oracle.Tests.Ops;

/// <summary>Linear, MatMul, reductions, Concat, Flatten, Softmax and LogSoftmax against libtorch.</summary>
public class LinearReduceOracleTests
{
    private static readonly int[] Image = [2, 3, 7, 9];

    internal static readonly OpOracle[] Table =
    [
        Case("linear 5x13 -> 7 bias", [[5, 13], [7, 13], [7]], t => F.Linear(t[0], t[1], t[2]), t => TF.linear(t[0], t[1], t[2])),
        Case("linear batch 1 29 -> 10 bias", [[1, 29], [10, 29], [10]], t => F.Linear(t[0], t[1], t[2]), t => TF.linear(t[0], t[1], t[2])),
        Case("linear 2x3x13 -> 7 no bias", [[2, 3, 13], [7, 13]], t => F.Linear(t[0], t[1]), t => TF.linear(t[0], t[1])),
        Case("linear 3x5x4x31 -> 9 bias", [[3, 5, 4, 31], [9, 31], [9]], t => F.Linear(t[0], t[1], t[2]), t => TF.linear(t[0], t[1], t[2])),
        Case("linear 3x1031 -> 5 bias", [[3, 1031], [5, 1031], [5]], t => F.Linear(t[0], t[1], t[2]), t => TF.linear(t[0], t[1], t[2])),
        Case("matmul 7x9 9x5", [[7, 9], [9, 5]], t => F.MatMul(t[0], t[1]), t => torch.matmul(t[0], t[1])),
        Case("matmul 1x13 13x1", [[1, 13], [13, 1]], t => F.MatMul(t[0], t[1]), t => torch.matmul(t[0], t[1])),
        Case("matmul batched 3x7x9 3x9x5", [[3, 7, 9], [3, 9, 5]], t => F.MatMul(t[0], t[1]), t => torch.matmul(t[0], t[1])),
        Case("matmul batched 2x29x31 2x31x3", [[2, 29, 31], [2, 31, 3]], t => F.MatMul(t[0], t[1]), t => torch.matmul(t[0], t[1])),

        Case("sum all", [Image], t => F.Sum(t[0]), t => t[0].sum()),
        Case("mean all 29x31", [[29, 31]], t => F.Mean(t[0]), t => t[0].mean()),
        Case("sum dim 1", [Image], t => F.Sum(t[0], 1), t => t[0].sum(1)),
        Case("sum dim -1 keepdim", [Image], t => F.Sum(t[0], -1, keepDim: true), t => t[0].sum(-1, keepdim: true)),
        Case("mean dim 0", [[5, 7]], t => F.Mean(t[0], 0), t => t[0].mean([0])),
        Case("mean dim 2 keepdim", [Image], t => F.Mean(t[0], 2, keepDim: true), t => t[0].mean([2], keepdim: true)),
        Case("sum dims 2,3", [Image], t => F.Sum(t[0], [2, 3]), t => t[0].sum([2L, 3L])),
        Case("mean dims 0,2 keepdim", [Image], t => F.Mean(t[0], [0, 2], keepDim: true), t => t[0].mean([0, 2], keepdim: true)),
        Case("sum dims -1,-3", [Image], t => F.Sum(t[0], [-1, -3]), t => t[0].sum([-1L, -3L])),
        Case("mean dim 1 of size 1", [[7, 1, 9]], t => F.Mean(t[0], 1), t => t[0].mean([1])),

        Case("concat dim 1 of 3", [Image, [2, 5, 7, 9], [2, 1, 7, 9]], t => F.Concat(t, 1), t => torch.cat(t, 1)),
        Case("concat dim 0", [[1, 7], [3, 7]], t => F.Concat(t, 0), t => torch.cat(t, 0)),
        Case("concat dim -1", [[5, 3], [5, 4]], t => F.Concat(t, -1), t => torch.cat(t, -1)),
        Case("concat dim 1, middle input without gradient", [Image, [2, 2, 7, 9], [2, 1, 7, 9]], t => F.Concat(t, 1), t => torch.cat(t, 1)) with { NoGrad = [1] },
        Case("flatten from 1", [Image], t => F.Flatten(t[0]), t => torch.flatten(t[0], 1)),
        Case("flatten all", [Image], t => F.Flatten(t[0], 0), t => torch.flatten(t[0], 0)),
        Case("flatten 1..2", [Image], t => F.Flatten(t[0], 1, 2), t => torch.flatten(t[0], 1, 2)),

        Case("softmax last dim", [[5, 13]], t => F.Softmax(t[0]), t => TF.softmax(t[0], -1)) with { Range = (-4, 4) },
        Case("softmax dim 1 of 4", [Image], t => F.Softmax(t[0], 1), t => TF.softmax(t[0], 1)) with { Range = (-4, 4) },
        Case("softmax dim 0", [[7, 9]], t => F.Softmax(t[0], 0), t => TF.softmax(t[0], 0)) with { Range = (-4, 4) },
        Case("log_softmax last dim", [[5, 13]], t => F.LogSoftmax(t[0]), t => TF.log_softmax(t[0], -1)) with { Range = (-4, 4) },
        Case("log_softmax dim 1 of 4", [Image], t => F.LogSoftmax(t[0], 1), t => TF.log_softmax(t[0], 1)) with { Range = (-4, 4) },
        Case("log_softmax dim 0", [[7, 9]], t => F.LogSoftmax(t[0], 0), t => TF.log_softmax(t[0], 0)) with { Range = (-4, 4) },
        Case("softmax large logits", [[5, 13]], t => F.Softmax(t[0]), t => TF.softmax(t[0], -1)) with { Range = (-60, 60) },
        Case("log_softmax large logits", [[5, 13]], t => F.LogSoftmax(t[0]), t => TF.log_softmax(t[0], -1)) with { Range = (-60, 60) },
    ];

    public static TheoryData<string> Cases => Names(Table);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesLibTorch(string name) => Check(Table, name);
}
