using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Models;

/// <summary>
/// The Inception v3 module with factorised 7x7 convolutions (Szegedy et al., "Rethinking the Inception architecture
/// for computer vision", CVPR 2016, figure 6): a 7x7 convolution becomes a 1x7 then a 7x1 one, with the same
/// receptive field for 14 weights per channel pair instead of 49. Four branches, concatenated to 768 channels: a
/// 1x1 convolution; 1x1, 1x7, 7x1; 1x1, 7x1, 1x7, 7x1, 1x7; and 3x3 average pooling then a 1x1 convolution.
/// torchvision's structure and names (branch1x1, branch7x7_1 to _3, branch7x7dbl_1 to _5, branch_pool; Mixed_6b to
/// Mixed_6e of inception_v3), built from <see cref="BasicConv2d"/> with batch norm. The spatial size is kept.
/// </summary>
public sealed class InceptionC : Module
{
    private readonly BasicConv2d _branch1x1;
    private readonly BasicConv2d[] _branch7x7;
    private readonly BasicConv2d[] _branch7x7dbl;
    private readonly BasicConv2d _branchPool;

    /// <param name="inChannels">Input channels (768 in Inception v3).</param>
    /// <param name="channels7x7">Channels inside the factorised branches (128, 160, 160 and 192 in Inception v3).</param>
    /// <param name="generator">The stream the initial weights come from.</param>
    public InceptionC(int inChannels, int channels7x7, Generator? generator = null)
    {
        int c7 = channels7x7;
        BasicConv2d Conv(int i, int o, Size2 k, Padding2d p = default) => new(i, o, k, padding: p, generator: generator);
        var pad1x7 = Padding2d.Symmetric(0, 3);
        var pad7x1 = Padding2d.Symmetric(3, 0);

        _branch1x1 = RegisterModule("branch1x1", Conv(inChannels, 192, 1));
        _branch7x7 =
        [
            RegisterModule("branch7x7_1", Conv(inChannels, c7, 1)),
            RegisterModule("branch7x7_2", Conv(c7, c7, (1, 7), pad1x7)),
            RegisterModule("branch7x7_3", Conv(c7, 192, (7, 1), pad7x1)),
        ];
        _branch7x7dbl =
        [
            RegisterModule("branch7x7dbl_1", Conv(inChannels, c7, 1)),
            RegisterModule("branch7x7dbl_2", Conv(c7, c7, (7, 1), pad7x1)),
            RegisterModule("branch7x7dbl_3", Conv(c7, c7, (1, 7), pad1x7)),
            RegisterModule("branch7x7dbl_4", Conv(c7, c7, (7, 1), pad7x1)),
            RegisterModule("branch7x7dbl_5", Conv(c7, 192, (1, 7), pad1x7)),
        ];
        _branchPool = RegisterModule("branch_pool", Conv(inChannels, 192, 1));
    }

    /// <summary>Channels of the concatenated output.</summary>
    public int OutChannels => 4 * 192;

    protected override Tensor OnForward(Tensor input)
    {
        var branch1x1 = _branch1x1.Call(input);
        var branch7x7 = input;
        foreach (var conv in _branch7x7) branch7x7 = conv.Call(branch7x7);
        var branch7x7dbl = input;
        foreach (var conv in _branch7x7dbl) branch7x7dbl = conv.Call(branch7x7dbl);
        var branchPool = _branchPool.Call(F.AvgPool2d(input, (3, 3), (1, 1), (1, 1), module: Path));
        return F.Concat([branch1x1, branch7x7, branch7x7dbl, branchPool], 1);
    }
}
