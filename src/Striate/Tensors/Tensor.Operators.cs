using Striate.Ops;

namespace Striate.Tensors;

// Operator and method sugar, as torch.Tensor offers: each line forwards to the differentiable op in F.
public sealed partial class Tensor
{
    public static Tensor operator +(Tensor a, Tensor b) => F.Add(a, b);

    public static Tensor operator -(Tensor a, Tensor b) => F.Sub(a, b);

    public static Tensor operator *(Tensor a, Tensor b) => F.Mul(a, b);

    public static Tensor operator /(Tensor a, Tensor b) => F.Div(a, b);

    public static Tensor operator +(Tensor a, float s) => F.AddScalar(a, s);

    public static Tensor operator +(float s, Tensor a) => F.AddScalar(a, s);

    public static Tensor operator -(Tensor a, float s) => F.AddScalar(a, -s);

    public static Tensor operator -(float s, Tensor a) => F.AddScalar(F.Neg(a), s);

    public static Tensor operator *(Tensor a, float s) => F.MulScalar(a, s);

    public static Tensor operator *(float s, Tensor a) => F.MulScalar(a, s);

    public static Tensor operator /(Tensor a, float s) => F.MulScalar(a, 1f / s);

    public static Tensor operator -(Tensor a) => F.Neg(a);

    public Tensor MatMul(Tensor other) => F.MatMul(this, other);

    public Tensor Reshape(params int[] shape) => F.Reshape(this, shape);

    public Tensor Flatten(int startDim = 1, int endDim = -1) => F.Flatten(this, startDim, endDim);

    public Tensor Sum() => F.Sum(this);

    public Tensor Sum(int dim, bool keepDim = false) => F.Sum(this, dim, keepDim);

    public Tensor Mean() => F.Mean(this);

    public Tensor Mean(int dim, bool keepDim = false) => F.Mean(this, dim, keepDim);

    public int[] Argmax(int dim) => F.Argmax(this, dim);

    public Tensor Relu() => F.Relu(this);

    public Tensor Exp() => F.Exp(this);

    public Tensor Log() => F.Log(this);

    public Tensor Square() => F.Square(this);

    public Tensor Transpose(int dim0, int dim1) => F.Transpose(this, dim0, dim1);
}
