using Striate.Tensors;

namespace Striate.Ops;

public static partial class F
{
    [ThreadStatic] private static ReluGradientMode t_reluGradient;

    /// <summary>The rule ReLUs recorded on this thread now will use in backward.</summary>
    public static ReluGradientMode CurrentReluGradient => t_reluGradient;

    /// <summary>
    /// Until the returned scope is disposed, every <see cref="Relu"/> recorded on this thread backpropagates with
    /// <paramref name="mode"/> (the rule is fixed when the op is recorded, so run forward and backward inside the
    /// scope). The normal path pays one thread-static read per ReLU.
    /// </summary>
    public static ReluGradientScope ReluGradient(ReluGradientMode mode)
    {
        var previous = t_reluGradient;
        t_reluGradient = mode;
        return new ReluGradientScope(previous);
    }

    /// <summary>Restores the previous <see cref="ReluGradientMode"/> when disposed.</summary>
    public readonly struct ReluGradientScope : IDisposable
    {
        private readonly ReluGradientMode _previous;

        internal ReluGradientScope(ReluGradientMode previous) => _previous = previous;

        public void Dispose() => t_reluGradient = _previous;
    }

    // ReLU whose backward follows a visualisation rule instead of the derivative.
    private static Tensor ReluForVisualization(Tensor x, ReluGradientMode mode)
    {
        bool record = Autograd.Needs(x);
        Tensor y;
        using (Autograd.NoGrad()) y = Unary(Backends.UnaryOp.Relu, x, 0, "relu");
        if (!record) return y;
        return Autograd.Record(y, mode == ReluGradientMode.Guided ? "relu_guided" : "relu_deconvnet", [x], (g, grads) =>
        {
            var dx = Tensor.Empty(x.Shape);
            ReadOnlySpan<float> gs = g.Data, xs = x.Data;
            var d = dx.Data;
            for (int i = 0; i < d.Length; i++)
                d[i] = gs[i] > 0 && (mode == ReluGradientMode.Deconvnet || xs[i] > 0) ? gs[i] : 0;
            grads[0] = dx;
        });
    }
}
