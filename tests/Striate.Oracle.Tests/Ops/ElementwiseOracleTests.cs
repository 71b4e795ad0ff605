using Striate.Ops;
using static Striate.Oracle.Tests.Ops.OpOracle;
using TF = TorchSharp.torch.nn.functional;

namespace Striate.Oracle.Tests.Ops;

/// <summary>Activations and the broadcasting arithmetic against libtorch: output and every input's gradient.</summary>
public class ElementwiseOracleTests
{
    private static readonly int[] Image = [2, 3, 7, 9];

    internal static readonly OpOracle[] Table =
    [
        Case("relu", [Image], t => F.Relu(t[0]), t => TF.relu(t[0])) with { Range = (-3, 3) },
        Case("leaky_relu default slope", [Image], t => F.LeakyRelu(t[0]), t => TF.leaky_relu(t[0])) with { Range = (-3, 3) },
        Case("leaky_relu slope 0.2", [[5, 13]], t => F.LeakyRelu(t[0], 0.2f), t => TF.leaky_relu(t[0], 0.2)) with { Range = (-3, 3) },
        Case("elu alpha 1", [Image], t => F.Elu(t[0]), t => TF.elu(t[0], 1.0)) with { Range = (-3, 3) },
        Case("elu alpha 0.5", [[5, 13]], t => F.Elu(t[0], 0.5f), t => TF.elu(t[0], 0.5)) with { Range = (-3, 3) },
        Case("sigmoid", [Image], t => F.Sigmoid(t[0]), t => TF.sigmoid(t[0])) with { Range = (-6, 6) },
        Case("sigmoid saturating", [[5, 13]], t => F.Sigmoid(t[0]), t => TF.sigmoid(t[0])) with { Range = (-40, 40) },
        Case("tanh", [Image], t => F.Tanh(t[0]), t => TF.tanh(t[0])) with { Range = (-3, 3) },
        Case("tanh saturating", [[5, 13]], t => F.Tanh(t[0]), t => TF.tanh(t[0])) with { Range = (-12, 12) },
        Case("tanh near zero", [[5, 13]], t => F.Tanh(t[0]), t => TF.tanh(t[0])) with { Range = (-1e-3f, 1e-3f), RelTol = 1e-7 },

        Case("add same shape 7x9", [[7, 9], [7, 9]], t => F.Add(t[0], t[1]), t => t[0] + t[1]),
        Case("add 2x3x7x9 + 3x1x9", [Image, [3, 1, 9]], t => F.Add(t[0], t[1]), t => t[0] + t[1]),
        Case("add 7x1 + 1x9", [[7, 1], [1, 9]], t => F.Add(t[0], t[1]), t => t[0] + t[1]),
        Case("add scalar + 7x9", [[], [7, 9]], t => F.Add(t[0], t[1]), t => t[0] + t[1]),
        Case("sub 2x3x7x9 - 9", [Image, [9]], t => F.Sub(t[0], t[1]), t => t[0] - t[1]),
        Case("sub 1x3x1x1 - 2x1x7x9", [[1, 3, 1, 1], [2, 1, 7, 9]], t => F.Sub(t[0], t[1]), t => t[0] - t[1]),
        Case("mul same shape", [Image, Image], t => F.Mul(t[0], t[1]), t => t[0] * t[1]),
        Case("mul 2x1x7x9 * 1x3x1x1", [[2, 1, 7, 9], [1, 3, 1, 1]], t => F.Mul(t[0], t[1]), t => t[0] * t[1]),
        Case("mul 5x7 * 7", [[5, 7], [7]], t => F.Mul(t[0], t[1]), t => t[0] * t[1]),
        Case("mul x * x (gradient from two uses)", [[7, 9]], t => F.Mul(t[0], t[0]), t => t[0] * t[0]),
        Case("div same shape", [Image, Image], t => F.Div(t[0], t[1]), t => t[0] / t[1]).In(1, 0.5f, 2f),
        Case("div 2x3x7x9 / 3x1x1", [Image, [3, 1, 1]], t => F.Div(t[0], t[1]), t => t[0] / t[1]).In(1, -2f, -0.5f),
        Case("div 7x1 / 1x9", [[7, 1], [1, 9]], t => F.Div(t[0], t[1]), t => t[0] / t[1]).In(1, 0.5f, 2f),

        Case("exp, log, sqrt, pow", [[3, 5]], t => F.Pow(F.Sqrt(F.Log(F.Exp(t[0]))), 3f), t => t[0].exp().log().sqrt().pow(3)) with { Range = (0.5f, 2f) },
        Case("abs, square, neg", [[4, 6]], t => F.Neg(F.Square(F.Abs(t[0]))), t => -t[0].abs().square()) with { Range = (-2f, 2f) },
        Case("permute", [[2, 3, 4, 5]], t => F.Permute(t[0], 0, 2, 3, 1), t => t[0].permute(0, 2, 3, 1)),
        Case("narrow", [[3, 7, 2]], t => F.Narrow(t[0], 1, 2, 4), t => t[0].narrow(1, 2, 4)),
        Case("max along a dimension", [[4, 6]], t => F.Max(t[0], 1).Values, t => t[0].max(1).values),
    ];

    public static TheoryData<string> Cases => Names(Table);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesLibTorch(string name) => Check(Table, name);
}
