using Striate.Tensors;

namespace Striate.Ops;

public static partial class F
{
    /// <summary>exp(x_i - max) / sum_j exp(x_j - max) along <paramref name="dim"/> (numerically stable).</summary>
    public static Tensor Softmax(Tensor x, int dim = -1) => SoftmaxOp(x, dim, log: false);

    /// <summary>x_i - max - log(sum_j exp(x_j - max)) along <paramref name="dim"/> (numerically stable).</summary>
    public static Tensor LogSoftmax(Tensor x, int dim = -1) => SoftmaxOp(x, dim, log: true);

    private static Tensor SoftmaxOp(Tensor x, int dim, bool log)
    {
        ArgumentNullException.ThrowIfNull(x);
        string name = log ? "log_softmax" : "softmax";
        if (x.Rank == 0) throw new ArgumentException($"{name}: expects at least one dimension, got a scalar.");
        int axis = x.Shape.Axis(dim, name);
        if (axis != x.Rank - 1)
        {
            // Move the axis last, apply, move it back; each step records its own backward.
            var perm = Enumerable.Range(0, x.Rank).Where(i => i != axis).Append(axis).ToArray();
            var inv = new int[perm.Length];
            for (int i = 0; i < perm.Length; i++) inv[perm[i]] = i;
            return Permute(SoftmaxOp(Permute(x, perm), -1, log), inv);
        }
        int cols = x.Shape[-1], rows = cols == 0 ? 0 : x.Numel / cols;
        var y = Tensor.Empty(x.Shape);
        B.Softmax(rows, cols, x.Data, y.Data, log);
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, name, [x], (g, grads) =>
        {
            var dx = Tensor.Empty(x.Shape);
            B.SoftmaxBackward(rows, cols, y.Data, g.Data, dx.Data, log);
            grads[0] = dx;
        });
    }
}
