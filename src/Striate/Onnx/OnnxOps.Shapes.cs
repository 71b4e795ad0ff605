using Striate.Tensors;

namespace Striate.Onnx;

/// <summary>
/// Shape arithmetic: the int64 values a graph computes from its tensors' shapes (Shape, then Gather, Concat,
/// Unsqueeze, Mul, ... into a Reshape or Resize), worked out exactly as constants while the graph runs. An operator
/// that moves elements (Gather, Slice, Concat, Transpose, Reshape, ...) runs its float implementation on the
/// elements' positions, and the int64 values are then read at the positions it returns; element-wise arithmetic
/// broadcasts the positions the same way and computes in int64.
/// </summary>
internal static partial class OnnxOps
{
    // Operators that compute in int64 when every input they are given is an int64 value.
    private static readonly HashSet<string> s_ints =
        ["Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Gather", "Slice", "Concat", "Transpose", "Expand", "Split", "Tile",
         "Add", "Sub", "Mul", "Div", "Max", "Min", "Neg", "Abs"];

    // Positions are carried in float32, exact up to 2^24.
    private const int MaxPositions = 1 << 24;

    private static void AddShapeArithmetic()
    {
        Add("Shape", 1, a => a.Emit(ShapeOf(a, 0, long.MaxValue)));
        Add("Shape", 15, a => a.Emit(ShapeOf(a, a.Int("start", 0), a.Int("end", long.MaxValue))));
        Add("Size", 1, a => a.Emit(OnnxTensor.FromInt64s("", [], [a.IsInts(0) ? a.IntValue(0).Count : a[0].Numel])));
        Add("Cast", 1, a => (OnnxDataType)a.Int("to", 1) switch
        {
            OnnxDataType.Float => One(a[0]),
            OnnxDataType.Int64 or OnnxDataType.Int32 => a.Emit(a.IsInts(0) ? a.IntValue(0)
                // Float to integer truncates toward zero.
                : OnnxTensor.FromInt64s("", [.. a[0].Shape.ToArray().Select(d => (long)d)], [.. a[0].ToArray().Select(v => float.IsFinite(v) ? (long)v : throw a.Fail($"{v} has no integer value"))])),
            var to => throw a.Unsupported($"a cast to {to} (Striate computes in float32, and shapes in int64)"),
        });
        Add("ConstantOfShape", 9, a =>
        {
            var shape = a.Ints(0);
            if (shape.Any(d => d < 0 || d > int.MaxValue) || shape.Aggregate(1L, (p, d) => p * Math.Max(d, 1)) > 1L << 28)
                throw a.Fail($"shape [{string.Join(", ", shape)}] is negative or too large");
            var value = a.Node.Attribute("value")?.T;
            if (value is { Type: OnnxDataType.Int64 or OnnxDataType.Int32 })
            {
                long fill = value.Type == OnnxDataType.Int64 ? value.ToInt64s()[0] : BitConverter.ToInt32(value.Data);
                return a.Emit(OnnxTensor.FromInt64s("", shape, [.. Enumerable.Repeat(fill, (int)shape.Aggregate(1L, (p, d) => p * d))]));
            }
            if (value is not null && value.Type != OnnxDataType.Float) throw a.Unsupported($"a {value.Type} value (Striate computes in float32)");
            return One(Tensor.Full([.. shape.Select(d => (int)d)], value is null ? 0f : value.ToFloats()[0]));
        });
        Add("Range", 11, a =>
        {
            if (a.AllInts)
            {
                long start = a.Ints(0)[0], limit = a.Ints(1)[0], delta = a.Ints(2)[0];
                if (delta == 0) throw a.Fail("a delta of 0");
                long count = Math.Max(0, (limit - start + delta + (delta > 0 ? -1 : 1)) / delta);
                if (count > MaxPositions) throw a.Fail($"{count} elements are too many");
                return a.Emit(OnnxTensor.FromInt64s("", [count], [.. Enumerable.Range(0, (int)count).Select(i => start + i * delta)]));
            }
            float s = a[0].Item(), l = a[1].Item(), d = a[2].Item();
            if (d == 0) throw a.Fail("a delta of 0");
            double n = Math.Max(0, Math.Ceiling((l - (double)s) / d));
            if (n > MaxPositions) throw a.Fail($"{n} elements are too many");
            return One(Tensor.FromArray([.. Enumerable.Range(0, (int)n).Select(i => s + i * d)], (int)n));
        });
        // Rounding has a zero gradient wherever it is defined: the result is a constant of the graph.
        Add("Floor", 1, a => One(Detached(a[0], MathF.Floor)));
        Add("Ceil", 1, a => One(Detached(a[0], MathF.Ceiling)));
        Add("Round", 11, a => One(Detached(a[0], v => MathF.Round(v, MidpointRounding.ToEven))));
    }

    private static Tensor Detached(Tensor x, Func<float, float> f) => Tensor.FromArray([.. x.ToArray().Select(f)], x.Shape.ToArray());

    private static OnnxTensor ShapeOf(Args a, long start, long end)
    {
        long[] dims = a.IsInts(0) ? a.IntValue(0).Dims : [.. a[0].Shape.ToArray().Select(d => (long)d)];
        long Clip(long v) => Math.Clamp(v < 0 ? v + dims.Length : v, 0, dims.Length);
        long s = Clip(start), e = Clip(end);
        var picked = e > s ? dims[(int)s..(int)e] : [];
        return OnnxTensor.FromInt64s("", [picked.Length], picked);
    }

    /// <summary>A Constant node's value, from whichever of its value attributes it has.</summary>
    public static OnnxTensor ConstantValue(OnnxNode n, string where)
    {
        var a = n.Attributes.Count == 1 ? n.Attributes[0]
            : throw new InvalidDataException($"{where}: a Constant has exactly one value attribute, found {n.Attributes.Count}.");
        return a.Name switch
        {
            "value" when a.T is { } t => t,
            "value_float" => OnnxTensor.FromFloats("", [], [a.F]),
            "value_floats" => OnnxTensor.FromFloats("", [a.Floats.Count], [.. a.Floats]),
            "value_int" => OnnxTensor.FromInt64s("", [], [a.I]),
            "value_ints" => OnnxTensor.FromInt64s("", [a.Ints.Count], [.. a.Ints]),
            _ => throw new NotSupportedException($"{where}: a Constant's '{a.Name}' value is not supported (tensors, floats and ints are)."),
        };
    }

    // An operator of s_ints on int64 inputs.
    private static Tensor[] IntegerOp(Args a, Impl impl)
    {
        var node = a.Node;
        var inputs = Enumerable.Range(0, node.Inputs.Count).Select(i => a.Has(i) ? a.IntValue(i) : null).ToList();
        if (inputs.Sum(t => t?.Count ?? 0) > MaxPositions) throw a.Fail($"int64 inputs of more than {MaxPositions} elements");
        if (node.OpType is "Add" or "Sub" or "Mul" or "Div" or "Max" or "Min")
        {
            var acc = inputs[0]!;
            for (int i = 1; i < inputs.Count; i++) acc = Broadcast(a, acc, inputs[i]!, node.OpType);
            return a.Emit(acc);
        }
        if (node.OpType is "Neg" or "Abs")
        {
            var x = inputs[0]!;
            return a.Emit(OnnxTensor.FromInt64s("", x.Dims, [.. x.ToInt64s().Select(v => node.OpType == "Neg" ? -v : Math.Abs(v))]));
        }
        // Elements moved: the operator runs on the positions of its data inputs' elements (every input for Concat,
        // the first otherwise; the others stay int64 constants: indices, axes, shapes).
        int dataCount = node.OpType == "Concat" ? inputs.Count : 1;
        var positions = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var values = new List<long>();
        for (int i = 0; i < dataCount; i++)
        {
            var t = inputs[i]!;
            if (positions.ContainsKey(node.Inputs[i])) continue;
            int offset = values.Count;
            values.AddRange(t.ToInt64s());
            positions[node.Inputs[i]] = Tensor.FromArray([.. Enumerable.Range(offset, (int)t.Count).Select(p => (float)p)], [.. t.Dims.Select(d => (int)d)]);
        }
        var moved = impl(a.With(positions));
        return a.Emit([.. moved.Select(m => OnnxTensor.FromInt64s("", [.. m.Shape.ToArray().Select(d => (long)d)], [.. m.ToArray().Select(p => values[(int)p])]))]);
    }

    // x op y with numpy broadcasting, in int64 (division truncates toward zero).
    private static OnnxTensor Broadcast(Args a, OnnxTensor x, OnnxTensor y, string op)
    {
        Tensor Positions(OnnxTensor t) => Tensor.FromArray([.. Enumerable.Range(0, (int)t.Count).Select(p => (float)p)], [.. t.Dims.Select(d => (int)d)]);
        Tensor Zeros(OnnxTensor t) => Tensor.Zeros([.. t.Dims.Select(d => (int)d)]);
        Tensor px, py;
        try
        {
            px = Ops.F.Add(Positions(x), Zeros(y));
            py = Ops.F.Add(Zeros(x), Positions(y));
        }
        catch (ArgumentException e)
        {
            throw a.Fail($"int64 shapes [{string.Join(", ", x.Dims)}] and [{string.Join(", ", y.Dims)}] do not broadcast ({e.Message})");
        }
        var xv = x.ToInt64s();
        var yv = y.ToInt64s();
        var ix = px.ToArray();
        var iy = py.ToArray();
        var result = new long[ix.Length];
        for (int j = 0; j < result.Length; j++)
        {
            long u = xv[(int)ix[j]], v = yv[(int)iy[j]];
            result[j] = op switch
            {
                "Add" => u + v,
                "Sub" => u - v,
                "Mul" => u * v,
                "Div" => v != 0 ? u / v : throw a.Fail("an integer division by zero"),
                "Max" => Math.Max(u, v),
                _ => Math.Min(u, v),
            };
        }
        return OnnxTensor.FromInt64s("", [.. px.Shape.ToArray().Select(d => (long)d)], result);
    }
}
