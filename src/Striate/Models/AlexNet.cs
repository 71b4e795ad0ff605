using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using static Striate.Models.ModelHelpers;

namespace Striate.Models;

/// <summary>
/// AlexNet (Krizhevsky, Sutskever and Hinton, "ImageNet classification with deep convolutional neural networks",
/// NeurIPS 2012) as <c>features</c>, <c>avgpool</c> (adaptive average pooling to 6x6) and <c>classifier</c>.
/// </summary>
/// <remarks>
/// <para>
/// The default is torchvision's form, from the "one weird trick" variant (Krizhevsky, 2014): 64, 192, 384, 256 and
/// 256 filters, no response normalisation, dropout before the first two fully connected layers; 61,100,840
/// parameters with 1000 classes. It needs inputs of at least 63x63.
/// </para>
/// <para>
/// With <c>paper</c>, the 2012 network on one GPU: 96 filters of 11x11 at stride 4 without padding (a 227x227 input
/// gives 55x55x96), 256, 384, 384 and 256 filters, local response normalisation after the first two convolutions
/// (k = 2, n = 5, alpha = 1e-4, beta = 0.75, passed as alpha = 5e-4 because PyTorch divides alpha by n),
/// overlapping 3x3 stride-2 max pooling, and dropout on the outputs of the two hidden fully connected layers;
/// 62,378,344 parameters with 1000 classes. At 227x227 the adaptive pooling is the identity; the network accepts
/// inputs down to 67x67.
/// </para>
/// </remarks>
public sealed class AlexNet : Module
{
    public AlexNet(int numClasses = 1000, int inChannels = 3, float dropout = 0.5f, bool paper = false, Generator? generator = null)
    {
        CheckSizes(nameof(AlexNet), numClasses, inChannels);
        Paper = paper;
        Features = RegisterModule("features", paper
            ? new Sequential(
                new Conv2d(inChannels, 96, 11, stride: 4, generator: generator),
                new ReLU(),
                new LocalResponseNorm(5, alpha: 5e-4f, beta: 0.75f, k: 2f),
                new MaxPool2d(3, stride: 2),
                new Conv2d(96, 256, 5, padding: 2, generator: generator),
                new ReLU(),
                new LocalResponseNorm(5, alpha: 5e-4f, beta: 0.75f, k: 2f),
                new MaxPool2d(3, stride: 2),
                new Conv2d(256, 384, 3, padding: 1, generator: generator),
                new ReLU(),
                new Conv2d(384, 384, 3, padding: 1, generator: generator),
                new ReLU(),
                new Conv2d(384, 256, 3, padding: 1, generator: generator),
                new ReLU(),
                new MaxPool2d(3, stride: 2))
            : new Sequential(
                new Conv2d(inChannels, 64, 11, stride: 4, padding: 2, generator: generator),
                new ReLU(),
                new MaxPool2d(3, stride: 2),
                new Conv2d(64, 192, 5, padding: 2, generator: generator),
                new ReLU(),
                new MaxPool2d(3, stride: 2),
                new Conv2d(192, 384, 3, padding: 1, generator: generator),
                new ReLU(),
                new Conv2d(384, 256, 3, padding: 1, generator: generator),
                new ReLU(),
                new Conv2d(256, 256, 3, padding: 1, generator: generator),
                new ReLU(),
                new MaxPool2d(3, stride: 2)));
        Avgpool = RegisterModule("avgpool", new AdaptiveAvgPool2d(6));
        Classifier = RegisterModule("classifier", paper
            ? new Sequential(
                new Linear(256 * 6 * 6, 4096, generator: generator),
                new ReLU(),
                NewDropout(dropout, generator),
                new Linear(4096, 4096, generator: generator),
                new ReLU(),
                NewDropout(dropout, generator),
                new Linear(4096, numClasses, generator: generator))
            : new Sequential(
                NewDropout(dropout, generator),
                new Linear(256 * 6 * 6, 4096, generator: generator),
                new ReLU(),
                NewDropout(dropout, generator),
                new Linear(4096, 4096, generator: generator),
                new ReLU(),
                new Linear(4096, numClasses, generator: generator)));
    }

    /// <summary>True for the 2012 paper's network, false for torchvision's.</summary>
    public bool Paper { get; }

    public Sequential Features { get; }
    public AdaptiveAvgPool2d Avgpool { get; }
    public Sequential Classifier { get; }

    protected override Tensor OnForward(Tensor input)
    {
        var x = Features.Call(input);
        x = Avgpool.Call(x);
        x = F.Flatten(x);
        return Classifier.Call(x);
    }

    protected override string ExtraRepr() => Paper ? "paper" : "";
}
