using Striate.Ops;
using Striate.Tensors;
using Striate.Tests.Support;

namespace Striate.Tests.Ops;

/// <summary>The worked examples of the lecture notes (shared/seeds/README.md), reproduced exactly.</summary>
public class SeedExampleTests
{
    private static Tensor Img(float[,] a)
    {
        int h = a.GetLength(0), w = a.GetLength(1);
        var t = Tensor.Zeros(1, 1, h, w);
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++) t[0, 0, i, j] = a[i, j];
        return t;
    }

    [Fact]
    public void CrossCorrelationOfSeed001()
    {
        var x = Img(new float[,] { { 0, 1, 2 }, { 3, 4, 5 }, { 6, 7, 8 } });
        var k = Img(new float[,] { { 0, 1 }, { 2, 3 } });
        Check.Equal([19, 25, 37, 43], F.Conv2d(x, k).Data, "2-D cross-correlation");
    }

    [Fact]
    public void VerticalEdgeDetectorOfSeed003()
    {
        var x = Img(new float[,]
        {
            { 3, 0, 1, 2, 7, 4 }, { 1, 5, 8, 9, 3, 1 }, { 2, 7, 2, 5, 1, 3 },
            { 0, 1, 3, 1, 7, 8 }, { 4, 2, 1, 6, 2, 8 }, { 2, 4, 5, 2, 3, 9 },
        });
        var k = Img(new float[,] { { 1, 0, -1 }, { 1, 0, -1 }, { 1, 0, -1 } });
        Check.Equal([-5, -4, 0, 8, -10, -2, 2, 3, 0, -2, -4, -7, -3, -2, -3, -16], F.Conv2d(x, k).Data, "vertical edges");
    }

    [Fact]
    public void VerticalEdgeOfStepImageIsThirtyInTheMiddle()
    {
        var step = new float[6, 6];
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 3; j++) step[i, j] = 10;
        var k = Img(new float[,] { { 1, 0, -1 }, { 1, 0, -1 }, { 1, 0, -1 } });
        var y = F.Conv2d(Img(step), k);
        for (int i = 0; i < 4; i++)
            Check.Equal([0, 30, 30, 0], y.Data.Slice(i * 4, 4), $"row {i}");
    }

    [Fact]
    public void MaxAndAveragePoolingOfSeed003()
    {
        var a = Img(new float[,] { { 1, 3, 2, 1 }, { 2, 9, 1, 1 }, { 1, 3, 2, 3 }, { 5, 6, 1, 2 } });
        Check.Equal([9, 2, 6, 3], F.MaxPool2d(a, (2, 2)).Data, "max pool");
        var b = Img(new float[,] { { 1, 3, 2, 1 }, { 2, 9, 1, 1 }, { 1, 4, 2, 3 }, { 5, 6, 1, 2 } });
        Check.Equal([3.75f, 1.25f, 4f, 2f], F.AvgPool2d(b, (2, 2)).Data, "average pool");
        var c = Img(new float[,] { { 0, 1, 2 }, { 3, 4, 5 }, { 6, 7, 8 } });
        Assert.Equal(4f, F.MaxPool2d(c, (2, 2), (1, 1)).Data[0]);
    }

    [Fact]
    public void SoftmaxOfSeed003()
    {
        var p = F.Softmax(Tensor.FromArray([1.2f, 0.9f, 0.4f], 1, 3)).ToArray();
        // The notes round to two places ("about"): 0.457, 0.338, 0.205.
        Assert.InRange(p[0], 0.455, 0.465);
        Assert.InRange(p[1], 0.335, 0.345);
        Assert.InRange(p[2], 0.195, 0.206);
        Assert.Equal(1.0, p.Sum(), 6);
    }

    [Theory]
    [InlineData(7, 3, 1, 0, 5)]
    [InlineData(7, 3, 2, 0, 3)]
    [InlineData(7, 3, 3, 0, 2)] // (7 - 3) / 3 = 1.33: floors, the last column is dropped
    [InlineData(227, 11, 4, 0, 55)]
    [InlineData(63, 3, 1, 1, 63)]
    [InlineData(63, 3, 2, 0, 31)] // the slide's 30 is a slip; the formula gives 31
    public void ConvolutionOutputSize(int n, int k, int s, int p, int expected)
    {
        var y = F.Conv2d(Tensor.Zeros(1, 1, n, n), Tensor.Zeros(1, 1, k, k), stride: (s, s), padding: p);
        Assert.Equal(expected, y.Shape[2]);
        Assert.Equal(expected, y.Shape[3]);
    }

    [Fact]
    public void SevenValidFiveByFiveConvolutionsTake32To4()
    {
        var x = Tensor.Zeros(1, 1, 32, 32);
        for (int i = 0; i < 7; i++) x = F.Conv2d(x, Tensor.Zeros(1, 1, 5, 5));
        Assert.Equal(new Shape(1, 1, 4, 4), x.Shape);
    }

    [Fact]
    public void MaxPoolOfAlexNetConv1IsTwentySeven()
    {
        var y = F.MaxPool2d(Tensor.Zeros(1, 1, 55, 55), (3, 3), (2, 2));
        Assert.Equal(27, y.Shape[2]);
    }

    [Fact]
    public void PoolingTwentyEightByTwoGivesFourteenNotThirteen()
    {
        // Seed 002's "first convolutional network" says 13x13x10; the formula gives 14x14x10.
        Assert.Equal(new Shape(1, 10, 14, 14), F.MaxPool2d(Tensor.Zeros(1, 10, 28, 28), (2, 2)).Shape);
    }
}
