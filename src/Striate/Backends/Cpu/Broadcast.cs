namespace Striate.Backends.Cpu;

/// <summary>
/// Broadcast loops over strided views: an input's stride is 0 along a dimension it is broadcast in. The
/// innermost dimension is processed as a row with a vector kernel (row op row, row op scalar).
/// </summary>
public static class Broadcast
{
    // y[outShape] = a[i * aStrides] op b[i * bStrides]; strides are in elements, one per output dimension.
    public static void Binary(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<int> aStrides, ReadOnlySpan<float> b,
        ReadOnlySpan<int> bStrides, Span<float> y, ReadOnlySpan<int> outShape)
    {
        int rank = outShape.Length;
        int total = 1;
        foreach (int d in outShape) total *= d;
        if (y.Length < total) throw new ArgumentException($"Broadcast.Binary: destination has {y.Length} elements, needs {total}.", nameof(y));
        if (total == 0) return;
        KernelSpans.Require(a.Length, Reach(outShape, aStrides, "Broadcast.Binary", "aStrides"), "Broadcast.Binary", "a", "its strides over the output shape");
        KernelSpans.Require(b.Length, Reach(outShape, bStrides, "Broadcast.Binary", "bStrides"), "Broadcast.Binary", "b", "its strides over the output shape");
        if (rank == 0)
        {
            y[0] = Apply(op, a[0], b[0]);
            return;
        }
        int inner = outShape[rank - 1];
        int sa = aStrides[rank - 1], sb = bStrides[rank - 1];
        Span<int> idx = stackalloc int[rank];
        int rows = total / inner;
        int offA = 0, offB = 0;
        for (int r = 0; r < rows; r++)
        {
            var yRow = y.Slice(r * inner, inner);
            Row(op, a, offA, sa, b, offB, sb, yRow);
            // Odometer over the outer dimensions.
            for (int d = rank - 2; d >= 0; d--)
            {
                idx[d]++;
                offA += aStrides[d];
                offB += bStrides[d];
                if (idx[d] < outShape[d]) break;
                offA -= aStrides[d] * outShape[d];
                offB -= bStrides[d] * outShape[d];
                idx[d] = 0;
            }
        }
    }

    // dst[j] += sum of src[i] over every i that maps to j, where src has srcShape and dst is seen through dstStrides.
    public static void SumInto(ReadOnlySpan<float> src, ReadOnlySpan<int> srcShape, Span<float> dst, ReadOnlySpan<int> dstStrides)
    {
        int rank = srcShape.Length;
        int total = 1;
        foreach (int d in srcShape) total *= d;
        if (total == 0) return;
        KernelSpans.Require(src.Length, total, "Broadcast.SumInto", "src", "the product of srcShape");
        KernelSpans.Require(dst.Length, Reach(srcShape, dstStrides, "Broadcast.SumInto", "dstStrides"), "Broadcast.SumInto", "dst", "its strides over srcShape");
        if (rank == 0)
        {
            dst[0] += src[0];
            return;
        }
        int inner = srcShape[rank - 1];
        int sd = dstStrides[rank - 1];
        Span<int> idx = stackalloc int[rank];
        int rows = total / inner;
        int off = 0;
        for (int r = 0; r < rows; r++)
        {
            var row = src.Slice(r * inner, inner);
            if (sd == 1)
            {
                var d = dst.Slice(off, inner);
                TensorPrimitives.Add(d, row, d);
            }
            else if (sd == 0)
            {
                dst[off] += TensorPrimitives.Sum(row);
            }
            else
            {
                for (int i = 0; i < inner; i++) dst[off + i * sd] += row[i];
            }
            for (int d = rank - 2; d >= 0; d--)
            {
                idx[d]++;
                off += dstStrides[d];
                if (idx[d] < srcShape[d]) break;
                off -= dstStrides[d] * srcShape[d];
                idx[d] = 0;
            }
        }
    }

    // 1 + the largest offset a view of `shape` through `strides` reads (strides >= 0, one per dimension).
    private static long Reach(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, string kernel, string name)
    {
        if (strides.Length != shape.Length)
            throw new ArgumentException($"{kernel}: {name} has {strides.Length} strides for {shape.Length} dimensions.", name);
        long last = 0;
        for (int d = 0; d < shape.Length; d++)
        {
            if (strides[d] < 0) throw new ArgumentException($"{kernel}: {name} has a negative stride ({strides[d]}) at dimension {d}.", name);
            last += (long)(shape[d] - 1) * strides[d];
        }
        return last + 1;
    }

    private static void Row(BinaryOp op, ReadOnlySpan<float> a, int offA, int sa, ReadOnlySpan<float> b, int offB, int sb, Span<float> y)
    {
        int n = y.Length;
        if (sa == 1 && sb == 1)
        {
            var ra = a.Slice(offA, n);
            var rb = b.Slice(offB, n);
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(ra, rb, y); break;
                case BinaryOp.Sub: TensorPrimitives.Subtract(ra, rb, y); break;
                case BinaryOp.Mul: TensorPrimitives.Multiply(ra, rb, y); break;
                default: TensorPrimitives.Divide(ra, rb, y); break;
            }
        }
        else if (sa == 1 && sb == 0)
        {
            var ra = a.Slice(offA, n);
            float s = b[offB];
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(ra, s, y); break;
                case BinaryOp.Sub: TensorPrimitives.Subtract(ra, s, y); break;
                case BinaryOp.Mul: TensorPrimitives.Multiply(ra, s, y); break;
                default: TensorPrimitives.Divide(ra, s, y); break;
            }
        }
        else if (sa == 0 && sb == 1)
        {
            var rb = b.Slice(offB, n);
            float s = a[offA];
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(rb, s, y); break;
                case BinaryOp.Sub: TensorPrimitives.Subtract(s, rb, y); break;
                case BinaryOp.Mul: TensorPrimitives.Multiply(rb, s, y); break;
                default: TensorPrimitives.Divide(s, rb, y); break;
            }
        }
        else
        {
            for (int i = 0; i < n; i++) y[i] = Apply(op, a[offA + i * sa], b[offB + i * sb]);
        }
    }

    private static float Apply(BinaryOp op, float x, float y) => op switch
    {
        BinaryOp.Add => x + y,
        BinaryOp.Sub => x - y,
        BinaryOp.Mul => x * y,
        _ => x / y,
    };
}
