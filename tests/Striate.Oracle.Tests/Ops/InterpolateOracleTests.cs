using Striate.Ops;
using TorchSharp;
using InterpolationMode = Striate.Ops.InterpolationMode;
using TF = TorchSharp.torch.nn.functional;
using TorchMode = TorchSharp.torch.InterpolationMode;

namespace Striate.Oracle.Tests.Ops;

/// <summary>
/// F.Interpolate and F.CenterCrop against torch.nn.functional.interpolate and torchvision's centre crop (as
/// slices): output and input gradient.
/// </summary>
public class InterpolateOracleTests
{
    private static OpOracle BySize(string name, int[] x, int h, int w, InterpolationMode mode, bool align = false) =>
        OpOracle.Case(name, [x], t => F.Interpolate(t[0], h, w, mode, align),
            t => TF.interpolate(t[0], size: [h, w], mode: Mode(mode), align_corners: mode == InterpolationMode.Bilinear ? align : null));

    private static OpOracle ByScale(string name, int[] x, double sh, double sw, InterpolationMode mode, bool align = false) =>
        OpOracle.Case(name, [x], t => F.Interpolate(t[0], sh, sw, mode, align),
            t => TF.interpolate(t[0], scale_factor: [sh, sw], mode: Mode(mode), align_corners: mode == InterpolationMode.Bilinear ? align : null));

    private static TorchMode Mode(InterpolationMode m) => m switch
    {
        InterpolationMode.Nearest => TorchMode.Nearest,
        InterpolationMode.NearestExact => TorchMode.NearestExact,
        _ => TorchMode.Bilinear,
    };

    internal static readonly OpOracle[] Table =
    [
        BySize("nearest 5x7 to 11x4", [2, 3, 5, 7], 11, 4, InterpolationMode.Nearest),
        BySize("nearest 6x6 to 12x12 (twice)", [1, 2, 6, 6], 12, 12, InterpolationMode.Nearest),
        ByScale("nearest by 1.5 and 0.6", [2, 2, 7, 10], 1.5, 0.6, InterpolationMode.Nearest),
        BySize("nearest-exact 5x7 to 11x4", [2, 3, 5, 7], 11, 4, InterpolationMode.NearestExact),
        ByScale("nearest-exact by 2.5 and 1.3", [1, 2, 5, 6], 2.5, 1.3, InterpolationMode.NearestExact),
        BySize("bilinear 5x7 to 11x4", [2, 3, 5, 7], 11, 4, InterpolationMode.Bilinear),
        BySize("bilinear aligned corners 5x7 to 11x4", [2, 3, 5, 7], 11, 4, InterpolationMode.Bilinear, true),
        BySize("bilinear to one pixel, aligned corners", [1, 2, 5, 6], 1, 3, InterpolationMode.Bilinear, true),
        ByScale("bilinear by 2 (FCN's and U-Net's upsampling)", [2, 4, 6, 5], 2, 2, InterpolationMode.Bilinear),
        ByScale("bilinear by 1.7 and 0.55", [2, 2, 9, 11], 1.7, 0.55, InterpolationMode.Bilinear),
        ByScale("bilinear by 3, aligned corners", [1, 3, 4, 5], 3, 3, InterpolationMode.Bilinear, true),
        OpOracle.Case("center crop 9x10 to 5x7", [[2, 3, 9, 10]], t => F.CenterCrop(t[0], 5, 7), t => t[0].narrow(2, 2, 5).narrow(3, 2, 7)),
    ];

    public static TheoryData<string> Cases => OpOracle.Names(Table);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesLibTorch(string name) => OpOracle.Check(Table, name);
}
