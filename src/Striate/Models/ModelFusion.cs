using Striate.Nn;
using Striate.Tensors;

namespace Striate.Models;

/// <summary>
/// The fused inference forms of the zoo's blocks, which <see cref="Module.Call"/> runs in evaluation mode without
/// gradients (<see cref="InferenceFusion"/>): each convolution with its batch norm folded and its ReLU, residual add
/// or 2x2 pooling in its output step. The blocks' OnForward methods stay layer by layer, as the papers draw them.
/// </summary>
internal static class ModelFusion
{
    // Registered once, before the first block of these types is made (their static constructors call Ensure), so a
    // block built by hand fuses as one built by the zoo.
    static ModelFusion()
    {
        InferenceFusion.Register<BasicBlock>(BasicBlock);
        InferenceFusion.Register<Bottleneck>(Bottleneck);
        InferenceFusion.Register<ResNet>((r, x) => r.Head(InferenceFusion.ConvBn(r.Conv1, r.Bn1, x, relu: true)));
        InferenceFusion.Register<BasicConv2d>((b, x) => InferenceFusion.ConvBn(b.Conv, b.Bn, x, relu: true));
        // Each convolution with its ReLU and pooling in one pass.
        InferenceFusion.Register<LeNet5>((m, x) => InferenceFusion.RunSequence(m.Layers, x));
    }

    /// <summary>Makes sure the fused forms are registered (runs the static constructor once).</summary>
    internal static void Ensure()
    {
    }

    // relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut): two fused convolutions, the second adding the shortcut.
    private static Tensor BasicBlock(BasicBlock b, Tensor input)
    {
        var y = InferenceFusion.ConvBn(b.Conv1, b.Bn1, input, relu: true);
        var shortcut = b.Downsample is null ? input : b.Downsample.Call(input);
        return InferenceFusion.ConvBn(b.Conv2, b.Bn2, y, shortcut, relu: true);
    }

    // The bottleneck's three fused convolutions, the last adding the shortcut.
    private static Tensor Bottleneck(Bottleneck b, Tensor input)
    {
        var y = InferenceFusion.ConvBn(b.Conv1, b.Bn1, input, relu: true);
        y = InferenceFusion.ConvBn(b.Conv2, b.Bn2, y, relu: true);
        var shortcut = b.Downsample is null ? input : b.Downsample.Call(input);
        return InferenceFusion.ConvBn(b.Conv3, b.Bn3, y, shortcut, relu: true);
    }
}
