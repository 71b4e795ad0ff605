using Striate.Ops;
using TorchSharp;
using TF = TorchSharp.torch.nn.functional;

namespace Striate.Oracle.Tests.Ops;

/// <summary>F.Pad in its four modes against torch.nn.functional.pad: output and input gradient.</summary>
public class PadOracleTests
{
    private static OpOracle Pad(string name, int[] x, int[] pad, PadMode mode, float value = 0f)
    {
        var torchMode = mode switch
        {
            PadMode.Reflect => PaddingModes.Reflect,
            PadMode.Replicate => PaddingModes.Replicate,
            PadMode.Circular => PaddingModes.Circular,
            _ => PaddingModes.Constant,
        };
        long[] tp = Array.ConvertAll(pad, v => (long)v);
        return OpOracle.Case(name, [x], t => F.Pad(t[0], pad, mode, value), t => TF.pad(t[0], tp, torchMode, value));
    }

    internal static readonly OpOracle[] Table =
    [
        Pad("constant 0 on H and W 29x31", [2, 3, 29, 31], [1, 2, 3, 0], PadMode.Constant),
        Pad("constant -2.5 on the last dimension only", [3, 7, 9], [4, 1], PadMode.Constant, -2.5f),
        Pad("constant crops with negative amounts", [2, 3, 7, 9], [-2, 1, 3, -4], PadMode.Constant, 0.75f),
        Pad("constant on N, C, H and W", [2, 3, 4, 5], [1, 1, 0, 2, 1, 0, 2, 1], PadMode.Constant, 1f),
        Pad("reflect H and W batch", [2, 3, 7, 9], [3, 2, 1, 6], PadMode.Reflect),
        Pad("reflect W of [C, W]", [3, 11], [10, 4], PadMode.Reflect),
        Pad("reflect a volume C, H, W", [2, 3, 4, 5], [1, 4, 3, 2, 1, 2], PadMode.Reflect),
        Pad("reflect with crops", [2, 3, 7, 9], [3, -2, -1, 4], PadMode.Reflect),
        Pad("replicate H and W", [2, 3, 7, 9], [4, 0, 2, 5], PadMode.Replicate),
        Pad("replicate beyond the size", [1, 2, 3, 2], [5, 6, 7, 1], PadMode.Replicate),
        Pad("replicate W of [C, W]", [3, 11], [2, 13], PadMode.Replicate),
        Pad("replicate with crops", [2, 3, 7, 9], [-3, 2, 4, -1], PadMode.Replicate),
        Pad("circular H and W", [2, 3, 7, 9], [3, 9, 7, 2], PadMode.Circular),
        Pad("circular crops first, then wraps", [2, 3, 7, 9], [4, -2, -3, 2], PadMode.Circular),
        Pad("circular W of [C, W]", [3, 11], [5, 11], PadMode.Circular),
    ];

    public static TheoryData<string> Cases => OpOracle.Names(Table);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesLibTorch(string name) => OpOracle.Check(Table, name);
}
