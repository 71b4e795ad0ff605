using TorchSharp;
using static TorchSharp.torch;
using Striate.Backends;

namespace Striate.Oracle.Tests.Backends;

/// <summary>Conv2dGeometry's output size agrees with the shape libtorch's conv2d produces.</summary>
public class Conv2dGeometryOracleTests
{
    [Theory]
    // inH, inW, kH, kW, stride (h, w), padding (top, bottom, left, right), dilation (h, w), groups
    [InlineData(29, 31, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)]
    [InlineData(28, 28, 5, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1)]
    [InlineData(7, 9, 3, 2, 2, 3, 0, 0, 0, 0, 1, 1, 2)]
    [InlineData(11, 6, 1, 1, 4, 3, 0, 0, 0, 0, 1, 1, 1)] // stride > kernel
    [InlineData(13, 17, 3, 3, 1, 2, 2, 2, 1, 1, 2, 3, 1)]
    [InlineData(5, 8, 2, 3, 3, 1, 0, 1, 2, 0, 1, 2, 2)] // uneven padding
    [InlineData(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1)]
    public void OutputSizeMatchesLibTorch(int inH, int inW, int kH, int kW, int strideH, int strideW,
        int padTop, int padBottom, int padLeft, int padRight, int dilationH, int dilationW, int groups)
    {
        const int batch = 2, inChannels = 4, outChannels = 6;
        var geometry = new Conv2dGeometry(batch, inChannels, inH, inW, outChannels, kH, kW, strideH, strideW,
            padTop, padBottom, padLeft, padRight, dilationH, dilationW, groups);

        using DisposeScope scope = NewDisposeScope();
        // libtorch pads symmetrically inside conv2d, so uneven padding is applied beforehand with F.pad
        // (its order is left, right, top, bottom for the last two dimensions).
        Tensor x = nn.functional.pad(zeros(batch, inChannels, inH, inW, dtype: ScalarType.Float64), [padLeft, padRight, padTop, padBottom]);
        Tensor w = zeros(outChannels, inChannels / groups, kH, kW, dtype: ScalarType.Float64);
        Tensor y = nn.functional.conv2d(x, w, strides: [strideH, strideW], dilation: [dilationH, dilationW], groups: groups);

        Assert.Equal([batch, outChannels, geometry.OutHeight, geometry.OutWidth], y.shape);
    }
}
