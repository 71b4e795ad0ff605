using Striate.Tensors;

namespace Striate.Ops;

public static partial class F
{
    /// <summary>Sum of all elements (a rank-0 tensor).</summary>
    public static Tensor Sum(Tensor x)
    {
        var y = Tensor.Empty(new Shape());
        y.Data[0] = SumDouble(x.Data);
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "sum", [x], (g, grads) => grads[0] = Tensor.Full(x.Shape, g.Data[0]));
    }

    /// <summary>Mean of all elements (a rank-0 tensor).</summary>
    public static Tensor Mean(Tensor x)
    {
        if (x.Numel == 0) throw new ArgumentException("mean: the tensor is empty.");
        var y = Tensor.Empty(new Shape());
        y.Data[0] = (float)(SumDoublePrecise(x.Data) / x.Numel);
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "mean", [x], (g, grads) => grads[0] = Tensor.Full(x.Shape, g.Data[0] / x.Numel));
    }

    /// <summary>Sum along <paramref name="dim"/>; the dimension is kept with size 1 when <paramref name="keepDim"/>.</summary>
    public static Tensor Sum(Tensor x, int dim, bool keepDim = false) => ReduceDim(x, dim, keepDim, mean: false);

    /// <summary>Mean along <paramref name="dim"/>.</summary>
    public static Tensor Mean(Tensor x, int dim, bool keepDim = false) => ReduceDim(x, dim, keepDim, mean: true);

    /// <summary>Sum over several dimensions (applied from the last to the first).</summary>
    public static Tensor Sum(Tensor x, int[] dims, bool keepDim = false) => ReduceDims(x, dims, keepDim, mean: false);

    /// <summary>Mean over several dimensions.</summary>
    public static Tensor Mean(Tensor x, int[] dims, bool keepDim = false) => ReduceDims(x, dims, keepDim, mean: true);

    private static Tensor ReduceDims(Tensor x, int[] dims, bool keepDim, bool mean)
    {
        var axes = dims.Select(d => x.Shape.Axis(d, mean ? "mean" : "sum")).Distinct().OrderByDescending(d => d).ToArray();
        var y = x;
        foreach (int a in axes) y = ReduceDim(y, a, keepDim: true, mean);
        if (keepDim) return y;
        var outDims = Enumerable.Range(0, x.Rank).Where(i => !axes.Contains(i)).Select(i => x.Shape[i]).ToArray();
        return Reshape(y, outDims);
    }

    private static Tensor ReduceDim(Tensor x, int dim, bool keepDim, bool mean)
    {
        string op = mean ? "mean" : "sum";
        int axis = x.Shape.Axis(dim, op);
        int outer = x.Shape.Outer(axis), n = x.Shape[axis], inner = x.Shape.Inner(axis);
        var outShape = keepDim ? x.Shape.With(axis, 1) : new Shape(x.Shape.Dims.ToArray().Where((_, i) => i != axis).ToArray());
        var y = Tensor.Zeros(outShape);
        var xs = x.Data;
        var ys = y.Data;
        float scale = mean ? 1f / n : 1f;
        for (int o = 0; o < outer; o++)
        {
            var dst = ys.Slice(o * inner, inner);
            for (int i = 0; i < n; i++)
                TensorPrimitives.Add(dst, xs.Slice((o * n + i) * inner, inner), dst);
            if (mean) TensorPrimitives.Multiply(dst, scale, dst);
        }
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, op, [x], (g, grads) =>
        {
            var dx = Tensor.Empty(x.Shape);
            var gs = g.Data;
            var d = dx.Data;
            for (int o = 0; o < outer; o++)
            {
                var src = gs.Slice(o * inner, inner);
                for (int i = 0; i < n; i++)
                {
                    var row = d.Slice((o * n + i) * inner, inner);
                    if (mean) TensorPrimitives.Multiply(src, scale, row);
                    else src.CopyTo(row);
                }
            }
            grads[0] = dx;
        });
    }

    /// <summary>Largest values along <paramref name="dim"/> and their positions (the first on ties).</summary>
    public static (Tensor Values, int[] Indices) Max(Tensor x, int dim, bool keepDim = false)
    {
        int axis = x.Shape.Axis(dim, "max");
        int outer = x.Shape.Outer(axis), n = x.Shape[axis], inner = x.Shape.Inner(axis);
        if (n == 0) throw new ArgumentException($"max: dimension {dim} of shape {x.Shape} is empty.");
        var outShape = keepDim ? x.Shape.With(axis, 1) : new Shape(x.Shape.Dims.ToArray().Where((_, i) => i != axis).ToArray());
        var y = Tensor.Empty(outShape);
        var idx = new int[outer * inner];
        var xs = x.Data;
        var ys = y.Data;
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < inner; j++)
            {
                int best = 0;
                float m = xs[o * n * inner + j];
                for (int i = 1; i < n; i++)
                {
                    float v = xs[(o * n + i) * inner + j];
                    if (v > m || (float.IsNaN(v) && !float.IsNaN(m)))
                    {
                        m = v;
                        best = i;
                    }
                }
                ys[o * inner + j] = m;
                idx[o * inner + j] = best;
            }
        if (!Autograd.Needs(x)) return (y, idx);
        Autograd.Record(y, "max", [x], (g, grads) =>
        {
            var dx = Tensor.Zeros(x.Shape);
            var d = dx.Data;
            var gs = g.Data;
            for (int o = 0; o < outer; o++)
                for (int j = 0; j < inner; j++)
                    d[(o * n + idx[o * inner + j]) * inner + j] = gs[o * inner + j];
            grads[0] = dx;
        });
        return (y, idx);
    }

    /// <summary>Positions of the largest values along <paramref name="dim"/> (the first on ties).</summary>
    public static int[] Argmax(Tensor x, int dim)
    {
        using var _ = Autograd.NoGrad();
        return Max(x, dim).Indices;
    }

    private static float SumDouble(ReadOnlySpan<float> x) => (float)SumDoublePrecise(x);

    private static double SumDoublePrecise(ReadOnlySpan<float> x)
    {
        // Blocks of float sums accumulated in double: fast and accurate enough for losses and tests.
        double acc = 0;
        for (int i = 0; i < x.Length; i += 4096)
            acc += TensorPrimitives.Sum(x.Slice(i, Math.Min(4096, x.Length - i)));
        return acc;
    }
}
