namespace Striate.Backends;

/// <summary>Elementwise unary functions; <c>alpha</c> parameterises the ones that take a constant.</summary>
public enum UnaryOp
{
    Neg,
    Exp,
    Log,
    Sqrt,
    Abs,
    Square,
    /// <summary>x ^ alpha.</summary>
    Pow,
    Relu,
    /// <summary>x if x &gt; 0 else alpha * x.</summary>
    LeakyRelu,
    /// <summary>x if x &gt; 0 else alpha * (exp(x) - 1).</summary>
    Elu,
    Sigmoid,
    Tanh,
    /// <summary>x + alpha.</summary>
    AddScalar,
    /// <summary>x * alpha.</summary>
    MulScalar,
}
