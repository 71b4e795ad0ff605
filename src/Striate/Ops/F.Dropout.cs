using Striate.Tensors;

namespace Striate.Ops;

public static partial class F
{
    /// <summary>
    /// Inverted dropout: in training each element is zeroed with probability <paramref name="p"/> and the rest
    /// are scaled by 1 / (1 - p), so evaluation needs no rescaling; outside training it returns x unchanged.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">p is outside [0, 1].</exception>
    public static Tensor Dropout(Tensor x, float p, bool training, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), $"dropout: probability must be in [0, 1], got {p}.");
        if (!training || p == 0) return x;
        var mask = Storage.Allocate(x.Numel, clear: false);
        var m = mask.Span;
        float scale = p == 1 ? 0f : 1f / (1f - p);
        ulong start = generator.Advance(x.Numel);
        for (int i = 0; i < m.Length; i++)
            m[i] = Generator.UniformAt(generator.Seed, start + (ulong)i) < p ? 0f : scale;
        var y = Tensor.Empty(x.Shape);
        TensorPrimitives.Multiply(x.Data, m, y.Data);
        if (!Autograd.Needs(x))
        {
            mask.Release();
            return y;
        }
        return Autograd.Record(y, "dropout", [x], (g, grads) =>
        {
            var dx = Tensor.Empty(x.Shape);
            TensorPrimitives.Multiply(g.Data, mask.Span, dx.Data);
            grads[0] = dx;
        }, mask);
    }
}
