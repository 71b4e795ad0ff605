using Striate.Tensors;

namespace Striate.Ops;

public static partial class F
{
    /// <summary>
    /// The same elements with a new shape (a view sharing memory). One dimension may be -1 and is inferred.
    /// </summary>
    /// <exception cref="ArgumentException">The element counts differ or more than one -1 is given.</exception>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        if (OpTrace.Active is { } trace) return trace.Op("reshape", [x], () => Reshape(x, shape));
        var dims = (int[])shape.Clone();
        int infer = -1, known = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"reshape: only one dimension can be -1, got {Shape.Format(shape)}.");
                infer = i;
            }
            else if (dims[i] < 0)
                throw new ArgumentException($"reshape: invalid dimension {dims[i]} in {Shape.Format(shape)}.");
            else known *= dims[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || x.Numel % known != 0)
                throw new ArgumentException($"reshape: cannot view shape {x.Shape} ({x.Numel} elements) as {Shape.Format(shape)}.");
            dims[infer] = x.Numel / known;
        }
        var s = new Shape(dims);
        if (s.Numel != x.Numel)
            throw new ArgumentException($"reshape: cannot view shape {x.Shape} ({x.Numel} elements) as {s} ({s.Numel} elements).");
        var y = new Tensor(x.Storage, s);
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "reshape", [x], (g, grads) => grads[0] = new Tensor(g.Storage, x.Shape));
    }

    /// <summary>Flattens dimensions <paramref name="startDim"/>..<paramref name="endDim"/> into one (torch.flatten).</summary>
    public static Tensor Flatten(Tensor x, int startDim = 1, int endDim = -1)
    {
        if (OpTrace.Active is { } trace) return trace.Op("flatten", [x], () => Flatten(x, startDim, endDim), startDim);
        if (x.Rank == 0) return Reshape(x, 1);
        int s = x.Shape.Axis(startDim, "flatten"), e = x.Shape.Axis(endDim, "flatten");
        if (s > e) throw new ArgumentException($"flatten: startDim ({startDim}) comes after endDim ({endDim}) for shape {x.Shape}.");
        var dims = new List<int>();
        for (int i = 0; i < s; i++) dims.Add(x.Shape[i]);
        int m = 1;
        for (int i = s; i <= e; i++) m *= x.Shape[i];
        dims.Add(m);
        for (int i = e + 1; i < x.Rank; i++) dims.Add(x.Shape[i]);
        return Reshape(x, dims.ToArray());
    }

    /// <summary>Reorders the dimensions: output dimension i is input dimension <paramref name="perm"/>[i].</summary>
    public static Tensor Permute(Tensor x, params int[] perm)
    {
        if (perm.Length != x.Rank)
            throw new ArgumentException($"permute: expected {x.Rank} dimensions for shape {x.Shape}, got {Shape.Format(perm)}.");
        var p = perm.Select(d => x.Shape.Axis(d, "permute")).ToArray();
        if (p.Distinct().Count() != p.Length)
            throw new ArgumentException($"permute: {Shape.Format(perm)} repeats a dimension.");
        if (OpTrace.Active is { } trace) return trace.Op("permute", [x], () => Permute(x, p), p);
        var outShape = new Shape(p.Select(d => x.Shape[d]).ToArray());
        var y = Tensor.Empty(outShape);
        PermuteCopy(x.Data, x.Shape, p, y.Data);
        if (!Autograd.Needs(x)) return y;
        var inverse = new int[p.Length];
        for (int i = 0; i < p.Length; i++) inverse[p[i]] = i;
        return Autograd.Record(y, "permute", [x], (g, grads) =>
        {
            var dx = Tensor.Empty(x.Shape);
            PermuteCopy(g.Data, outShape, inverse, dx.Data);
            grads[0] = dx;
        });
    }

    /// <summary>Swaps two dimensions.</summary>
    public static Tensor Transpose(Tensor x, int dim0, int dim1)
    {
        var p = Enumerable.Range(0, x.Rank).ToArray();
        int a = x.Shape.Axis(dim0, "transpose"), b = x.Shape.Axis(dim1, "transpose");
        (p[a], p[b]) = (p[b], p[a]);
        return Permute(x, p);
    }

    private static void PermuteCopy(ReadOnlySpan<float> src, Shape srcShape, int[] perm, Span<float> dst)
    {
        int rank = perm.Length;
        var srcStrides = ContiguousStrides(srcShape.Dims);
        Span<int> outDims = stackalloc int[rank];
        Span<int> strides = stackalloc int[rank];
        for (int i = 0; i < rank; i++)
        {
            outDims[i] = srcShape[perm[i]];
            strides[i] = srcStrides[perm[i]];
        }
        Span<int> idx = stackalloc int[rank];
        int off = 0;
        for (int k = 0; k < dst.Length; k++)
        {
            dst[k] = src[off];
            for (int d = rank - 1; d >= 0; d--)
            {
                idx[d]++;
                off += strides[d];
                if (idx[d] < outDims[d]) break;
                off -= strides[d] * outDims[d];
                idx[d] = 0;
            }
        }
    }

    /// <summary>Joins tensors along <paramref name="dim"/>; every other dimension must match.</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> xs, int dim = 1)
    {
        if (OpTrace.Active is { } trace) return trace.Op("concat", xs, () => Concat(xs, dim), dim);
        if (xs.Count == 0) throw new ArgumentException("concat: at least one tensor is required.");
        var first = xs[0];
        int axis = first.Shape.Axis(dim, "concat");
        int total = 0;
        for (int t = 0; t < xs.Count; t++)
        {
            var s = xs[t].Shape;
            if (s.Rank != first.Rank)
                throw new ArgumentException($"concat: tensor {t} has rank {s.Rank} (shape {s}), expected rank {first.Rank} like tensor 0 (shape {first.Shape}).");
            for (int i = 0; i < s.Rank; i++)
                if (i != axis && s[i] != first.Shape[i])
                    throw new ArgumentException($"concat along dimension {axis}: tensor {t} has shape {s}, which differs from tensor 0's {first.Shape} in dimension {i}.");
            total += s[axis];
        }
        var outShape = first.Shape.With(axis, total);
        int outer = first.Shape.Outer(axis), inner = first.Shape.Inner(axis);
        var y = Tensor.Empty(outShape);
        var yd = y.Data;
        int offset = 0;
        foreach (var x in xs)
        {
            int n = x.Shape[axis] * inner;
            var xd = x.Data;
            for (int o = 0; o < outer; o++)
                xd.Slice(o * n, n).CopyTo(yd.Slice(o * total * inner + offset, n));
            offset += n;
        }
        bool needs = false;
        foreach (var x in xs) needs |= Autograd.Needs(x);
        if (!needs) return y;
        var inputs = xs.ToArray();
        return Autograd.Record(y, "concat", inputs, (g, grads) =>
        {
            var gd = g.Data;
            int off = 0;
            for (int t = 0; t < inputs.Length; t++)
            {
                int n = inputs[t].Shape[axis] * inner;
                if (inputs[t].RequiresGrad)
                {
                    var dx = Tensor.Empty(inputs[t].Shape);
                    for (int o = 0; o < outer; o++)
                        gd.Slice(o * total * inner + off, n).CopyTo(dx.Data.Slice(o * n, n));
                    grads[t] = dx;
                }
                off += n;
            }
        });
    }

    /// <summary>Splits along <paramref name="dim"/> into pieces of the given sizes (which must add up to the dimension).</summary>
    public static Tensor[] Split(Tensor x, int[] sizes, int dim = 1)
    {
        int axis = x.Shape.Axis(dim, "split");
        if (sizes.Any(s => s < 0) || sizes.Sum() != x.Shape[axis])
            throw new ArgumentException($"split: sizes {Shape.Format(sizes)} must be non-negative and add up to dimension {axis} of shape {x.Shape} ({x.Shape[axis]}).");
        var result = new Tensor[sizes.Length];
        int start = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            result[i] = Narrow(x, axis, start, sizes[i]);
            start += sizes[i];
        }
        return result;
    }

    /// <summary>Splits along <paramref name="dim"/> into <paramref name="chunks"/> equal pieces (the last may be smaller).</summary>
    public static Tensor[] Chunk(Tensor x, int chunks, int dim = 1)
    {
        int axis = x.Shape.Axis(dim, "chunk");
        ArgumentOutOfRangeException.ThrowIfLessThan(chunks, 1);
        int size = (x.Shape[axis] + chunks - 1) / chunks;
        var sizes = new List<int>();
        for (int left = x.Shape[axis]; left > 0; left -= size) sizes.Add(Math.Min(size, left));
        return Split(x, sizes.ToArray(), axis);
    }

    /// <summary>The slice [start, start + length) along <paramref name="dim"/>, copied.</summary>
    public static Tensor Narrow(Tensor x, int dim, int start, int length)
    {
        if (OpTrace.Active is { } trace) return trace.Op("narrow", [x], () => Narrow(x, dim, start, length), (x.Shape.Axis(dim, "narrow"), start, length));
        int axis = x.Shape.Axis(dim, "narrow");
        if (start < 0 || length < 0 || start + length > x.Shape[axis])
            throw new ArgumentException($"narrow: [{start}, {start + length}) is outside dimension {axis} of shape {x.Shape}.");
        int outer = x.Shape.Outer(axis), inner = x.Shape.Inner(axis), n = x.Shape[axis];
        var outShape = x.Shape.With(axis, length);
        var y = Tensor.Empty(outShape);
        var xd = x.Data;
        var yd = y.Data;
        for (int o = 0; o < outer; o++)
            xd.Slice((o * n + start) * inner, length * inner).CopyTo(yd.Slice(o * length * inner, length * inner));
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "narrow", [x], (g, grads) =>
        {
            var dx = Tensor.Zeros(x.Shape);
            var gd = g.Data;
            for (int o = 0; o < outer; o++)
                gd.Slice(o * length * inner, length * inner).CopyTo(dx.Data.Slice((o * n + start) * inner, length * inner));
            grads[0] = dx;
        });
    }
}
