using Striate.Nn;
using Striate.Tensors;

namespace Striate.Models;

/// <summary>The small layer builders the model definitions share, named after torchvision's helpers.</summary>
internal static class ModelHelpers
{
    /// <summary>A 3x3 convolution with padding 1 and no bias (torchvision's <c>conv3x3</c>).</summary>
    public static Conv2d Conv3x3(int inPlanes, int outPlanes, int stride = 1, Generator? generator = null) =>
        new(inPlanes, outPlanes, 3, stride, padding: 1, bias: false, generator: generator);

    /// <summary>A 1x1 convolution with no bias (torchvision's <c>conv1x1</c>).</summary>
    public static Conv2d Conv1x1(int inPlanes, int outPlanes, int stride = 1, Generator? generator = null) =>
        new(inPlanes, outPlanes, 1, stride, bias: false, generator: generator);

    /// <summary>A dropout layer whose mask stream is forked from the model's generator, so a seeded model is reproducible.</summary>
    public static Dropout NewDropout(float p, Generator? generator) =>
        new(p, generator?.Fork(generator.Advance(1)));

    /// <summary>Throws unless the class count and the input channel count are positive.</summary>
    public static void CheckSizes(string model, int numClasses, int inChannels)
    {
        if (numClasses < 1) throw new ArgumentException($"{model}: numClasses must be >= 1, got {numClasses}.");
        if (inChannels < 1) throw new ArgumentException($"{model}: inChannels must be >= 1, got {inChannels}.");
    }

    /// <summary>
    /// torchvision's initialisation of ResNet, VGG and MobileNet convolutions: He normal with fan_out and ReLU's
    /// gain, zero biases; batch norm scale 1 and shift 0.
    /// </summary>
    public static void KaimingFanOut(Module model, Generator? generator)
    {
        foreach (var (_, m) in model.NamedModules())
        {
            switch (m)
            {
                case Conv2d c:
                    Init.KaimingNormal(c.Weight, fanOut: true, nonlinearity: "relu", generator: generator);
                    if (c.Bias is not null) Init.Zeros(c.Bias);
                    break;
                case BatchNorm bn:
                    if (bn.Weight is not null) Init.Ones(bn.Weight);
                    if (bn.Bias is not null) Init.Zeros(bn.Bias);
                    break;
            }
        }
    }
}
