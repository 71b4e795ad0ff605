using System.Globalization;
using Striate.Tensors;

namespace Striate.Ops;

public static partial class F
{
    /// <summary>
    /// Pads the last pad.Length / 2 dimensions of <paramref name="x"/> (torch.nn.functional.pad): pad lists
    /// (before, after) pairs from the last dimension backwards, so (left, right, top, bottom) pads W and H of NCHW.
    /// Each padded size becomes n + before + after. A negative amount removes that many elements from that side in
    /// every mode. <see cref="PadMode.Constant"/> fills with <paramref name="value"/>; <see cref="PadMode.Reflect"/>
    /// mirrors without repeating the edge and needs each amount below n; <see cref="PadMode.Replicate"/> repeats the
    /// edge and needs n &gt;= 1; <see cref="PadMode.Circular"/> wraps around what is left after any negative amount
    /// has cropped (PyTorch's order) and needs each amount at most that size.
    /// PyTorch takes the last three modes for the last 1 to 3 dimensions of an input with one or two more; here any
    /// trailing dimensions of any input may be padded in every mode. The gradient sums the output's gradient back
    /// onto the elements each output element was read from (padding by a constant gets none).
    /// </summary>
    /// <exception cref="ArgumentException">The pad list is odd or longer than 2 * rank, an amount does not suit the
    /// mode and size, a size would become negative, or a fill value is given to a mode other than constant.</exception>
    public static Tensor Pad(Tensor x, ReadOnlySpan<int> pad, PadMode mode = PadMode.Constant, float value = 0f) =>
        PadNamed(x, pad, mode, value, "pad");

    /// <summary><see cref="Pad(Tensor, ReadOnlySpan{int}, PadMode, float)"/> with messages that name <paramref name="who"/> (a layer).</summary>
    internal static Tensor PadNamed(Tensor x, ReadOnlySpan<int> pad, PadMode mode, float value, string who)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (pad.Length % 2 != 0)
            throw new ArgumentException($"{who}: padding takes (before, after) pairs from the last dimension backwards, got {pad.Length} values ({Shape.Format(pad)}).");
        if (pad.Length / 2 > x.Rank)
            throw new ArgumentException($"{who}: {pad.Length / 2} dimensions to pad ({Shape.Format(pad)}) but the input {x.Shape} has {x.Rank}.");
        if (mode != PadMode.Constant && value != 0f)
            throw new ArgumentException($"{who}: a fill value ({value.ToString(CultureInfo.InvariantCulture)}) is used only by constant padding, not {Name(mode)}.");
        if (!Enum.IsDefined(mode))
            throw new ArgumentException($"{who}: unknown padding mode {(int)mode}.");

        int rank = x.Rank;
        var outDims = x.Shape.Dims.ToArray();
        var maps = new int[rank][];
        for (int k = 0; k < pad.Length / 2; k++)
        {
            int d = rank - 1 - k, n = x.Shape[d], before = pad[2 * k], after = pad[2 * k + 1];
            long size = (long)n + before + after;
            if (size < 0)
                throw new ArgumentException($"{who}: padding ({before}, {after}) of dimension {d} (size {n}) of input {x.Shape} leaves a negative size ({size}).");
            if (size > int.MaxValue)
                throw new ArgumentException($"{who}: padding ({before}, {after}) of dimension {d} makes it larger than {int.MaxValue}.");
            // Circular padding wraps the part left after cropping (PyTorch's order).
            int period = mode == PadMode.Circular ? n + Math.Min(before, 0) + Math.Min(after, 0) : n;
            CheckAmount(who, mode, d, period, before, x.Shape);
            CheckAmount(who, mode, d, period, after, x.Shape);
            outDims[d] = (int)size;
            maps[d] = SourceMap(mode, n, before, after, (int)size);
        }
        var outShape = new Shape(outDims);
        var y = Tensor.Empty(outShape);
        PadGather(x.Data, x.Shape, maps, y.Data, outShape, value);
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "pad", [x], (g, grads) =>
        {
            var dx = Tensor.Zeros(x.Shape);
            PadScatter(g.Data, outShape, maps, dx.Data, x.Shape);
            grads[0] = dx;
        });
    }

    private static string Name(PadMode mode) => mode.ToString().ToLowerInvariant();

    private static void CheckAmount(string who, PadMode mode, int d, int n, int amount, Shape shape)
    {
        if (amount <= 0 || mode == PadMode.Constant) return;
        if (n <= 0)
            throw new ArgumentException($"{who}: {Name(mode)} padding needs at least one element to copy, but dimension {d} of input {shape} is empty{(mode == PadMode.Circular && n < shape[d] ? " after cropping" : "")}.");
        if (mode == PadMode.Reflect && amount >= n)
            throw new ArgumentException($"{who}: reflect padding must be smaller than the size it mirrors: {amount} on dimension {d} of size {n} (input {shape}).");
        if (mode == PadMode.Circular && amount > n)
            throw new ArgumentException($"{who}: circular padding may wrap around at most once: {amount} on dimension {d} of size {n} (input {shape}).");
    }

    // For each index along a padded dimension of the output, the input index it copies, or -1 for the constant.
    private static int[] SourceMap(PadMode mode, int n, int before, int after, int size)
    {
        var map = new int[size];
        // Circular: the kept part of the input starts at max(-before, 0) and has `period` elements.
        int start = Math.Max(-before, 0), period = n + Math.Min(before, 0) + Math.Min(after, 0);
        for (int o = 0; o < size; o++)
        {
            int i = o - before;
            if (i >= 0 && i < n)
            {
                map[o] = i;
                continue;
            }
            map[o] = mode switch
            {
                PadMode.Reflect => i < 0 ? -i : 2 * (n - 1) - i,
                PadMode.Replicate => i < 0 ? 0 : n - 1,
                PadMode.Circular => start + ((i - start) % period + period) % period,
                _ => -1,
            };
        }
        return map;
    }

    // y[o] = x[source(o)] or value, over rows of the last dimension: a row's outer index maps through the maps of the
    // padded outer dimensions (a row whose source is -1 anywhere is all constant).
    private static void PadGather(ReadOnlySpan<float> x, Shape xs, int[][] maps, Span<float> y, Shape ys, float value)
    {
        if (ys.Numel == 0) return;
        int rank = ys.Rank;
        if (rank == 0)
        {
            y[0] = x[0];
            return;
        }
        int outW = ys[rank - 1], inW = xs[rank - 1];
        int rows = ys.Numel / outW;
        var inner = maps[rank - 1];
        // The longest run of the padded row that reads consecutive input elements (the interior), copied as a block.
        var (runStart, runLength) = inner is null ? (0, outW) : LongestRun(inner);
        for (int r = 0; r < rows; r++)
        {
            var yRow = y.Slice(r * outW, outW);
            int src = SourceRow(r, xs, ys, maps);
            if (src < 0)
            {
                yRow.Fill(value);
                continue;
            }
            var xRow = x.Slice(src * inW, inW);
            if (inner is null)
            {
                xRow.CopyTo(yRow);
                continue;
            }
            if (runLength > 0) xRow.Slice(inner[runStart], runLength).CopyTo(yRow.Slice(runStart, runLength));
            for (int j = 0; j < runStart; j++)
            {
                int s = inner[j];
                yRow[j] = s < 0 ? value : xRow[s];
            }
            for (int j = runStart + runLength; j < outW; j++)
            {
                int s = inner[j];
                yRow[j] = s < 0 ? value : xRow[s];
            }
        }
    }

    // The start and length of the longest stretch of map whose sources are consecutive input indices.
    private static (int Start, int Length) LongestRun(int[] map)
    {
        int bestStart = 0, bestLength = 0;
        for (int j = 0; j < map.Length;)
        {
            if (map[j] < 0)
            {
                j++;
                continue;
            }
            int k = j + 1;
            while (k < map.Length && map[k] == map[k - 1] + 1) k++;
            if (k - j > bestLength) (bestStart, bestLength) = (j, k - j);
            j = k;
        }
        return (bestStart, bestLength);
    }

    // dx[source(o)] += dy[o]: the adjoint of PadGather, in output order (deterministic).
    private static void PadScatter(ReadOnlySpan<float> dy, Shape ys, int[][] maps, Span<float> dx, Shape xs)
    {
        if (ys.Numel == 0) return;
        int rank = ys.Rank;
        if (rank == 0)
        {
            dx[0] = dy[0];
            return;
        }
        int outW = ys[rank - 1], inW = xs[rank - 1];
        int rows = ys.Numel / outW;
        var inner = maps[rank - 1];
        for (int r = 0; r < rows; r++)
        {
            int src = SourceRow(r, xs, ys, maps);
            if (src < 0) continue;
            var gRow = dy.Slice(r * outW, outW);
            var xRow = dx.Slice(src * inW, inW);
            if (inner is null)
            {
                for (int j = 0; j < outW; j++) xRow[j] += gRow[j];
                continue;
            }
            for (int j = 0; j < outW; j++)
            {
                int s = inner[j];
                if (s >= 0) xRow[s] += gRow[j];
            }
        }
    }

    // The input row (flat index over all but the last dimension) that output row r reads, or -1 for a constant row.
    private static int SourceRow(int r, Shape xs, Shape ys, int[][] maps)
    {
        int src = 0, stride = 1;
        for (int d = ys.Rank - 2; d >= 0; d--)
        {
            int o = r % ys[d];
            r /= ys[d];
            int i = maps[d] is { } m ? m[o] : o;
            if (i < 0) return -1;
            src += i * stride;
            stride *= xs[d];
        }
        return src;
    }
}
