
using System.Numerics;
using System.Runtime.InteropServices;

namespace Striate.Backends.Cpu;

/// <summary>Elementwise unary functions and their derivatives, vectorised through TensorPrimitives.</summary>
public static class UnaryKernels
{
    // y = f(x), same length.
    public static void Forward(UnaryOp op, float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        KernelSpans.Require(y.Length, x.Length, "UnaryKernels.Forward", "y", "the length of x");
        switch (op)
        {
            case UnaryOp.Neg: TensorPrimitives.Negate(x, y); break;
            case UnaryOp.Exp: TensorPrimitives.Exp(x, y); break;
            case UnaryOp.Log: TensorPrimitives.Log(x, y); break;
            case UnaryOp.Sqrt: TensorPrimitives.Sqrt(x, y); break;
            case UnaryOp.Abs: TensorPrimitives.Abs(x, y); break;
            case UnaryOp.Square: TensorPrimitives.Multiply(x, x, y); break;
            case UnaryOp.Pow: TensorPrimitives.Pow(x, alpha, y); break;
            case UnaryOp.Relu: TensorPrimitives.Max(x, 0f, y); break;
            case UnaryOp.LeakyRelu:
                for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : alpha * x[i];
                break;
            case UnaryOp.Elu:
                for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : alpha * (MathF.Exp(x[i]) - 1f);
                break;
            case UnaryOp.Sigmoid: TensorPrimitives.Sigmoid(x, y); break;
            case UnaryOp.Tanh: TanhKernel.Forward(x, y); break;
            case UnaryOp.AddScalar: TensorPrimitives.Add(x, alpha, y); break;
            case UnaryOp.MulScalar: TensorPrimitives.Multiply(x, alpha, y); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    // dx = dy where x > 0, else 0 (0 at exactly 0, as PyTorch).
    private static void ReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int n = dy.Length, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var xv = MemoryMarshal.Cast<float, Vector<float>>(x[..n]);
            var gv = MemoryMarshal.Cast<float, Vector<float>>(dy);
            var dv = MemoryMarshal.Cast<float, Vector<float>>(dx[..n]);
            for (int k = 0; k < gv.Length; k++)
                dv[k] = Vector.ConditionalSelect(Vector.GreaterThan(xv[k], Vector<float>.Zero), gv[k], Vector<float>.Zero);
            i = gv.Length * Vector<float>.Count;
        }
        for (; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0f;
    }

    // dx = dy * f'(x), using the saved input x or output y, whichever the derivative is cheaper from.
    // At exactly zero: relu gives 0, leaky_relu its slope, elu alpha (PyTorch's choices).
    public static void Backward(UnaryOp op, float alpha, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        KernelSpans.Require(dx.Length, dy.Length, "UnaryKernels.Backward", "dx", "the length of dy");
        KernelSpans.Optional(x.Length, dy.Length, "UnaryKernels.Backward", "x", "the length of dy");
        KernelSpans.Optional(y.Length, dy.Length, "UnaryKernels.Backward", "y", "the length of dy");
        int n = dy.Length;
        switch (op)
        {
            case UnaryOp.Neg: TensorPrimitives.Negate(dy, dx); break;
            case UnaryOp.Exp: TensorPrimitives.Multiply(dy, y, dx); break;
            case UnaryOp.Log: TensorPrimitives.Divide(dy, x, dx); break;
            case UnaryOp.Sqrt:
                for (int i = 0; i < n; i++) dx[i] = dy[i] * 0.5f / y[i];
                break;
            case UnaryOp.Abs:
                for (int i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : x[i] < 0 ? -dy[i] : 0f;
                break;
            case UnaryOp.Square:
                for (int i = 0; i < n; i++) dx[i] = 2f * x[i] * dy[i];
                break;
            case UnaryOp.Pow:
                for (int i = 0; i < n; i++) dx[i] = dy[i] * alpha * MathF.Pow(x[i], alpha - 1f);
                break;
            case UnaryOp.Relu:
                ReluBackward(x, dy, dx);
                break;
            case UnaryOp.LeakyRelu:
                for (int i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : alpha * dy[i];
                break;
            case UnaryOp.Elu:
                for (int i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : dy[i] * (y[i] + alpha);
                break;
            case UnaryOp.Sigmoid:
                for (int i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1f - y[i]);
                break;
            case UnaryOp.Tanh:
                for (int i = 0; i < n; i++) dx[i] = dy[i] * (1f - y[i] * y[i]);
                break;
            case UnaryOp.AddScalar: dy.CopyTo(dx); break;
            case UnaryOp.MulScalar: TensorPrimitives.Multiply(dy, alpha, dx); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }
}
