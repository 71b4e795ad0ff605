using TorchSharp;
using static TorchSharp.torch;

namespace Striate.Oracle.Tests;

/// <summary>
/// Moves data between the plain (float[], int[] shape) form the oracle tests use and libtorch tensors
/// (float32, CPU, contiguous row-major, the same layout as Striate's NCHW storage).
/// </summary>
public static class TorchInterop
{
    /// <summary>A float32 CPU tensor of the given shape holding a copy of <paramref name="data"/> (row-major).</summary>
    /// <exception cref="ArgumentException">A dimension is negative or the shape does not hold data.Length values.</exception>
    public static Tensor ToTensor(float[] data, int[] shape, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        long[] dims = new long[shape.Length];
        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
                throw new ArgumentException($"Shape {Format(shape)} has a negative dimension at index {i}.", nameof(shape));
            dims[i] = shape[i];
            count *= shape[i];
        }
        if (count != data.Length)
        {
            throw new ArgumentException(
                $"Shape {Format(shape)} holds {count} values, but {data.Length} were given.", nameof(data));
        }
        // The copy keeps the tensor independent of the caller's array whether or not libtorch shares the buffer.
        return torch.tensor((float[])data.Clone(), dims, dtype: ScalarType.Float32, device: CPU, requires_grad: requiresGrad);
    }

    /// <summary>The values (row-major, as float32) and the shape of <paramref name="tensor"/>, copied out.</summary>
    public static (float[] Data, int[] Shape) FromTensor(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        int[] shape = Array.ConvertAll(tensor.shape, d => checked((int)d));
        // The scope disposes the intermediate tensors made here, never the caller's tensor.
        using DisposeScope scope = NewDisposeScope();
        Tensor plain = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return (plain.data<float>().ToArray(), shape);
    }

    /// <summary>Only the values of <paramref name="tensor"/>, as <see cref="FromTensor"/>.</summary>
    public static float[] ToArray(Tensor tensor) => FromTensor(tensor).Data;

    internal static string Format(int[] shape) => "[" + string.Join(", ", shape) + "]";
}
