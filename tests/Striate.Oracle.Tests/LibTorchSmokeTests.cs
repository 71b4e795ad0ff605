using TorchSharp;
using static TorchSharp.torch;

namespace Striate.Oracle.Tests;

/// <summary>libtorch loads from the test output folder and computes what it should.</summary>
public class LibTorchSmokeTests
{
    [Fact]
    public void OnesSumToTheirCount()
    {
        using DisposeScope scope = NewDisposeScope();
        Assert.Equal(6f, torch.ones(2, 3).sum().item<float>());
    }

    [Fact]
    public void Conv2dIsCrossCorrelation()
    {
        using DisposeScope scope = NewDisposeScope();
        // X = [[0,1,2],[3,4,5],[6,7,8]], K = [[0,1],[2,3]]; out[i,j] = sum_ab X[i+a, j+b] * K[a, b], no flip.
        Tensor x = TorchInterop.ToTensor([0, 1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 3, 3]);
        Tensor k = TorchInterop.ToTensor([0, 1, 2, 3], [1, 1, 2, 2]);

        (float[] data, int[] shape) = TorchInterop.FromTensor(nn.functional.conv2d(x, k));

        Assert.Equal([1, 1, 2, 2], shape);
        OracleAssert.Close([19, 25, 37, 43], data, 0, "conv2d 3x3 * 2x2");
    }

    [Fact]
    public void BackwardOfSumOfSquaresIsTwiceTheInput()
    {
        using DisposeScope scope = NewDisposeScope();
        float[] values = [1.5f, -2f, 0f, 3.25f, -0.5f, 7f];
        Tensor x = TorchInterop.ToTensor(values, [2, 3], requiresGrad: true);

        (x * x).sum().backward();

        Tensor grad = x.grad ?? throw new InvalidOperationException("x.grad was not set by backward()");
        OracleAssert.Close(Array.ConvertAll(values, v => 2 * v), TorchInterop.ToArray(grad), 0, "d(sum x^2)/dx");
    }

    [Fact]
    public void InteropKeepsRowMajorOrderAndShape()
    {
        using DisposeScope scope = NewDisposeScope();
        int[] shape = [2, 3, 5];
        float[] data = new float[30];
        for (int i = 0; i < data.Length; i++)
            data[i] = i * 0.5f - 3;

        Tensor t = TorchInterop.ToTensor(data, shape);
        data[0] = 100; // the tensor holds its own copy

        Assert.Equal(ScalarType.Float64, t.dtype);
        Assert.Equal(ScalarType.Float32, TorchInterop.ToTensor(data, shape, dtype: ScalarType.Float32).dtype);
        Assert.Equal(DeviceType.CPU, t.device_type);
        Assert.Equal(-3.0, t[0, 0, 0].item<double>());
        Assert.Equal((1 * 15 + 2 * 5 + 4) * 0.5 - 3, t[1, 2, 4].item<double>());

        // A non-contiguous view comes back in logical row-major order.
        (float[] back, int[] backShape) = TorchInterop.FromTensor(t.transpose(0, 2).contiguous().transpose(0, 2));
        Assert.Equal(shape, backShape);
        data[0] = -3;
        Assert.Equal(data, back);
    }

    [Fact]
    public void InteropRejectsAShapeThatDoesNotFitTheData()
    {
        var e = Assert.Throws<ArgumentException>(() => TorchInterop.ToTensor(new float[5], [2, 3]));
        Assert.Contains("[2, 3] holds 6 values, but 5 were given", e.Message);
    }
}
