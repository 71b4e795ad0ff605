using Striate.Ops;
using Striate.Tensors;

namespace Striate.Onnx;

internal static partial class OnnxOps
{
    private enum Reduction { Mean, Sum, Max, Min, L1, L2, SumSquare, LogSum, LogSumExp }

    // The Reduce* operators: axes an attribute until opset 18 (13 for ReduceSum), an optional input from then on.
    private static void AddReductions()
    {
        foreach (var (op, kind, inputSince) in new[]
        {
            ("ReduceMean", Reduction.Mean, 18), ("ReduceSum", Reduction.Sum, 13), ("ReduceMax", Reduction.Max, 18),
            ("ReduceMin", Reduction.Min, 18), ("ReduceL1", Reduction.L1, 18), ("ReduceL2", Reduction.L2, 18),
            ("ReduceSumSquare", Reduction.SumSquare, 18), ("ReduceLogSum", Reduction.LogSum, 18), ("ReduceLogSumExp", Reduction.LogSumExp, 18),
        })
        {
            Add(op, 1, a => One(Reduce(a, a.IntList("axes"), kind)));
            Add(op, inputSince, a => One(Reduce(a, a.Has(1) ? a.Ints(1) : null, kind)));
        }
        Add("ArgMax", 1, a => a.Emit(ArgExtreme(a, max: true)));
        Add("ArgMin", 1, a => a.Emit(ArgExtreme(a, max: false)));
    }

    // Where along the axis the largest (smallest) value is, as int64: the first on ties, or the last with select_last_index.
    private static OnnxTensor ArgExtreme(Args a, bool max)
    {
        var x = a[0];
        long given = a.Int("axis", 0);
        if (given < -x.Rank || given >= x.Rank) throw a.Fail($"axis {given} is outside a rank-{x.Rank} input");
        int axis = (int)(given < 0 ? given + x.Rank : given), n = x.Shape[axis], outer = x.Shape.Outer(axis), inner = x.Shape.Inner(axis);
        bool last = a.Int("select_last_index", 0) != 0;
        var xd = x.Data;
        var result = new long[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                for (int k = 1; k < n; k++)
                {
                    float v = xd[(o * n + k) * inner + i], b = xd[(o * n + best) * inner + i];
                    if (max ? v > b || (last && v == b) : v < b || (last && v == b)) best = k;
                }
                result[o * inner + i] = best;
            }
        var dims = x.Shape.ToArray().Select(d => (long)d).ToList();
        if (a.Int("keepdims", 1) != 0) dims[axis] = 1; else dims.RemoveAt(axis);
        return OnnxTensor.FromInt64s("", [.. dims], result);
    }

    private static Tensor Reduce(Args a, IReadOnlyList<long>? axes, Reduction kind)
    {
        var x = a[0];
        bool keep = a.Int("keepdims", 1) != 0;
        if (axes is not { Count: > 0 })
        {
            if (a.Int("noop_with_empty_axes", 0) != 0) return x;
            axes = [.. Enumerable.Range(0, x.Rank).Select(i => (long)i)];
        }
        if (axes.Any(v => v < -x.Rank || v >= x.Rank)) throw a.Fail($"axes [{string.Join(", ", axes)}] are outside a rank-{x.Rank} input");
        int[] dims = [.. axes.Select(v => (int)(v < 0 ? v + x.Rank : v)).Distinct().Order()];
        return kind switch
        {
            Reduction.Mean => F.Mean(x, dims, keep),
            Reduction.Sum => F.Sum(x, dims, keep),
            Reduction.Max => Max(x, dims, keep),
            Reduction.Min => F.Neg(Max(F.Neg(x), dims, keep)),
            Reduction.L1 => F.Sum(F.Abs(x), dims, keep),
            Reduction.L2 => F.Sqrt(F.Sum(F.Square(x), dims, keep)),
            Reduction.SumSquare => F.Sum(F.Square(x), dims, keep),
            Reduction.LogSum => F.Log(F.Sum(x, dims, keep)),
            _ => LogSumExp(x, dims, keep),
        };
    }

    // The maximum over dims: the reduced dimensions moved last and pooled in one window per kept position (the
    // gradient goes to the maximum, as max pooling's does).
    private static Tensor Max(Tensor x, int[] dims, bool keep)
    {
        var kept = Enumerable.Range(0, x.Rank).Where(d => !dims.Contains(d)).ToArray();
        int outer = kept.Aggregate(1, (p, d) => p * x.Shape[d]), window = dims.Aggregate(1, (p, d) => p * x.Shape[d]);
        var moved = F.Reshape(F.Permute(x, [.. kept, .. dims]), 1, 1, outer, window);
        var pooled = F.MaxPool2d(moved, (1, window));
        int[] shape = keep ? [.. Enumerable.Range(0, x.Rank).Select(d => dims.Contains(d) ? 1 : x.Shape[d])] : [.. kept.Select(d => x.Shape[d])];
        return F.Reshape(pooled, shape);
    }

    // log Σ exp(x), shifted by the maximum (held constant: it cancels in the value and the gradient).
    private static Tensor LogSumExp(Tensor x, int[] dims, bool keep)
    {
        var peak = Max(x, dims, keep: true);
        var shift = Tensor.FromArray(peak.ToArray(), peak.Shape.ToArray());
        var y = F.Add(F.Log(F.Sum(F.Exp(F.Sub(x, shift)), dims, keepDim: true)), shift);
        return keep ? y : F.Reshape(y, [.. Enumerable.Range(0, x.Rank).Where(d => !dims.Contains(d)).Select(d => x.Shape[d])]);
    }
}
