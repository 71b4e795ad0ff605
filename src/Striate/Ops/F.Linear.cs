using Striate.Tensors;

namespace Striate.Ops;

public static partial class F
{
    /// <summary>Matrix product of [m, k] and [k, n] matrices, or batched [b, m, k] x [b, k, n].</summary>
    /// <exception cref="ArgumentException">The ranks are not 2 or 3, or the inner dimensions differ.</exception>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!((a.Rank == 2 && b.Rank == 2) || (a.Rank == 3 && b.Rank == 3 && a.Shape[0] == b.Shape[0])))
            throw new ArgumentException($"matmul: expected two matrices [m, k] x [k, n] or two batches [b, m, k] x [b, k, n], got {a.Shape} and {b.Shape}.");
        int batch = a.Rank == 3 ? a.Shape[0] : 1;
        int m = a.Shape[-2], k = a.Shape[-1], n = b.Shape[-1];
        if (b.Shape[-2] != k)
            throw new ArgumentException($"matmul: inner dimensions differ: {a.Shape} x {b.Shape} ({k} vs {b.Shape[-2]}).");
        var outShape = a.Rank == 3 ? new Shape(batch, m, n) : new Shape(m, n);
        var y = Tensor.Empty(outShape);
        for (int i = 0; i < batch; i++)
            B.Gemm(false, false, m, n, k, 1f, a.Data.Slice(i * m * k, m * k), k, b.Data.Slice(i * k * n, k * n), n, 0f, y.Data.Slice(i * m * n, m * n), n);
        if (!Autograd.Needs(a, b)) return y;
        return Autograd.Record(y, "matmul", [a, b], (g, grads) =>
        {
            if (a.RequiresGrad)
            {
                var da = Tensor.Empty(a.Shape);
                for (int i = 0; i < batch; i++)
                    B.Gemm(false, true, m, k, n, 1f, g.Data.Slice(i * m * n, m * n), n, b.Data.Slice(i * k * n, k * n), n, 0f, da.Data.Slice(i * m * k, m * k), k);
                grads[0] = da;
            }
            if (b.RequiresGrad)
            {
                var db = Tensor.Empty(b.Shape);
                for (int i = 0; i < batch; i++)
                    B.Gemm(true, false, k, n, m, 1f, a.Data.Slice(i * m * k, m * k), k, g.Data.Slice(i * m * n, m * n), n, 0f, db.Data.Slice(i * k * n, k * n), n);
                grads[1] = db;
            }
        });
    }

    /// <summary>
    /// y = x W^T + b. x: [*, in] (every leading dimension is a batch dimension); weight: [out, in]; bias: [out].
    /// </summary>
    /// <exception cref="ArgumentException">The feature sizes do not match.</exception>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null, string? module = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        string who = Who("linear", "Linear", module);
        if (weight.Rank != 2)
            throw new ArgumentException($"{who}: weight must be [out_features, in_features], got {weight.Shape}.");
        int outF = weight.Shape[0], inF = weight.Shape[1];
        if (x.Rank < 1 || x.Shape[-1] != inF)
            throw new ArgumentException($"{who} expects {inF} input features in the last dimension, got input {x.Shape}.");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outF))
            throw new ArgumentException($"{who}: bias must be [{outF}], got {bias.Shape}.");
        int rows = x.Numel / Math.Max(inF, 1);
        if (inF == 0) rows = x.Shape.Outer(x.Rank - 1);
        var dims = x.Shape.ToArray();
        dims[^1] = outF;
        var y = Tensor.Empty(new Shape(dims));
        B.Gemm(false, true, rows, outF, inF, 1f, x.Data, inF, weight.Data, inF, 0f, y.Data, outF);
        if (bias is not null)
            for (int r = 0; r < rows; r++)
            {
                var row = y.Data.Slice(r * outF, outF);
                TensorPrimitives.Add(row, bias.Data, row);
            }
        if (!Autograd.Needs(x, weight, bias)) return y;
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Autograd.Record(y, "linear", inputs, (g, grads) =>
        {
            if (x.RequiresGrad)
            {
                var dx = Tensor.Empty(x.Shape);
                B.Gemm(false, false, rows, inF, outF, 1f, g.Data, outF, weight.Data, inF, 0f, dx.Data, inF);
                grads[0] = dx;
            }
            if (weight.RequiresGrad)
            {
                var dw = Tensor.Empty(weight.Shape);
                B.Gemm(true, false, outF, inF, rows, 1f, g.Data, outF, x.Data, inF, 0f, dw.Data, inF);
                grads[1] = dw;
            }
            if (bias is not null && bias.RequiresGrad)
            {
                var db = Tensor.Zeros(bias.Shape);
                for (int r = 0; r < rows; r++)
                    TensorPrimitives.Add(db.Data, g.Data.Slice(r * outF, outF), db.Data);
                grads[2] = db;
            }
        });
    }
}
