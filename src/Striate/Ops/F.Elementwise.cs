using Striate.Backends;
using Striate.Tensors;

namespace Striate.Ops;

public static partial class F
{
    /// <summary>a + b with broadcasting.</summary>
    public static Tensor Add(Tensor a, Tensor b) =>
        OpTrace.Active is { } trace ? trace.Op("add", [a, b], () => Add(a, b))
        : BinaryOp(Backends.BinaryOp.Add, a, b, "add");

    /// <summary>a - b with broadcasting.</summary>
    public static Tensor Sub(Tensor a, Tensor b) => BinaryOp(Backends.BinaryOp.Sub, a, b, "sub");

    /// <summary>a * b (elementwise) with broadcasting.</summary>
    public static Tensor Mul(Tensor a, Tensor b) => BinaryOp(Backends.BinaryOp.Mul, a, b, "mul");

    /// <summary>a / b (elementwise) with broadcasting.</summary>
    public static Tensor Div(Tensor a, Tensor b) => BinaryOp(Backends.BinaryOp.Div, a, b, "div");

    private static Tensor Elementwise(Backends.BinaryOp op, Tensor a, Tensor b, Shape outShape)
    {
        var y = Tensor.Empty(outShape);
        B.Binary(op, a.Data, BroadcastStrides(a.Shape, outShape), b.Data, BroadcastStrides(b.Shape, outShape), y.Data, outShape.Dims);
        return y;
    }

    private static Tensor BinaryOp(Backends.BinaryOp op, Tensor a, Tensor b, string name)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var outShape = BroadcastShape(a.Shape, b.Shape, name);
        var y = Elementwise(op, a, b, outShape);
        if (!Autograd.Needs(a, b)) return y;
        return Autograd.Record(y, name, [a, b], (g, grads) =>
        {
            switch (op)
            {
                case Backends.BinaryOp.Add:
                    if (a.RequiresGrad) grads[0] = SumTo(g, a.Shape);
                    if (b.RequiresGrad) grads[1] = SumTo(g, b.Shape);
                    break;
                case Backends.BinaryOp.Sub:
                    if (a.RequiresGrad) grads[0] = SumTo(g, a.Shape);
                    if (b.RequiresGrad) grads[1] = SumTo(Scale(g, -1f), b.Shape);
                    break;
                case Backends.BinaryOp.Mul:
                    if (a.RequiresGrad) grads[0] = SumTo(Elementwise(Backends.BinaryOp.Mul, g, b, g.Shape), a.Shape);
                    if (b.RequiresGrad) grads[1] = SumTo(Elementwise(Backends.BinaryOp.Mul, g, a, g.Shape), b.Shape);
                    break;
                default:
                    if (a.RequiresGrad) grads[0] = SumTo(Elementwise(Backends.BinaryOp.Div, g, b, g.Shape), a.Shape);
                    if (b.RequiresGrad)
                    {
                        // d(a/b)/db = -a / b^2 = -y / b
                        var t = Elementwise(Backends.BinaryOp.Mul, g, y, g.Shape);
                        t = Elementwise(Backends.BinaryOp.Div, t, b, g.Shape);
                        grads[1] = SumTo(Scale(t, -1f), b.Shape);
                    }
                    break;
            }
        });
    }

    private static Tensor Scale(Tensor x, float s)
    {
        var y = Tensor.Empty(x.Shape);
        B.Unary(UnaryOp.MulScalar, s, x.Data, y.Data);
        return y;
    }

    /// <summary>Applies an elementwise function; backward uses the saved input and output.</summary>
    internal static Tensor Unary(UnaryOp op, Tensor x, float alpha, string name)
    {
        ArgumentNullException.ThrowIfNull(x);
        var y = Tensor.Empty(x.Shape);
        B.Unary(op, alpha, x.Data, y.Data);
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, name, [x], (g, grads) =>
        {
            var dx = Tensor.Empty(x.Shape);
            B.UnaryBackward(op, alpha, x.Data, y.Data, g.Data, dx.Data);
            grads[0] = dx;
        });
    }

    /// <summary>x + s.</summary>
    public static Tensor AddScalar(Tensor x, float s) => Unary(UnaryOp.AddScalar, x, s, "add_scalar");

    /// <summary>x * s.</summary>
    public static Tensor MulScalar(Tensor x, float s) =>
        OpTrace.Active is { } trace ? trace.Op("mul_scalar", [x], () => MulScalar(x, s), s)
        : Unary(UnaryOp.MulScalar, x, s, "mul_scalar");

    /// <summary>-x.</summary>
    public static Tensor Neg(Tensor x) => Unary(UnaryOp.Neg, x, 0, "neg");

    /// <summary>e^x.</summary>
    public static Tensor Exp(Tensor x) => Unary(UnaryOp.Exp, x, 0, "exp");

    /// <summary>Natural logarithm.</summary>
    public static Tensor Log(Tensor x) => Unary(UnaryOp.Log, x, 0, "log");

    /// <summary>Square root.</summary>
    public static Tensor Sqrt(Tensor x) => Unary(UnaryOp.Sqrt, x, 0, "sqrt");

    /// <summary>|x|; the derivative at 0 is 0.</summary>
    public static Tensor Abs(Tensor x) => Unary(UnaryOp.Abs, x, 0, "abs");

    /// <summary>x^2.</summary>
    public static Tensor Square(Tensor x) => Unary(UnaryOp.Square, x, 0, "square");

    /// <summary>x^p.</summary>
    public static Tensor Pow(Tensor x, float p) => Unary(UnaryOp.Pow, x, p, "pow");

    /// <summary>max(x, 0).</summary>
    public static Tensor Relu(Tensor x) =>
        OpTrace.Active is { } trace ? trace.Op("relu", [x], () => Relu(x))
        : t_reluGradient == ReluGradientMode.Standard ? Unary(UnaryOp.Relu, x, 0, "relu") : ReluForVisualization(x, t_reluGradient);

    /// <summary>x if x &gt; 0 else slope * x.</summary>
    public static Tensor LeakyRelu(Tensor x, float negativeSlope = 0.01f) => Unary(UnaryOp.LeakyRelu, x, negativeSlope, "leaky_relu");

    /// <summary>x if x &gt; 0 else alpha * (e^x - 1).</summary>
    public static Tensor Elu(Tensor x, float alpha = 1f) => Unary(UnaryOp.Elu, x, alpha, "elu");

    /// <summary>1 / (1 + e^-x).</summary>
    public static Tensor Sigmoid(Tensor x) => Unary(UnaryOp.Sigmoid, x, 0, "sigmoid");

    /// <summary>Hyperbolic tangent.</summary>
    public static Tensor Tanh(Tensor x) => Unary(UnaryOp.Tanh, x, 0, "tanh");
}
