using Striate.Nn;
using Striate.Tensors;

namespace Striate.Models;

/// <summary>
/// A deep plain CNN for initialisation experiments: eight 3x3 convolutions with ReLU and no batch norm or
/// skip connections (16, 16, pool, 32, 32, pool, 64, 64, 64, 64 channels), global average pooling and one
/// linear layer. Without normalisation the signal that reaches the classifier depends on the initial weights'
/// scale alone, which is what <see cref="Init.Apply(Module, InitScheme, Generator?)"/> compares. Layout: <c>features</c>, <c>avgpool</c>, <c>fc</c>.
/// </summary>
public sealed class PlainCnn : Module
{
    private static readonly int[] s_widths = [16, 16, 0, 32, 32, 0, 64, 64, 64, 64];

    public PlainCnn(int numClasses = 10, int inChannels = 1, Generator? generator = null)
    {
        ModelHelpers.CheckSizes(nameof(PlainCnn), numClasses, inChannels);
        Features = RegisterModule("features", new Sequential(Array.Empty<Module>()));
        int c = inChannels;
        foreach (int w in s_widths)
        {
            if (w == 0)
            {
                Features.Add(new MaxPool2d(2));
                continue;
            }
            Features.Add(new Conv2d(c, w, 3, padding: 1, generator: generator));
            Features.Add(new ReLU());
            c = w;
        }
        Avgpool = RegisterModule("avgpool", new AdaptiveAvgPool2d(1));
        Fc = RegisterModule("fc", new Linear(c, numClasses, generator: generator));
    }

    public Sequential Features { get; }
    public AdaptiveAvgPool2d Avgpool { get; }
    public Linear Fc { get; }

    protected override Tensor OnForward(Tensor input)
    {
        var x = Avgpool.Call(Features.Call(input));
        return Fc.Call(x.Reshape(x.Shape[0], x.Shape[1]));
    }
}
