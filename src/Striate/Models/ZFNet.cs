using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using static Striate.Models.ModelHelpers;

namespace Striate.Models;

/// <summary>
/// ZFNet (Zeiler and Fergus, "Visualizing and understanding convolutional networks", ECCV 2014; arXiv 2013),
/// figure 3: AlexNet with a 7x7 stride-2 first layer of 96 filters and a 5x5 stride-2 second layer of 256, so that
/// a 224x224 input gives maps of 110, 55, 26, 13, 13, 13 and 6; then 3x3 convolutions of 384, 384 and 256 filters,
/// fully connected layers of 4096 and 4096 with dropout, and the classes. Laid out as torchvision's AlexNet
/// (<c>features</c>, <c>avgpool</c>, <c>classifier</c>).
/// </summary>
/// <remarks>
/// The paper's sizes fix what it leaves implicit: the first convolution pads by 1, and the 3x3 stride-2 max pools
/// round up (Caffe's, and PyTorch's ceil mode). Its contrast normalisation across feature maps is AlexNet's local
/// response normalisation (k = 2, n = 5, alpha = 1e-4, beta = 0.75). 62,357,608 parameters with 1000 classes; the
/// adaptive 6x6 pooling (the identity at 224x224) lets inputs down to 47x47 through.
/// </remarks>
public sealed class ZFNet : Module
{
    public ZFNet(int numClasses = 1000, int inChannels = 3, float dropout = 0.5f, Generator? generator = null)
    {
        CheckSizes(nameof(ZFNet), numClasses, inChannels);
        Features = RegisterModule("features", new Sequential(
            new Conv2d(inChannels, 96, 7, stride: 2, padding: 1, generator: generator),
            new ReLU(),
            new LocalResponseNorm(5, alpha: 5e-4f, beta: 0.75f, k: 2f),
            new MaxPool2d(3, stride: 2, ceilMode: true),
            new Conv2d(96, 256, 5, stride: 2, generator: generator),
            new ReLU(),
            new LocalResponseNorm(5, alpha: 5e-4f, beta: 0.75f, k: 2f),
            new MaxPool2d(3, stride: 2, ceilMode: true),
            new Conv2d(256, 384, 3, padding: 1, generator: generator),
            new ReLU(),
            new Conv2d(384, 384, 3, padding: 1, generator: generator),
            new ReLU(),
            new Conv2d(384, 256, 3, padding: 1, generator: generator),
            new ReLU(),
            new MaxPool2d(3, stride: 2, ceilMode: true)));
        Avgpool = RegisterModule("avgpool", new AdaptiveAvgPool2d(6));
        Classifier = RegisterModule("classifier", new Sequential(
            new Linear(256 * 6 * 6, 4096, generator: generator),
            new ReLU(),
            NewDropout(dropout, generator),
            new Linear(4096, 4096, generator: generator),
            new ReLU(),
            NewDropout(dropout, generator),
            new Linear(4096, numClasses, generator: generator)));
    }

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
}
