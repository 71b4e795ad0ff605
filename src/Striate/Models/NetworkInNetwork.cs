using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using static Striate.Models.ModelHelpers;

namespace Striate.Models;

/// <summary>
/// Network in Network (Lin, Chen and Yan, "Network in network", ICLR 2014), the CIFAR-10 network of the paper
/// and its reference model: three mlpconv blocks (a convolution followed by two 1x1 convolutions, each with ReLU,
/// a small multilayer perceptron slid over the image), with 192-160-96, 192-192-192 and 192-192-classes channels;
/// 3x3 stride-2 max then average pooling and dropout 0.5 between blocks; and global average pooling of the last
/// block's class maps in place of fully connected layers. 966,986 parameters with 10 classes and 3 input channels.
/// </summary>
/// <remarks>
/// The pools round up (Caffe's, and PyTorch's ceil mode), so 32x32 inputs give 16x16 and 8x8 maps and 28x28 inputs
/// 14x14 and 7x7. Layout: <c>features</c> (mlpconv blocks at 0, 3 and 6, each numbered 0 to 5 inside) and
/// <c>avgpool</c>.
/// </remarks>
public sealed class NetworkInNetwork : Module
{
    public NetworkInNetwork(int numClasses = 10, int inChannels = 3, float dropout = 0.5f, Generator? generator = null)
    {
        CheckSizes(nameof(NetworkInNetwork), numClasses, inChannels);
        Features = RegisterModule("features", new Sequential(
            MlpConv(inChannels, 192, 160, 96, 5, generator),
            new MaxPool2d(3, stride: 2, ceilMode: true),
            NewDropout(dropout, generator),
            MlpConv(96, 192, 192, 192, 5, generator),
            new AvgPool2d(3, stride: 2, ceilMode: true),
            NewDropout(dropout, generator),
            MlpConv(192, 192, 192, numClasses, 3, generator)));
        Avgpool = RegisterModule("avgpool", new AdaptiveAvgPool2d(1));
    }

    public Sequential Features { get; }
    public AdaptiveAvgPool2d Avgpool { get; }

    /// <summary>
    /// An mlpconv block: a k x k convolution (padded to keep the size) to <paramref name="channels"/>, then 1x1
    /// convolutions to <paramref name="hidden"/> and <paramref name="outChannels"/>, each followed by ReLU.
    /// </summary>
    public static Sequential MlpConv(int inChannels, int channels, int hidden, int outChannels, int kernelSize, Generator? generator = null) =>
        new(
            new Conv2d(inChannels, channels, kernelSize, padding: kernelSize / 2, generator: generator),
            new ReLU(),
            new Conv2d(channels, hidden, 1, generator: generator),
            new ReLU(),
            new Conv2d(hidden, outChannels, 1, generator: generator),
            new ReLU());

    protected override Tensor OnForward(Tensor input)
    {
        var x = Features.Call(input);
        x = Avgpool.Call(x);
        return F.Flatten(x);
    }
}
