using Striate.Ops;
using TF = TorchSharp.torch.nn.functional;

namespace Striate.Oracle.Tests.Ops;

/// <summary>Conv2d and ConvTranspose2d against torch.nn.functional: output and the gradients of x, weight and bias.</summary>
public class ConvOracleTests
{
    // x [N, C, H, W], weight [OC, C/groups, KH, KW], optional bias [OC]. libtorch pads symmetrically only, so the
    // reference pads x with F.pad (left, right, top, bottom) first; 'same' puts the odd row or column at the end.
    private static OpOracle Conv(string name, int[] x, int[] w, bool bias, (int H, int W) s, Padding2d p, (int H, int W) d, int groups = 1)
    {
        var (top, bottom, left, right) = p.Mode switch
        {
            PaddingMode.Valid => (0, 0, 0, 0),
            PaddingMode.Same => (d.H * (w[2] - 1) / 2, d.H * (w[2] - 1) - d.H * (w[2] - 1) / 2,
                                 d.W * (w[3] - 1) / 2, d.W * (w[3] - 1) - d.W * (w[3] - 1) / 2),
            _ => (p.Top, p.Bottom, p.Left, p.Right),
        };
        return OpOracle.Case(name, bias ? [x, w, [w[0]]] : [x, w],
            t => F.Conv2d(t[0], t[1], bias ? t[2] : null, s, p, d, groups),
            t => TF.conv2d(TF.pad(t[0], [left, right, top, bottom]), t[1], bias ? t[2] : null,
                strides: [s.H, s.W], dilation: [d.H, d.W], groups: groups));
    }

    // x [N, Cin, H, W], weight [Cin, Cout/groups, KH, KW], optional bias [Cout].
    private static OpOracle ConvT(string name, int[] x, int[] w, bool bias, (int H, int W) s, (int H, int W) p, (int H, int W) op,
        (int H, int W) d, int groups = 1) =>
        OpOracle.Case(name, bias ? [x, w, [w[1] * groups]] : [x, w],
            t => F.ConvTranspose2d(t[0], t[1], bias ? t[2] : null, s, p, op, d, groups),
            t => TF.conv_transpose2d(t[0], t[1], bias ? t[2] : null, strides: [s.H, s.W], padding: [p.H, p.W],
                output_padding: [op.H, op.W], dilation: [d.H, d.W], groups: groups));

    internal static readonly OpOracle[] Table =
    [
        Conv("conv 29x31 3->5 k3 pad 1 bias", [2, 3, 29, 31], [5, 3, 3, 3], true, (1, 1), 1, (1, 1)),
        Conv("conv 13->11 29x31 k5 pad 2 bias batch 3", [3, 13, 29, 31], [11, 13, 5, 5], true, (1, 1), 2, (1, 1)),
        Conv("conv batch 1 7x9 k3x2 stride 2x3", [1, 5, 7, 9], [6, 5, 3, 2], false, (2, 3), 0, (1, 1)),
        Conv("conv stride 3 > kernel 2", [2, 3, 11, 13], [4, 3, 2, 2], true, (3, 3), 0, (1, 1)),
        Conv("conv stride 4x3 > kernel 1x1", [3, 5, 11, 6], [7, 5, 1, 1], false, (4, 3), 0, (1, 1)),
        Conv("conv 1x1 10->3 bias", [2, 10, 7, 9], [3, 10, 1, 1], true, (1, 1), 0, (1, 1)),
        Conv("conv kernel covers the input", [2, 3, 5, 5], [4, 3, 5, 5], true, (1, 1), 0, (1, 1)),
        Conv("conv dilation 2 pad 2 bias", [2, 3, 13, 17], [5, 3, 3, 3], true, (1, 1), 2, (2, 2)),
        Conv("conv dilation 3x2 stride 2 pad 3x2", [1, 4, 29, 31], [6, 4, 3, 3], false, (2, 2), Padding2d.Symmetric(3, 2), (3, 2)),
        Conv("conv groups 2 pad 1 bias", [2, 6, 9, 7], [10, 3, 3, 3], true, (1, 1), 1, (1, 1), groups: 2),
        Conv("conv groups 2 stride 2 dilation 2", [1, 10, 13, 11], [6, 5, 3, 3], false, (2, 2), 0, (2, 2), groups: 2),
        Conv("conv depthwise 7 k3 pad 1 bias", [2, 7, 9, 11], [7, 1, 3, 3], true, (1, 1), 1, (1, 1), groups: 7),
        Conv("conv depthwise 7x2 k5 stride 2 29x31", [1, 7, 29, 31], [14, 1, 5, 5], true, (2, 2), 2, (1, 1), groups: 7),
        Conv("conv asymmetric padding 2,0,1,3", [2, 3, 7, 9], [5, 3, 3, 3], true, (1, 1), new Padding2d(2, 0, 1, 3), (1, 1)),
        Conv("conv asymmetric padding stride 2 dilation 2", [1, 5, 11, 10], [4, 5, 3, 2], false, (2, 2), new Padding2d(0, 3, 2, 1), (2, 2)),
        Conv("conv same k4 (odd padding total)", [2, 3, 7, 9], [5, 3, 4, 4], true, (1, 1), Padding2d.Same, (1, 1)),
        Conv("conv same k2x5", [2, 5, 7, 9], [3, 5, 2, 5], true, (1, 1), Padding2d.Same, (1, 1)),
        Conv("conv same k3 dilation 3 groups 2", [1, 6, 9, 8], [6, 3, 3, 3], false, (1, 1), Padding2d.Same, (3, 3), groups: 2),
        Conv("conv valid k5", [2, 3, 7, 9], [5, 3, 5, 5], true, (1, 1), Padding2d.Valid, (1, 1)),
        Conv("conv same k2 dilation 3", [2, 3, 7, 9], [4, 3, 2, 2], true, (1, 1), Padding2d.Same, (3, 3)),
        Conv("conv padding 3 > kernel 2 (windows all padding)", [1, 3, 5, 4], [2, 3, 2, 2], true, (1, 1), 3, (1, 1)),
        Conv("conv groups 3 k1 stride 2", [2, 9, 7, 9], [6, 3, 1, 1], true, (2, 2), 0, (1, 1), groups: 3),

        ConvT("conv_transpose 7x9 3->5 k3 bias", [2, 3, 7, 9], [3, 5, 3, 3], true, (1, 1), (0, 0), (0, 0), (1, 1)),
        ConvT("conv_transpose stride 2 pad 1 output_padding 1", [1, 4, 7, 9], [4, 6, 3, 3], true, (2, 2), (1, 1), (1, 1), (1, 1)),
        ConvT("conv_transpose stride 3 > kernel 2", [2, 3, 5, 6], [3, 2, 2, 2], false, (3, 3), (0, 0), (0, 0), (1, 1)),
        ConvT("conv_transpose k4x3 stride 2x3 pad 1x0 output_padding 1x2", [1, 5, 6, 7], [5, 3, 4, 3], true, (2, 3), (1, 0), (1, 2), (1, 1)),
        ConvT("conv_transpose dilation 2 stride 2 pad 2", [2, 3, 7, 5], [3, 4, 3, 3], true, (2, 2), (2, 2), (0, 0), (2, 2)),
        ConvT("conv_transpose dilation 3 output_padding 2", [1, 2, 5, 7], [2, 3, 3, 3], false, (1, 1), (0, 0), (2, 2), (3, 3)),
        ConvT("conv_transpose groups 2 stride 2 pad 1", [2, 6, 7, 9], [6, 2, 3, 3], true, (2, 2), (1, 1), (0, 0), (1, 1), groups: 2),
        ConvT("conv_transpose depthwise 7 stride 2", [1, 7, 9, 11], [7, 1, 3, 3], true, (2, 2), (0, 0), (0, 0), (1, 1), groups: 7),
        ConvT("conv_transpose 29x31 k4 stride 2 pad 1", [2, 5, 29, 31], [5, 3, 4, 4], true, (2, 2), (1, 1), (0, 0), (1, 1)),
        ConvT("conv_transpose stride 2 output_padding 1 > padding 0", [2, 3, 5, 6], [3, 4, 3, 3], true, (2, 2), (0, 0), (1, 1), (1, 1)),
        ConvT("conv_transpose k1 stride 2 > kernel output_padding 1", [1, 3, 4, 5], [3, 2, 1, 1], true, (2, 2), (0, 0), (1, 1), (1, 1)),
        ConvT("conv_transpose stride 2 dilation 3 output_padding 2 groups 2", [2, 4, 5, 6], [4, 3, 3, 2], true, (2, 2), (1, 0), (2, 2), (3, 3), groups: 2),
    ];

    public static TheoryData<string> Cases => OpOracle.Names(Table);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesLibTorch(string name) => OpOracle.Check(Table, name);
}
