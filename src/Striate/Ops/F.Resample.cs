using Striate.Tensors;

namespace Striate.Ops;

public static partial class F
{
    /// <summary>
    /// Resampling along one dimension by taps: y[..., o, ...] = Σ_t weight[o·taps + t] · x[..., index[o·taps + t], ...]
    /// for o in [0, index.Length / taps); a tap whose index is -1 reads nothing. Nearest-neighbour (one tap of weight
    /// 1), linear (two) and cubic (four) interpolation along an axis are each this with their taps, and a resize of
    /// several axes is one call per axis. Backward adds each output's gradient, times the tap's weight, into the element
    /// the tap read.
    /// </summary>
    /// <exception cref="ArgumentException">taps is not positive or does not divide the index count, the weights do
    /// not match the indices, or an index is outside [-1, size).</exception>
    public static Tensor Resample(Tensor x, int dim, ReadOnlySpan<int> index, ReadOnlySpan<float> weight, int taps)
    {
        ArgumentNullException.ThrowIfNull(x);
        int axis = x.Shape.Axis(dim, "resample");
        if (taps < 1 || index.Length % taps != 0 || index.Length == 0)
            throw new ArgumentException($"resample: expected a positive number of taps dividing the {index.Length} indices, got {taps}.");
        if (weight.Length != index.Length)
            throw new ArgumentException($"resample: expected one weight per index ({index.Length}), got {weight.Length}.");
        int n = x.Shape[axis];
        for (int i = 0; i < index.Length; i++)
            if (index[i] < -1 || index[i] >= n)
                throw new ArgumentException($"resample: index {index[i]} at position {i} is outside [-1, {n}) along dimension {axis} of shape {x.Shape}.");
        int outLen = index.Length / taps, outer = x.Shape.Outer(axis), inner = x.Shape.Inner(axis);
        var idx = index.ToArray();
        var w = weight.ToArray();
        var y = Tensor.Zeros(x.Shape.With(axis, outLen));
        var xd = x.Data;
        var yd = y.Data;
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < outLen; k++)
            {
                var dst = yd.Slice((o * outLen + k) * inner, inner);
                for (int t = 0; t < taps; t++)
                {
                    int i = idx[k * taps + t];
                    if (i >= 0 && w[k * taps + t] != 0f) TensorPrimitives.MultiplyAdd(xd.Slice((o * n + i) * inner, inner), w[k * taps + t], dst, dst);
                }
            }
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "resample", [x], (g, grads) =>
        {
            var dx = Tensor.Zeros(x.Shape);
            var gd = g.Data;
            var dd = dx.Data;
            for (int o = 0; o < outer; o++)
                for (int k = 0; k < outLen; k++)
                {
                    var src = gd.Slice((o * outLen + k) * inner, inner);
                    for (int t = 0; t < taps; t++)
                    {
                        int i = idx[k * taps + t];
                        if (i < 0 || w[k * taps + t] == 0f) continue;
                        var dst = dd.Slice((o * n + i) * inner, inner);
                        TensorPrimitives.MultiplyAdd(src, w[k * taps + t], dst, dst);
                    }
                }
            grads[0] = dx;
        });
    }
}
