using TorchSharp;
using static TorchSharp.torch;

namespace Striate.Oracle.Tests.Models;

/// <summary>torchvision's GoogLeNet <c>BasicConv2d</c> in TorchSharp: conv (no bias), bn (eps 0.001), ReLU.</summary>
internal sealed class TorchBasicConv2d : nn.Module<Tensor, Tensor>
{
    // Registered under torchvision's names; RegisterComponents (which TorchSharp also runs when a parent registers
    // this module) takes the names from these attributes rather than from the field names.
    [TorchSharp.Utils.ComponentName(Name = "conv")]
    private readonly nn.Module<Tensor, Tensor> _conv;
    [TorchSharp.Utils.ComponentName(Name = "bn")]
    private readonly nn.Module<Tensor, Tensor> _bn;

    public TorchBasicConv2d(long inChannels, long outChannels, long kernelSize, long padding = 0) : base(nameof(TorchBasicConv2d))
    {
        _conv = nn.Conv2d(inChannels, outChannels, kernelSize, padding: padding, bias: false);
        _bn = nn.BatchNorm2d(outChannels, eps: 0.001);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return nn.functional.relu(_bn.forward(_conv.forward(input))).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// torchvision's GoogLeNet <c>Inception</c> block in TorchSharp: branch1 (1x1), branch2 (1x1 then 3x3), branch3
/// (1x1 then 3x3, torchvision's stand-in for 5x5), branch4 (3x3 stride-1 max pooling with ceil mode, then 1x1),
/// concatenated along the channels.
/// </summary>
internal sealed class TorchInception : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> _branch1, _branch2, _branch3, _branch4;

    public TorchInception(long inChannels, long ch1x1, long ch3x3Reduce, long ch3x3, long ch5x5Reduce, long ch5x5, long poolProj)
        : base(nameof(TorchInception))
    {
        _branch1 = new TorchBasicConv2d(inChannels, ch1x1, 1);
        _branch2 = nn.Sequential(
            ("0", new TorchBasicConv2d(inChannels, ch3x3Reduce, 1)),
            ("1", new TorchBasicConv2d(ch3x3Reduce, ch3x3, 3, padding: 1)));
        _branch3 = nn.Sequential(
            ("0", new TorchBasicConv2d(inChannels, ch5x5Reduce, 1)),
            ("1", new TorchBasicConv2d(ch5x5Reduce, ch5x5, 3, padding: 1)));
        _branch4 = nn.Sequential(
            ("0", nn.MaxPool2d(3, 1, 1, ceil_mode: true)),
            ("1", new TorchBasicConv2d(inChannels, poolProj, 1)));
        register_module("branch1", _branch1);
        register_module("branch2", _branch2);
        register_module("branch3", _branch3);
        register_module("branch4", _branch4);
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return cat([_branch1.forward(input), _branch2.forward(input), _branch3.forward(input), _branch4.forward(input)], 1)
            .MoveToOuterDisposeScope();
    }
}
