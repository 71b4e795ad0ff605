
namespace Striate.Backends.Cpu;

/// <summary>Numerically stable softmax and log-softmax over the last dimension of a [rows, cols] matrix.</summary>
public static class SoftmaxKernels
{
    // x, y: [rows, cols]; y = exp(x - max) / sum, or (log) x - max - log(sum exp(x - max)).
    public static void Forward(int rows, int cols, ReadOnlySpan<float> x, Span<float> y, bool log)
    {
        long all = (long)rows * cols;
        KernelSpans.Require(x.Length, all, "SoftmaxKernels.Forward", "x", "[rows, cols]");
        KernelSpans.Require(y.Length, all, "SoftmaxKernels.Forward", "y", "[rows, cols]");
        if (cols == 0) return; // empty rows; TensorPrimitives.Max refuses an empty span
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * cols, cols);
            var yr = y.Slice(r * cols, cols);
            float max = TensorPrimitives.Max(xr);
            TensorPrimitives.Subtract(xr, max, yr);
            if (log)
            {
                double sum = 0;
                foreach (float v in yr) sum += Math.Exp(v);
                TensorPrimitives.Subtract(yr, (float)Math.Log(sum), yr);
            }
            else
            {
                TensorPrimitives.Exp(yr, yr);
                float sum = TensorPrimitives.Sum(yr);
                TensorPrimitives.Divide(yr, sum, yr);
            }
        }
    }

    // y: the forward output; softmax: dx = y * (dy - sum(dy * y)); log-softmax: dx = dy - exp(y) * sum(dy).
    public static void Backward(int rows, int cols, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, bool log)
    {
        long all = (long)rows * cols;
        KernelSpans.Require(y.Length, all, "SoftmaxKernels.Backward", "y", "[rows, cols]");
        KernelSpans.Require(dy.Length, all, "SoftmaxKernels.Backward", "dy", "[rows, cols]");
        KernelSpans.Require(dx.Length, all, "SoftmaxKernels.Backward", "dx", "[rows, cols]");
        for (int r = 0; r < rows; r++)
        {
            var yr = y.Slice(r * cols, cols);
            var dyr = dy.Slice(r * cols, cols);
            var dxr = dx.Slice(r * cols, cols);
            if (log)
            {
                float s = TensorPrimitives.Sum(dyr);
                TensorPrimitives.Exp(yr, dxr);
                TensorPrimitives.Multiply(dxr, -s, dxr);
                TensorPrimitives.Add(dxr, dyr, dxr);
            }
            else
            {
                float s = TensorPrimitives.Dot(dyr, yr);
                TensorPrimitives.Subtract(dyr, s, dxr);
                TensorPrimitives.Multiply(dxr, yr, dxr);
            }
        }
    }
}
