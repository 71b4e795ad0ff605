using System.Numerics;
using System.Runtime.InteropServices;

namespace Striate.Backends.Cpu;

/// <summary>
/// Elementwise unary functions and their derivatives. Each op is one operator struct pairing its forward (vectorised
/// through TensorPrimitives where it has the function) with its derivative, and one row of the dispatch table below.
/// </summary>
public static class UnaryKernels
{
    // y = f(x), same length.
    public static void Forward(UnaryOp op, float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        KernelSpans.Require(y.Length, x.Length, "UnaryKernels.Forward", "y", "the length of x");
        if (x.IsEmpty) return; // TensorPrimitives.Sigmoid refuses an empty span
        Dispatch(op, new Args(alpha, x, default, default, y), forward: true);
    }

    // dx = dy * f'(x), using the saved input x or output y, whichever the derivative is cheaper from.
    // At exactly zero: relu gives 0, leaky_relu its slope, elu alpha (PyTorch's choices).
    public static void Backward(UnaryOp op, float alpha, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        KernelSpans.Require(dx.Length, dy.Length, "UnaryKernels.Backward", "dx", "the length of dy");
        KernelSpans.Optional(x.Length, dy.Length, "UnaryKernels.Backward", "x", "the length of dy");
        KernelSpans.Optional(y.Length, dy.Length, "UnaryKernels.Backward", "y", "the length of dy");
        Dispatch(op, new Args(alpha, x, y, dy, dx), forward: false);
    }

    // The table: one row per op.
    private static void Dispatch(UnaryOp op, in Args a, bool forward)
    {
        switch (op)
        {
            case UnaryOp.Neg: Run<Neg>(a, forward); break;
            case UnaryOp.Exp: Run<Exp>(a, forward); break;
            case UnaryOp.Log: Run<Log>(a, forward); break;
            case UnaryOp.Sqrt: Run<Sqrt>(a, forward); break;
            case UnaryOp.Abs: Run<Abs>(a, forward); break;
            case UnaryOp.Square: Run<Square>(a, forward); break;
            case UnaryOp.Pow: Run<Pow>(a, forward); break;
            case UnaryOp.Relu: Run<Relu>(a, forward); break;
            case UnaryOp.LeakyRelu: Run<LeakyRelu>(a, forward); break;
            case UnaryOp.Elu: Run<Elu>(a, forward); break;
            case UnaryOp.Sigmoid: Run<Sigmoid>(a, forward); break;
            case UnaryOp.Tanh: Run<Tanh>(a, forward); break;
            case UnaryOp.AddScalar: Run<AddScalar>(a, forward); break;
            case UnaryOp.MulScalar: Run<MulScalar>(a, forward); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    private static void Run<T>(in Args a, bool forward) where T : struct, IOperator
    {
        if (forward) T.Forward(a.Alpha, a.X, a.Out);
        else T.Backward(a.Alpha, a.X, a.Y, a.Dy, a.Out);
    }

    // The spans of one call: x and alpha; for the derivative also y (the forward output) and dy; Out is y or dx.
    private readonly ref struct Args(float alpha, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> output)
    {
        public readonly float Alpha = alpha;
        public readonly ReadOnlySpan<float> X = x;
        public readonly ReadOnlySpan<float> Y = y;
        public readonly ReadOnlySpan<float> Dy = dy;
        public readonly Span<float> Out = output;
    }

    private interface IOperator
    {
        // y = f(x)
        static abstract void Forward(float alpha, ReadOnlySpan<float> x, Span<float> y);

        // dx = dy * f'(x), from x or y
        static abstract void Backward(float alpha, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx);
    }

    private readonly struct Neg : IOperator
    {
        public static void Forward(float a, ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Negate(x, y);
        public static void Backward(float a, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => TensorPrimitives.Negate(dy, dx);
    }

    private readonly struct Exp : IOperator
    {
        public static void Forward(float a, ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Exp(x, y);
        public static void Backward(float a, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => TensorPrimitives.Multiply(dy, y, dx);
    }

    private readonly struct Log : IOperator
    {
        public static void Forward(float a, ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Log(x, y);
        public static void Backward(float a, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => TensorPrimitives.Divide(dy, x, dx);
    }

    private readonly struct Sqrt : IOperator
    {
        public static void Forward(float a, ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Sqrt(x, y);
        public static void Backward(float a, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
        {
            for (int i = 0; i < dy.Length; i++) dx[i] = dy[i] * 0.5f / y[i];
        }
    }

    private readonly struct Abs : IOperator
    {
        public static void Forward(float a, ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Abs(x, y);
        public static void Backward(float a, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
        {
            for (int i = 0; i < dy.Length; i++) dx[i] = x[i] > 0 ? dy[i] : x[i] < 0 ? -dy[i] : 0f;
        }
    }

    private readonly struct Square : IOperator
    {
        public static void Forward(float a, ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Multiply(x, x, y);
        public static void Backward(float a, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
        {
            for (int i = 0; i < dy.Length; i++) dx[i] = 2f * x[i] * dy[i];
        }
    }

    // x ^ alpha.
    private readonly struct Pow : IOperator
    {
        public static void Forward(float a, ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Pow(x, a, y);
        public static void Backward(float a, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
        {
            for (int i = 0; i < dy.Length; i++) dx[i] = dy[i] * a * MathF.Pow(x[i], a - 1f);
        }
    }

    private readonly struct Relu : IOperator
    {
        public static void Forward(float a, ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Max(x, 0f, y);

        // dx = dy where x > 0, else 0 (0 at exactly 0, as PyTorch).
        public static void Backward(float a, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
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
    }

    // x if x > 0 else alpha * x.
    private readonly struct LeakyRelu : IOperator
    {
        public static void Forward(float a, ReadOnlySpan<float> x, Span<float> y)
        {
            for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : a * x[i];
        }

        public static void Backward(float a, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
        {
            for (int i = 0; i < dy.Length; i++) dx[i] = x[i] > 0 ? dy[i] : a * dy[i];
        }
    }

    // x if x > 0 else alpha * (exp(x) - 1); the derivative below 0 is y + alpha.
    private readonly struct Elu : IOperator
    {
        public static void Forward(float a, ReadOnlySpan<float> x, Span<float> y)
        {
            for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : a * (MathF.Exp(x[i]) - 1f);
        }

        public static void Backward(float a, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
        {
            for (int i = 0; i < dy.Length; i++) dx[i] = x[i] > 0 ? dy[i] : dy[i] * (y[i] + a);
        }
    }

    private readonly struct Sigmoid : IOperator
    {
        public static void Forward(float a, ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Sigmoid(x, y);
        public static void Backward(float a, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
        {
            for (int i = 0; i < dy.Length; i++) dx[i] = dy[i] * y[i] * (1f - y[i]);
        }
    }

    private readonly struct Tanh : IOperator
    {
        public static void Forward(float a, ReadOnlySpan<float> x, Span<float> y) => TanhKernel.Forward(x, y);
        public static void Backward(float a, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
        {
            for (int i = 0; i < dy.Length; i++) dx[i] = dy[i] * (1f - y[i] * y[i]);
        }
    }

    // x + alpha.
    private readonly struct AddScalar : IOperator
    {
        public static void Forward(float a, ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Add(x, a, y);
        public static void Backward(float a, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => dy.CopyTo(dx);
    }

    // x * alpha.
    private readonly struct MulScalar : IOperator
    {
        public static void Forward(float a, ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Multiply(x, a, y);
        public static void Backward(float a, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => TensorPrimitives.Multiply(dy, a, dx);
    }
}
