using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Models;

/// <summary>
/// The Inception module of GoogLeNet (Szegedy et al., "Going deeper with convolutions", CVPR 2015, figure 2b): four
/// parallel branches concatenated along the channels, a 1x1 convolution (<c>branch1</c>); a 1x1 reduction then a
/// 3x3 convolution (<c>branch2</c>); a 1x1 reduction then a 5x5 convolution (<c>branch3</c>); and 3x3 stride-1 max
/// pooling then a 1x1 projection (<c>branch4</c>). The spatial size is kept.
/// </summary>
/// <remarks>
/// torchvision's GoogLeNet puts batch norm in every <see cref="BasicConv2d"/> and, to match the weights it was
/// ported from, uses a 3x3 kernel in the "5x5" branch: pass <c>batchNorm: true, branch3Kernel: 3</c> for that form.
/// </remarks>
public sealed class Inception : Module
{
    /// <param name="inChannels">Input channels.</param>
    /// <param name="ch1x1">Output channels of the 1x1 branch (table 1's "#1x1").</param>
    /// <param name="ch3x3Reduce">Channels of the reduction before the 3x3 convolution ("#3x3 reduce").</param>
    /// <param name="ch3x3">Output channels of the 3x3 branch ("#3x3").</param>
    /// <param name="ch5x5Reduce">Channels of the reduction before the 5x5 convolution ("#5x5 reduce").</param>
    /// <param name="ch5x5">Output channels of the 5x5 branch ("#5x5").</param>
    /// <param name="poolProj">Output channels of the pooling branch ("pool proj").</param>
    /// <param name="batchNorm">Batch norm after every convolution (torchvision's form).</param>
    /// <param name="branch3Kernel">Kernel of the "5x5" branch: 5 in the paper, 3 in torchvision.</param>
    /// <param name="generator">The stream the initial weights come from.</param>
    public Inception(int inChannels, int ch1x1, int ch3x3Reduce, int ch3x3, int ch5x5Reduce, int ch5x5, int poolProj,
        bool batchNorm = false, int branch3Kernel = 5, Generator? generator = null)
    {
        if (branch3Kernel < 1 || branch3Kernel % 2 == 0)
            throw new ArgumentException($"Inception: branch3Kernel must be odd and positive, got {branch3Kernel}.");
        Branch1 = RegisterModule("branch1", new BasicConv2d(inChannels, ch1x1, 1, batchNorm: batchNorm, generator: generator));
        Branch2 = RegisterModule("branch2", new Sequential(
            new BasicConv2d(inChannels, ch3x3Reduce, 1, batchNorm: batchNorm, generator: generator),
            new BasicConv2d(ch3x3Reduce, ch3x3, 3, padding: 1, batchNorm: batchNorm, generator: generator)));
        Branch3 = RegisterModule("branch3", new Sequential(
            new BasicConv2d(inChannels, ch5x5Reduce, 1, batchNorm: batchNorm, generator: generator),
            new BasicConv2d(ch5x5Reduce, ch5x5, branch3Kernel, padding: branch3Kernel / 2, batchNorm: batchNorm, generator: generator)));
        Branch4 = RegisterModule("branch4", new Sequential(
            new MaxPool2d(3, stride: 1, padding: 1, ceilMode: true),
            new BasicConv2d(inChannels, poolProj, 1, batchNorm: batchNorm, generator: generator)));
        OutChannels = ch1x1 + ch3x3 + ch5x5 + poolProj;
    }

    public BasicConv2d Branch1 { get; }
    public Sequential Branch2 { get; }
    public Sequential Branch3 { get; }
    public Sequential Branch4 { get; }

    /// <summary>Channels of the concatenated output.</summary>
    public int OutChannels { get; }

    protected override Tensor OnForward(Tensor input) =>
        F.Concat([Branch1.Call(input), Branch2.Call(input), Branch3.Call(input), Branch4.Call(input)], 1);
}
