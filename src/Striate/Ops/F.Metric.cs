using Striate.Tensors;

namespace Striate.Ops;

public static partial class F
{
    /// <summary>
    /// L2 normalisation over the last dimension: y = x / max(||x||_2, eps) for each row of x [*, D].
    /// Backward: dx = (g - y (y . g)) / ||x|| where ||x|| &gt; eps, g / eps elsewhere.
    /// </summary>
    /// <exception cref="ArgumentException">x has rank 0 or eps is not positive.</exception>
    public static Tensor Normalize(Tensor x, float eps = 1e-12f)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (OpTrace.Active is { } trace) return trace.Op("normalize", [x], () => Normalize(x, eps), eps);
        if (x.Rank < 1) throw new ArgumentException($"normalize expects at least one dimension (rows of features), got {x.Shape}.");
        if (!(eps > 0)) throw new ArgumentException($"normalize: eps must be > 0, got {eps}.");
        int d = x.Shape[-1], rows = d == 0 ? 0 : x.Numel / d;
        var y = Tensor.Empty(x.Shape);
        var norms = new float[rows];
        var xd = x.Data;
        var yd = y.Data;
        for (int r = 0; r < rows; r++)
        {
            var row = xd.Slice(r * d, d);
            float n = MathF.Max(TensorPrimitives.Norm(row), eps);
            norms[r] = n;
            TensorPrimitives.Multiply(row, 1f / n, yd.Slice(r * d, d));
        }
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "normalize", [x], (g, grads) =>
        {
            var dx = Tensor.Empty(x.Shape);
            var gd = g.Data;
            var yv = y.Data;
            var xv = x.Data;
            for (int r = 0; r < rows; r++)
            {
                var gr = gd.Slice(r * d, d);
                var dr = dx.Data.Slice(r * d, d);
                // At the clamp the map is x / eps, a plain scaling.
                if (TensorPrimitives.Norm(xv.Slice(r * d, d)) <= eps)
                {
                    TensorPrimitives.Multiply(gr, 1f / eps, dr);
                    continue;
                }
                var yr = yv.Slice(r * d, d);
                float dot = TensorPrimitives.Dot(yr, gr);
                TensorPrimitives.MultiplyAdd(yr, -dot, gr, dr);
                TensorPrimitives.Multiply(dr, 1f / norms[r], dr);
            }
            grads[0] = dx;
        });
    }

    /// <summary>
    /// Rows of x [N, *] at <paramref name="indices"/> (repeats allowed): y [len(indices), *]. Backward adds each
    /// row's gradient into the row it came from.
    /// </summary>
    /// <exception cref="ArgumentException">x has rank 0 or an index is out of range.</exception>
    public static Tensor IndexSelect(Tensor x, ReadOnlySpan<int> indices)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank < 1) throw new ArgumentException($"index_select expects at least one dimension, got {x.Shape}.");
        int n = x.Shape[0], row = n == 0 ? 0 : x.Numel / n;
        var idx = indices.ToArray();
        for (int i = 0; i < idx.Length; i++)
            if (idx[i] < 0 || idx[i] >= n)
                throw new ArgumentException($"index_select: index {idx[i]} at position {i} is out of range for {n} rows (shape {x.Shape}).");
        var y = Tensor.Empty(x.Shape.With(0, idx.Length));
        for (int i = 0; i < idx.Length; i++) x.Data.Slice(idx[i] * row, row).CopyTo(y.Data.Slice(i * row, row));
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "index_select", [x], (g, grads) =>
        {
            var dx = Tensor.Zeros(x.Shape);
            for (int i = 0; i < idx.Length; i++)
            {
                var dst = dx.Data.Slice(idx[i] * row, row);
                TensorPrimitives.Add(dst, g.Data.Slice(i * row, row), dst);
            }
            grads[0] = dx;
        });
    }

    /// <summary>Squared Euclidean distances between the rows of x [N, D], in double: D[i, j] = ||x_i - x_j||^2.</summary>
    public static double[,] PairwiseSquaredDistances(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 2) throw new ArgumentException($"pairwise distances expect embeddings [N, D], got {x.Shape}.");
        int n = x.Shape[0], d = x.Shape[1];
        var dist = new double[n, n];
        var xd = x.Data;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < d; k++)
                {
                    double t = (double)xd[i * d + k] - xd[j * d + k];
                    s += t * t;
                }
                dist[i, j] = dist[j, i] = s;
            }
        return dist;
    }
}
