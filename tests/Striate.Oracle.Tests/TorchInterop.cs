using TorchSharp;
using static TorchSharp.torch;

namespace Striate.Oracle.Tests;

/// <summary>
/// Moves data between the plain (float[], int[] shape) form the oracle tests use and libtorch tensors (CPU,
/// contiguous row-major, the same layout as Striate's NCHW storage). The oracle's reference is libtorch in float64:
/// Striate's float32 inputs are widened exactly, and results are narrowed back to float32 for the comparison.
/// </summary>
public static class TorchInterop
{
    /// <summary>The two precisions the oracle runs libtorch in: float64 (the reference), then float32 (reported).</summary>
    public static readonly ScalarType[] Precisions = [ScalarType.Float64, ScalarType.Float32];

    /// <summary>
    /// A CPU tensor of the given shape and <paramref name="dtype"/> (float64 unless told) holding a copy of
    /// <paramref name="data"/> (row-major).
    /// </summary>
    /// <exception cref="ArgumentException">A dimension is negative, the shape does not hold data.Length values, or
    /// the dtype is not float32 or float64.</exception>
    public static Tensor ToTensor(float[] data, int[] shape, bool requiresGrad = false, ScalarType dtype = ScalarType.Float64)
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
        return dtype switch
        {
            ScalarType.Float64 => torch.tensor(Array.ConvertAll(data, v => (double)v), dims, dtype: ScalarType.Float64, device: CPU, requires_grad: requiresGrad),
            ScalarType.Float32 => torch.tensor((float[])data.Clone(), dims, dtype: ScalarType.Float32, device: CPU, requires_grad: requiresGrad),
            _ => throw new ArgumentException($"The oracle runs libtorch in float32 or float64, not {dtype}.", nameof(dtype)),
        };
    }

    /// <summary>The values (row-major, narrowed to float32) and the shape of <paramref name="tensor"/>, copied out.</summary>
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

    /// <summary>
    /// Runs <paramref name="compute"/> in float64 (the reference, returned) and in float32, and records in
    /// <paramref name="report"/> (the run's report unless given) where float32 disagrees with float64 beyond
    /// <paramref name="relTol"/>. The function receives the dtype to build its tensors in.
    /// </summary>
    public static float[] Reference(string caseName, double relTol, Func<ScalarType, Tensor> compute, Float32Report? report = null)
    {
        ArgumentNullException.ThrowIfNull(compute);
        float[] f64 = Run(compute, ScalarType.Float64), f32 = Run(compute, ScalarType.Float32);
        (report ?? Float32Report.Run).Record(caseName, relTol, ("values", f64, f32));
        return f64;
    }

    private static float[] Run(Func<ScalarType, Tensor> compute, ScalarType dtype)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor result = compute(dtype);
        RequireDType(result, dtype, "the result");
        return ToArray(result);
    }

    /// <summary>Fails when <paramref name="tensor"/> is not of <paramref name="dtype"/> (a reference computed in the wrong precision).</summary>
    public static void RequireDType(Tensor tensor, ScalarType dtype, string what)
    {
        if (tensor.dtype != dtype)
            Assert.Fail($"libtorch computed {what} in {tensor.dtype}, but the run asked for {dtype}: a tensor of the case is built in a fixed precision.");
    }

    internal static string Format(int[] shape) => "[" + string.Join(", ", shape) + "]";
}
