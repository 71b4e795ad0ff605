using Striate.Nn;
using Striate.Tensors;

namespace Striate.Visualization;

/// <summary>Runs a model while catching the output of one of its layers with a <see cref="ForwardTrace"/> hook.</summary>
internal static class LayerCapture
{
    /// <summary>
    /// Runs <paramref name="model"/> on <paramref name="input"/>; returns the model's output and the first output of
    /// <paramref name="layer"/>, passed through <paramref name="replace"/> when given (the rest of the forward pass
    /// then uses the replacement, e.g. a detached leaf that collects the gradient reaching the layer).
    /// </summary>
    /// <exception cref="ArgumentException">The layer is not called in the forward pass.</exception>
    public static (Tensor Output, Tensor Captured) Run(Module model, Module layer, Tensor input, Func<Tensor, Tensor>? replace = null)
    {
        Tensor? captured = null;
        Tensor output;
        using (ForwardTrace.Begin((m, y) =>
        {
            if (captured is not null || !ReferenceEquals(m, layer)) return y;
            captured = replace is null ? y : replace(y);
            return captured;
        }))
            output = model.Call(input);
        return (output, captured ?? throw new ArgumentException($"layer '{layer.Path}' is not used in the model's forward pass."));
    }
}
