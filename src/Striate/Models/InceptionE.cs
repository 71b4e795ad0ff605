using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Models;

/// <summary>
/// The Inception v3 module with expanded filter banks (Szegedy et al., "Rethinking the Inception architecture for
/// computer vision", CVPR 2016, figure 7), used on the coarsest (8x8) grid: the 3x3 convolutions are split into a
/// 1x3 and a 3x1 convolution applied side by side and concatenated, widening the output. Branches: a 1x1
/// convolution to 320; 1x1 to 384 then [1x3, 3x1] to 384 each; 1x1 to 448, 3x3 to 384, then [1x3, 3x1] to 384
/// each; 3x3 average pooling then a 1x1 convolution to 192; 2048 channels in all. torchvision's structure and names
/// (branch1x1, branch3x3_1, branch3x3_2a, branch3x3_2b, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3a,
/// branch3x3dbl_3b, branch_pool; Mixed_7b and Mixed_7c of inception_v3). The spatial size is kept.
/// </summary>
public sealed class InceptionE : Module
{
    private readonly BasicConv2d _branch1x1;
    private readonly BasicConv2d _branch3x3_1, _branch3x3_2a, _branch3x3_2b;
    private readonly BasicConv2d _branch3x3dbl_1, _branch3x3dbl_2, _branch3x3dbl_3a, _branch3x3dbl_3b;
    private readonly BasicConv2d _branchPool;

    /// <param name="inChannels">Input channels (1280 and 2048 in Inception v3).</param>
    /// <param name="generator">The stream the initial weights come from.</param>
    public InceptionE(int inChannels, Generator? generator = null)
    {
        BasicConv2d Conv(int i, int o, Size2 k, Padding2d p = default) => new(i, o, k, padding: p, generator: generator);
        var pad1x3 = Padding2d.Symmetric(0, 1);
        var pad3x1 = Padding2d.Symmetric(1, 0);

        _branch1x1 = RegisterModule("branch1x1", Conv(inChannels, 320, 1));

        _branch3x3_1 = RegisterModule("branch3x3_1", Conv(inChannels, 384, 1));
        _branch3x3_2a = RegisterModule("branch3x3_2a", Conv(384, 384, (1, 3), pad1x3));
        _branch3x3_2b = RegisterModule("branch3x3_2b", Conv(384, 384, (3, 1), pad3x1));

        _branch3x3dbl_1 = RegisterModule("branch3x3dbl_1", Conv(inChannels, 448, 1));
        _branch3x3dbl_2 = RegisterModule("branch3x3dbl_2", Conv(448, 384, 3, 1));
        _branch3x3dbl_3a = RegisterModule("branch3x3dbl_3a", Conv(384, 384, (1, 3), pad1x3));
        _branch3x3dbl_3b = RegisterModule("branch3x3dbl_3b", Conv(384, 384, (3, 1), pad3x1));

        _branchPool = RegisterModule("branch_pool", Conv(inChannels, 192, 1));
    }

    /// <summary>Channels of the concatenated output.</summary>
    public int OutChannels => 320 + 2 * 384 + 2 * 384 + 192;

    protected override Tensor OnForward(Tensor input)
    {
        var branch1x1 = _branch1x1.Call(input);

        var branch3x3 = _branch3x3_1.Call(input);
        branch3x3 = F.Concat([_branch3x3_2a.Call(branch3x3), _branch3x3_2b.Call(branch3x3)], 1);

        var branch3x3dbl = _branch3x3dbl_2.Call(_branch3x3dbl_1.Call(input));
        branch3x3dbl = F.Concat([_branch3x3dbl_3a.Call(branch3x3dbl), _branch3x3dbl_3b.Call(branch3x3dbl)], 1);

        var branchPool = _branchPool.Call(F.AvgPool2d(input, (3, 3), (1, 1), (1, 1), module: Path));
        return F.Concat([branch1x1, branch3x3, branch3x3dbl, branchPool], 1);
    }
}
