using Striate.Ops;
using TF = TorchSharp.torch.nn.functional;

namespace Striate.Oracle.Tests.Ops;

/// <summary>MaxPool2d, AvgPool2d, AdaptiveAvgPool2d and GlobalAvgPool2d against torch.nn.functional.</summary>
public class PoolOracleTests
{
    private static OpOracle Max(string name, int[] x, (int H, int W) k, (int H, int W) s, (int H, int W) p, (int H, int W) d, bool ceil = false) =>
        OpOracle.Case(name, [x],
            t => F.MaxPool2d(t[0], k, s, p, d, ceil),
            t => TF.max_pool2d(t[0], [k.H, k.W], [s.H, s.W], [p.H, p.W], [d.H, d.W], ceil));

    private static OpOracle Avg(string name, int[] x, (int H, int W) k, (int H, int W) s, (int H, int W) p, bool ceil = false, bool countPad = true) =>
        OpOracle.Case(name, [x],
            t => F.AvgPool2d(t[0], k, s, p, ceil, countPad),
            t => TF.avg_pool2d(t[0], [k.H, k.W], [s.H, s.W], [p.H, p.W], ceil, countPad));

    private static OpOracle Adaptive(string name, int[] x, (int H, int W) o) =>
        OpOracle.Case(name, [x], t => F.AdaptiveAvgPool2d(t[0], o), t => TF.adaptive_avg_pool2d(t[0], [o.H, o.W]));

    private static OpOracle Global(string name, int[] x) =>
        OpOracle.Case(name, [x], t => F.GlobalAvgPool2d(t[0]), t => t[0].mean([2, 3], keepdim: true));

    // Ceil-mode edge cases: 6 + 2 * 1 padding with k3 s2 keeps a last window hanging past the padded input;
    // 5 + 2 * 1 with k2 s2 and 8 + 2 * 1 with k3 s3 would start a last window in the right padding, which is dropped.
    internal static readonly OpOracle[] Table =
    [
        Max("max k3 s2 29x31", [2, 3, 29, 31], (3, 3), (2, 2), (0, 0), (1, 1)),
        Max("max k2 batch 1 7x9", [1, 5, 7, 9], (2, 2), (2, 2), (0, 0), (1, 1)),
        Max("max k2 ceil 7x9", [2, 3, 7, 9], (2, 2), (2, 2), (0, 0), (1, 1), ceil: true),
        Max("max k3 s2 pad 1 ceil 7x9", [2, 3, 7, 9], (3, 3), (2, 2), (1, 1), (1, 1), ceil: true),
        Max("max k3 s2 pad 1 ceil 6x6", [1, 3, 6, 6], (3, 3), (2, 2), (1, 1), (1, 1), ceil: true),
        Max("max k2 s2 pad 1 ceil 5x5 drops a window", [2, 3, 5, 5], (2, 2), (2, 2), (1, 1), (1, 1), ceil: true),
        Max("max k3 s3 pad 1 ceil 8x8 drops a window", [2, 3, 8, 8], (3, 3), (3, 3), (1, 1), (1, 1), ceil: true),
        Max("max stride 3 > kernel 2", [2, 3, 11, 13], (2, 2), (3, 3), (0, 0), (1, 1)),
        Max("max k3 pad 1 dilation 2", [2, 3, 13, 17], (3, 3), (1, 1), (1, 1), (2, 2)),
        Max("max k2 s2 dilation 3 ceil 29x31", [1, 4, 29, 31], (2, 2), (2, 2), (0, 0), (3, 3), ceil: true),
        Max("max k3 s2 pad 1 dilation 2x3 ceil 7x9", [2, 5, 7, 9], (3, 3), (2, 2), (1, 1), (2, 3), ceil: true),
        Max("max k2 s3 pad 1 dilation 2 ceil 5x5 drops a window", [2, 3, 5, 5], (2, 2), (3, 3), (1, 1), (2, 2), ceil: true),
        Max("max k3x2 s2x1 pad 1x0", [2, 7, 9, 7], (3, 2), (2, 1), (1, 0), (1, 1)),
        Max("max k3 s2 pad 1 ceil all negative (padding is not 0)", [2, 3, 7, 9], (3, 3), (2, 2), (1, 1), (1, 1), ceil: true) with { Range = (-2, -1) },

        Avg("avg k3 s2 29x31", [2, 3, 29, 31], (3, 3), (2, 2), (0, 0)),
        Avg("avg k2 batch 1 7x9", [1, 5, 7, 9], (2, 2), (2, 2), (0, 0)),
        Avg("avg k2 ceil 7x9", [2, 3, 7, 9], (2, 2), (2, 2), (0, 0), ceil: true),
        Avg("avg k3 s2 pad 1 count pad", [2, 3, 7, 9], (3, 3), (2, 2), (1, 1)),
        Avg("avg k3 s2 pad 1 exclude pad", [2, 3, 7, 9], (3, 3), (2, 2), (1, 1), countPad: false),
        Avg("avg k3 s2 pad 1 ceil 6x6 count pad", [1, 3, 6, 6], (3, 3), (2, 2), (1, 1), ceil: true),
        Avg("avg k3 s2 pad 1 ceil 6x6 exclude pad", [1, 3, 6, 6], (3, 3), (2, 2), (1, 1), ceil: true, countPad: false),
        Avg("avg k2 s2 pad 1 ceil 5x5 drops a window count pad", [2, 3, 5, 5], (2, 2), (2, 2), (1, 1), ceil: true),
        Avg("avg k3 s3 pad 1 ceil 8x8 drops a window exclude pad", [2, 3, 8, 8], (3, 3), (3, 3), (1, 1), ceil: true, countPad: false),
        Avg("avg stride 3 > kernel 2", [2, 3, 11, 13], (2, 2), (3, 3), (0, 0)),
        Avg("avg k3x2 s1x2 pad 1x1 exclude pad", [1, 5, 7, 9], (3, 2), (1, 2), (1, 1), countPad: false),
        Avg("avg k5 s2 pad 2 ceil 29x31 count pad", [2, 3, 29, 31], (5, 5), (2, 2), (2, 2), ceil: true),
        Avg("avg k5 s2 pad 2 ceil 29x31 exclude pad", [2, 3, 29, 31], (5, 5), (2, 2), (2, 2), ceil: true, countPad: false),

        Adaptive("adaptive 29x31 to 5x7", [2, 3, 29, 31], (5, 7)),
        Adaptive("adaptive 7x9 to 3x4", [1, 5, 7, 9], (3, 4)),
        Adaptive("adaptive 7x9 to 7x9", [2, 3, 7, 9], (7, 9)),
        Adaptive("adaptive 4x3 to 7x9 (overlapping cells)", [2, 3, 4, 3], (7, 9)),
        Adaptive("adaptive 29x31 to 4x3 batch 1", [1, 13, 29, 31], (4, 3)),
        Adaptive("adaptive 7x9 to 1x1", [2, 3, 7, 9], (1, 1)),
        Adaptive("adaptive 29x3 to 5x7 (one side grows)", [2, 3, 29, 3], (5, 7)),
        Global("global 7x9", [2, 5, 7, 9]),
        Global("global 29x31 batch 1", [1, 13, 29, 31]),
    ];

    public static TheoryData<string> Cases => OpOracle.Names(Table);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesLibTorch(string name) => OpOracle.Check(Table, name);
}
