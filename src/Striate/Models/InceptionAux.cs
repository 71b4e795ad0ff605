using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;
using static Striate.Models.ModelHelpers;

namespace Striate.Models;

/// <summary>
/// A GoogLeNet auxiliary classifier (Szegedy et al., "Going deeper with convolutions", CVPR 2015, section 5):
/// average pooling to 4x4, a 1x1 convolution to 128 channels with ReLU, a fully connected layer of 1024 with ReLU,
/// dropout 0.7 and a linear layer to the classes. Keys as torchvision's: conv, fc1, fc2.
/// </summary>
/// <remarks>
/// The paper pools with a 5x5 window at stride 3, which turns the 14x14 maps of a 224x224 input into 4x4; the
/// adaptive pooling used here (as torchvision does) gives 4x4 from any size.
/// </remarks>
public sealed class InceptionAux : Module
{
    public InceptionAux(int inChannels, int numClasses, float dropout = 0.7f, bool batchNorm = true, Generator? generator = null)
    {
        Conv = RegisterModule("conv", new BasicConv2d(inChannels, 128, 1, batchNorm: batchNorm, generator: generator));
        Fc1 = RegisterModule("fc1", new Linear(2048, 1024, generator: generator));
        Fc2 = RegisterModule("fc2", new Linear(1024, numClasses, generator: generator));
        Dropout = RegisterModule("dropout", NewDropout(dropout, generator));
    }

    public BasicConv2d Conv { get; }
    public Linear Fc1 { get; }
    public Linear Fc2 { get; }
    public Dropout Dropout { get; }

    protected override Tensor OnForward(Tensor input)
    {
        var x = F.AdaptiveAvgPool2d(input, (4, 4), Path);
        x = Conv.Call(x);
        x = F.Flatten(x);
        x = F.Relu(Fc1.Call(x));
        x = Dropout.Call(x);
        return Fc2.Call(x);
    }
}
