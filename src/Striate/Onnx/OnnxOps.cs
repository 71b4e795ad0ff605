using System.Globalization;
using System.Runtime.InteropServices;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Onnx;

/// <summary>
/// The ONNX operators Striate runs, keyed by (domain, operator, since-version): a node binds to the newest
/// implementation whose version is at most the model's opset, so opset-dependent semantics are right (Softmax before
/// 13 flattens to 2-D; Pad takes its pads as an attribute before 11 and as an input from 11). Each implementation
/// reads the node's inputs and attributes and computes with Striate's differentiable ops.
/// </summary>
internal static partial class OnnxOps
{
    public delegate Tensor[] Impl(Args a);

    /// <summary>A node's inputs (tensors computed or held, int64 constants) and attributes, as an implementation reads them.</summary>
    /// <remarks><paramref name="constants"/> are the model's; <paramref name="computed"/> holds the int64 values this run
    /// has computed (and int64 inputs given to Run), read first.</remarks>
    public readonly struct Args(OnnxNode node, IReadOnlyDictionary<string, Tensor> env, IReadOnlyDictionary<string, Tensor> weights,
        IReadOnlyDictionary<string, OnnxTensor> constants, Dictionary<string, OnnxTensor> computed, bool training)
    {
        private bool TryConstant(string name, out OnnxTensor value) => computed.TryGetValue(name, out value!) || constants.TryGetValue(name, out value!);

        public OnnxNode Node => node;
        public bool Training => training;
        public int Count => node.Inputs.Count;

        public bool Has(int i) => i < node.Inputs.Count && node.Inputs[i].Length > 0;

        public Tensor this[int i] =>
            i < node.Inputs.Count && (env.TryGetValue(node.Inputs[i], out var t) || weights.TryGetValue(node.Inputs[i], out t)) ? t
            : i < node.Inputs.Count && TryConstant(node.Inputs[i], out var c) && c.Type == OnnxDataType.Float ? Tensor.FromArray(c.ToFloats(), [.. c.Dims.Select(d => (int)d)])
            // An int64 constant where a float is computed with (an exponent, say) is taken as floats.
            : i < node.Inputs.Count && TryConstant(node.Inputs[i], out var n) && n.Type == OnnxDataType.Int64 ? Tensor.FromArray([.. n.ToInt64s().Select(v => (float)v)], [.. n.Dims.Select(d => (int)d)])
            : throw Fail($"input {i} ('{(i < node.Inputs.Count ? node.Inputs[i] : "")}') is not a float tensor computed or held by the model");

        public Tensor? Optional(int i) => Has(i) ? this[i] : null;

        /// <summary>Whether input <paramref name="i"/> is an int64 value (a constant, or one the graph computed from shapes).</summary>
        public bool IsInts(int i) => Has(i) && !env.ContainsKey(node.Inputs[i]) && !weights.ContainsKey(node.Inputs[i])
            && TryConstant(node.Inputs[i], out var c) && c.Type == OnnxDataType.Int64;

        /// <summary>Whether every input given is an int64 value.</summary>
        public bool AllInts
        {
            get
            {
                for (int i = 0; i < node.Inputs.Count; i++)
                    if (node.Inputs[i].Length > 0 && !IsInts(i)) return false;
                return node.Inputs.Count > 0;
            }
        }

        /// <summary>The int64 value input <paramref name="i"/> holds.</summary>
        public OnnxTensor IntValue(int i) => IsInts(i) && TryConstant(node.Inputs[i], out var c) ? c : throw Fail($"input {i} is not an int64 value");

        /// <summary>Gives the node's outputs as int64 values (shape arithmetic), which later nodes read as constants.</summary>
        public Tensor[] Emit(params OnnxTensor[] values)
        {
            for (int k = 0; k < values.Length && k < node.Outputs.Count; k++)
                if (node.Outputs[k].Length > 0) computed[node.Outputs[k]] = values[k];
            return [];
        }

        /// <summary>Gives output <paramref name="k"/> as an int64 value.</summary>
        public void EmitAt(int k, OnnxTensor value)
        {
            if (k < node.Outputs.Count && node.Outputs[k].Length > 0) computed[node.Outputs[k]] = value;
        }

        /// <summary>The same node reading <paramref name="values"/> in place of its computed inputs (for shape arithmetic).</summary>
        public Args With(IReadOnlyDictionary<string, Tensor> values) => new(node, values, weights, constants, computed, training);

        /// <summary>An int64 input that must be a constant (a shape, pads, axes).</summary>
        public long[] Ints(int i) =>
            Has(i) && TryConstant(node.Inputs[i], out var c) && c.Type == OnnxDataType.Int64 ? c.ToInt64s()
            : throw Fail($"input {i} ('{(i < node.Inputs.Count ? node.Inputs[i] : "")}') must be an int64 constant (an initializer or a Constant node); computed shapes are not supported");

        /// <summary>The dims of int64 constant input <paramref name="i"/>.</summary>
        public long[] IndexShape(int i) => Has(i) && TryConstant(node.Inputs[i], out var c) ? c.Dims : throw Fail($"input {i} must be an int64 constant");

        public long Int(string name, long fallback) => node.Attribute(name) is { } a ? a.I : fallback;
        public float Float(string name, float fallback) => node.Attribute(name) is { } a ? a.F : fallback;
        public string Text(string name, string fallback) => node.Attribute(name) is { } a ? a.S : fallback;
        public IReadOnlyList<long>? IntList(string name) => node.Attribute(name)?.Ints;

        public NotSupportedException Unsupported(string what) => new($"ONNX node '{Label}' ({node.OpType}): {what}.");
        public InvalidDataException Fail(string what) => new($"ONNX node '{Label}' ({node.OpType}): {what}.");
        private string Label => node.Name.Length > 0 ? node.Name : node.Outputs.FirstOrDefault() ?? node.OpType;
    }

    private static readonly Dictionary<(string Domain, string Op), List<(int Since, Impl Impl)>> s_ops = new();

    private static void Add(string op, int since, Impl impl)
    {
        if (!s_ops.TryGetValue(("", op), out var list)) s_ops[("", op)] = list = [];
        list.Add((since, impl));
        list.Sort((a, b) => b.Since.CompareTo(a.Since));
    }

    /// <summary>The implementation of <paramref name="node"/> at <paramref name="opset"/>.</summary>
    /// <exception cref="NotSupportedException">No implementation: the message names the operator, its domain, the node and the opset.</exception>
    public static Impl Bind(OnnxNode node, long opset, string where)
    {
        if (node.Domain.Length > 0)
            throw new NotSupportedException($"{where}: operator '{node.OpType}' of domain '{node.Domain}' is not supported (Striate runs the default ONNX domain).");
        if (!s_ops.TryGetValue(("", node.OpType), out var versions))
            throw new NotSupportedException($"{where}: operator '{node.OpType}' (opset {opset}) is not supported. Supported: {string.Join(", ", s_ops.Keys.Select(k => k.Op).Order(StringComparer.Ordinal))}.");
        foreach (var (since, impl) in versions)
            if (since <= opset) return s_ints.Contains(node.OpType) ? a => a.AllInts ? IntegerOp(a, impl) : impl(a) : impl;
        throw new NotSupportedException($"{where}: operator '{node.OpType}' exists from opset {versions[^1].Since}; the model imports opset {opset}.");
    }

    /// <summary>The operators, for documentation and tests.</summary>
    public static IReadOnlyList<string> Names => [.. s_ops.Keys.Select(k => k.Op).Order(StringComparer.Ordinal)];

    private static Tensor[] One(Tensor t) => [t];

    static OnnxOps()
    {
        // A Constant's value is read when the model is loaded (OnnxModule); the node itself computes nothing.
        Add("Constant", 1, a => []);
        Add("Identity", 1, a => One(a[0]));
        Add("Dropout", 1, a => a.Node.Outputs.Count > 1 && a.Node.Outputs[1].Length > 0 ? throw a.Unsupported("the mask output is not supported") : One(a[0]));
        Add("Relu", 1, a => One(F.Relu(a[0])));
        Add("Sigmoid", 1, a => One(F.Sigmoid(a[0])));
        Add("Tanh", 1, a => One(F.Tanh(a[0])));
        Add("LeakyRelu", 1, a => One(F.LeakyRelu(a[0], a.Float("alpha", 0.01f))));
        Add("Elu", 1, a => One(F.Elu(a[0], a.Float("alpha", 1f))));
        Add("Exp", 1, a => One(F.Exp(a[0])));
        Add("Log", 1, a => One(F.Log(a[0])));
        Add("Sqrt", 1, a => One(F.Sqrt(a[0])));
        Add("Neg", 1, a => One(F.Neg(a[0])));
        Add("Abs", 1, a => One(F.Abs(a[0])));
        Add("Add", 1, a => One(F.Add(a[0], a[1])));
        Add("Sub", 1, a => One(F.Sub(a[0], a[1])));
        Add("Mul", 1, a => One(F.Mul(a[0], a[1])));
        Add("Div", 1, a => One(F.Div(a[0], a[1])));
        Add("MatMul", 1, a => One(MatMul(a, a[0], a[1])));
        Add("Gemm", 1, Gemm);
        Add("Conv", 1, Conv);
        Add("ConvTranspose", 1, ConvTranspose);
        Add("BatchNormalization", 1, a => a.Int("training_mode", 0) != 0 ? BatchNormTraining(a)
            : One(F.BatchNorm(a[0], a[3], a[4], a[1], a[2], training: false, eps: a.Float("epsilon", 1e-5f))));
        Add("MaxPool", 1, MaxPool);
        Add("AveragePool", 1, AveragePool);
        Add("GlobalAveragePool", 1, a => One(F.GlobalAvgPool2d(a[0])));
        Add("Flatten", 1, a =>
        {
            var x = a[0];
            int axis = (int)a.Int("axis", 1);
            if (axis < 0) axis += x.Rank;
            if (axis < 0 || axis > x.Rank) throw a.Fail($"axis {a.Int("axis", 1)} is outside a rank-{x.Rank} input");
            int outer = 1;
            for (int i = 0; i < axis; i++) outer *= x.Shape[i];
            return One(F.Reshape(x, outer, x.Numel / Math.Max(outer, 1)));
        });
        Add("Reshape", 5, a =>
        {
            var x = a[0];
            var shape = a.Ints(1);
            bool allowZero = a.Int("allowzero", 0) != 0;
            var dims = new int[shape.Length];
            for (int i = 0; i < dims.Length; i++)
                dims[i] = shape[i] == 0 && !allowZero ? (i < x.Rank ? x.Shape[i] : throw a.Fail($"shape entry {i} copies a dimension the rank-{x.Rank} input does not have"))
                    : shape[i] is >= -1 and <= int.MaxValue ? (int)shape[i] : throw a.Fail($"shape entry {shape[i]} is out of range");
            return One(F.Reshape(x, dims));
        });
        Add("Concat", 1, a => One(F.Concat([.. Enumerable.Range(0, a.Count).Select(i => a[i])], (int)a.Int("axis", 1))));
        Add("Softmax", 1, a => One(SoftmaxBefore13(a, log: false)));
        Add("Softmax", 13, a => One(F.Softmax(a[0], (int)a.Int("axis", -1))));
        Add("LogSoftmax", 1, a => One(SoftmaxBefore13(a, log: true)));
        Add("LogSoftmax", 13, a => One(F.LogSoftmax(a[0], (int)a.Int("axis", -1))));
        Add("LRN", 1, a => One(F.LocalResponseNorm(a[0], (int)a.Int("size", 0), a.Float("alpha", 1e-4f), a.Float("beta", 0.75f), a.Float("bias", 1f))));
        Add("Transpose", 1, a =>
        {
            var x = a[0];
            int[] perm = a.IntList("perm") is { Count: > 0 } p ? [.. p.Select(v => (int)v)] : [.. Enumerable.Range(0, x.Rank).Reverse()];
            return One(F.Permute(x, perm));
        });
        Add("Squeeze", 1, a => One(Squeezed(a, a.IntList("axes"))));
        Add("Squeeze", 13, a => One(Squeezed(a, a.Has(1) ? a.Ints(1) : null)));
        Add("Unsqueeze", 1, a => One(Unsqueezed(a, a.IntList("axes") ?? throw a.Fail("the axes attribute is missing"))));
        Add("Unsqueeze", 13, a => One(Unsqueezed(a, a.Ints(1))));
        Add("GlobalMaxPool", 1, a => One(F.MaxPool2d(a[0], (a[0].Shape[2], a[0].Shape[3]))));
        // Clamps and their kin, from max(a, b) = a + relu(b - a) and min(a, b) = a - relu(a - b).
        Add("Clip", 1, a => One(Clamp(a[0], a.Node.Attribute("min")?.F, a.Node.Attribute("max")?.F)));
        Add("Clip", 11, a => One(Clamp(a[0], a.Has(1) ? a[1].Item() : null, a.Has(2) ? a[2].Item() : null)));
        Add("HardSigmoid", 6, a => One(Clamp(F.AddScalar(F.MulScalar(a[0], a.Float("alpha", 0.2f)), a.Float("beta", 0.5f)), 0f, 1f)));
        Add("HardSwish", 14, a => One(F.Mul(a[0], Clamp(F.AddScalar(F.MulScalar(a[0], 1f / 6), 0.5f), 0f, 1f))));
        // Before opset 7 a 1-D slope of C values is per channel (axis 1); from 7 it broadcasts from the right.
        Add("PRelu", 1, a => One(PRelu(a[0], a[1].Rank == 1 && a[0].Rank > 2 && a[1].Shape[0] == a[0].Shape[1] && a[1].Numel > 1
            ? F.Reshape(a[1], [a[1].Shape[0], .. Enumerable.Repeat(1, a[0].Rank - 2)]) : a[1])));
        Add("PRelu", 7, a => One(PRelu(a[0], a[1])));
        Add("Softplus", 1, a => One(F.Add(F.Relu(a[0]), F.Log(F.AddScalar(F.Exp(F.Neg(F.Abs(a[0]))), 1f)))));
        Add("Softsign", 1, a => One(F.Div(a[0], F.AddScalar(F.Abs(a[0]), 1f))));
        Add("Selu", 1, a => One(F.MulScalar(F.Elu(a[0], a.Float("alpha", 1.67326319217681884765625f)), a.Float("gamma", 1.05070102214813232421875f))));
        Add("ThresholdedRelu", 10, a => One(F.Mul(a[0], Detached(a[0], v => v > a.Float("alpha", 1f) ? 1f : 0f))));
        Add("Reciprocal", 1, a => One(F.Pow(a[0], -1f)));
        Add("Sign", 9, a => One(Detached(a[0], v => float.IsNaN(v) ? v : MathF.Sign(v))));
        Add("Mean", 1, a => One(F.MulScalar(Enumerable.Range(1, a.Count - 1).Aggregate(a[0], (acc, i) => F.Add(acc, a[i])), 1f / a.Count)));
        Add("Tile", 6, a =>
        {
            var x = a[0];
            var repeats = a.Ints(1);
            if (repeats.Length != x.Rank || repeats.Any(r => r < 0 || r > 1 << 20)) throw a.Fail($"repeats [{string.Join(", ", repeats)}] do not give one count of at least 0 per dimension of {x.Shape}");
            for (int d = 0; d < x.Rank; d++)
                if (repeats[d] != 1) x = repeats[d] == 0 ? F.Narrow(x, d, 0, 0) : F.Concat([.. Enumerable.Repeat(x, (int)repeats[d])], d);
            return One(x);
        });
        Add("DepthToSpace", 1, a => One(DepthToSpace(a, a.Text("mode", "DCR"))));
        Add("SpaceToDepth", 1, a =>
        {
            var x = a[0];
            int b = (int)a.Int("blocksize", 0), n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
            if (x.Rank != 4 || b < 1 || h % b != 0 || w % b != 0) throw a.Fail($"blocksize {b} does not divide the height and width of {x.Shape}");
            return One(F.Reshape(F.Permute(F.Reshape(x, n, c, h / b, b, w / b, b), 0, 3, 5, 1, 2, 4), n, c * b * b, h / b, w / b));
        });
        Add("Max", 1, a => One(Enumerable.Range(1, a.Count - 1).Aggregate(a[0], (acc, i) => F.Add(acc, F.Relu(F.Sub(a[i], acc))))));
        Add("Min", 1, a => One(Enumerable.Range(1, a.Count - 1).Aggregate(a[0], (acc, i) => F.Sub(acc, F.Relu(F.Sub(acc, a[i]))))));
        // x^y: a constant exponent exactly, a tensor one as exp(y log x) (positive bases).
        Add("Pow", 1, a => One(a[1].Numel == 1 ? F.Pow(a[0], a[1].Item()) : F.Exp(F.Mul(a[1], F.Log(a[0])))));
        Add("Expand", 8, a =>
        {
            var shape = a.Ints(1);
            var x = a[0];
            // Broadcasting x against zeros of the target shape (numpy rules: the larger of each pair of sizes).
            int rank = Math.Max(shape.Length, x.Rank);
            var dims = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                long want = i - (rank - shape.Length) >= 0 ? shape[i - (rank - shape.Length)] : 1;
                int have = i - (rank - x.Rank) >= 0 ? x.Shape[i - (rank - x.Rank)] : 1;
                dims[i] = (int)Math.Max(want, have);
            }
            return One(F.Add(x, Tensor.Zeros(dims)));
        });
        Add("Slice", 1, a => One(Slice(a, [.. a.IntList("starts") ?? []], [.. a.IntList("ends") ?? []], a.IntList("axes")?.ToArray(), null)));
        Add("Slice", 10, a => One(Slice(a, a.Ints(1), a.Ints(2), a.Has(3) ? a.Ints(3) : null, a.Has(4) ? a.Ints(4) : null)));
        Add("Gather", 1, a =>
        {
            var x = a[0];
            var indices = a.Ints(1);
            int axis = (int)a.Int("axis", 0);
            if (axis < 0) axis += x.Rank;
            return One(Take(a, x, axis, indices, a.IndexShape(1)));
        });
        Add("Split", 1, a => Split(a, a.IntList("split")));
        Add("Split", 13, a => Split(a, a.Has(1) ? a.Ints(1) : null));
        Add("Sum", 1, a => One(Enumerable.Range(1, a.Count - 1).Aggregate(a[0], (acc, i) => F.Add(acc, a[i]))));
        Add("Pad", 2, a => One(Pad(a, a.IntList("pads")?.ToArray() ?? throw a.Fail("the pads attribute is missing"), a.Float("value", 0f))));
        Add("Pad", 11, a => One(Pad(a, a.Ints(1), a.Has(2) ? a[2].Item() : 0f)));
        AddShapeArithmetic();
        AddResize();
        AddRecurrent();
        AddReductions();
        AddDetection();
    }

    private static Tensor Slice(Args a, long[] starts, long[] ends, long[]? axes, long[]? steps)
    {
        var x = a[0];
        axes ??= [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)];
        steps ??= [.. Enumerable.Repeat(1L, starts.Length)];
        if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
            throw a.Fail($"{starts.Length} starts, {ends.Length} ends, {axes.Length} axes and {steps.Length} steps do not match");
        for (int i = 0; i < starts.Length; i++)
        {
            if (axes[i] < -x.Rank || axes[i] >= x.Rank) throw a.Fail($"axis {axes[i]} is outside a rank-{x.Rank} input");
            int axis = (int)(axes[i] < 0 ? axes[i] + x.Rank : axes[i]), size = x.Shape[axis];
            long step = steps[i];
            if (step == 0) throw a.Fail("a step of 0");
            // ONNX's clamping: [0, size] for a positive step, [-1, size - 1] for a negative one.
            long Clamp(long v, long lo, long hi) => Math.Clamp(v < 0 ? v + size : v, lo, hi);
            long start = step > 0 ? Clamp(starts[i], 0, size) : Clamp(starts[i], -1, size - 1);
            long end = step > 0 ? Clamp(ends[i], 0, size) : Clamp(ends[i], -1, size - 1);
            if (step == 1) { x = F.Narrow(x, axis, (int)start, (int)Math.Max(0, end - start)); continue; }
            var picked = new List<long>();
            for (long k = start; step > 0 ? k < end : k > end; k += step) picked.Add(k);
            x = Take(a, x, axis, picked, [picked.Count]);
        }
        return x;
    }

    private static Tensor PRelu(Tensor x, Tensor slope) => F.Sub(F.Relu(x), F.Mul(slope, F.Relu(F.Neg(x))));

    // [N, C, H, W] to [N, C / b², H·b, W·b]: depth-column-row (DCR) takes the block offsets from the outer part of the
    // channels, column-row-depth (CRD) from the inner part.
    private static Tensor DepthToSpace(Args a, string mode)
    {
        var x = a[0];
        int b = (int)a.Int("blocksize", 0);
        if (x.Rank != 4 || b < 1 || x.Shape[1] % (b * b) != 0) throw a.Fail($"blocksize {b} does not divide the channels of {x.Shape}");
        int n = x.Shape[0], c = x.Shape[1] / (b * b), h = x.Shape[2], w = x.Shape[3];
        var y = mode switch
        {
            "DCR" => F.Permute(F.Reshape(x, n, b, b, c, h, w), 0, 3, 4, 1, 5, 2),
            "CRD" => F.Permute(F.Reshape(x, n, c, b, b, h, w), 0, 1, 4, 2, 5, 3),
            _ => throw a.Fail($"mode '{mode}' is not DCR or CRD"),
        };
        return F.Reshape(y, n, c, h * b, w * b);
    }

    // The slices of x at `indices` along `axis`, with the indices' shape in place of that axis.
    private static Tensor Take(Args a, Tensor x, int axis, IReadOnlyList<long> indices, long[] indexShape)
    {
        int size = x.Shape[axis];
        var parts = indices.Select(i => F.Narrow(x, axis, (int)(i < 0 ? i + size : i) is var k && k >= 0 && k < size ? k : throw a.Fail($"index {i} is outside {size}"), 1)).ToList();
        if (parts.Count == 0) throw a.Unsupported("an empty set of indices");
        var joined = parts.Count == 1 ? parts[0] : F.Concat(parts, axis);
        var dims = x.Shape.ToArray().ToList();
        dims.RemoveAt(axis);
        dims.InsertRange(axis, indexShape.Select(d => (int)d));
        return F.Reshape(joined, [.. dims]);
    }

    private static Tensor Clamp(Tensor x, float? lo, float? hi)
    {
        if (lo is float l) x = F.AddScalar(F.Relu(F.AddScalar(x, -l)), l);
        if (hi is float h) x = F.AddScalar(F.Neg(F.Relu(F.AddScalar(F.Neg(x), h))), h);
        return x;
    }

    // Pieces along an axis: the sizes given, or equal parts, one per output.
    private static Tensor[] Split(Args a, IReadOnlyList<long>? sizes)
    {
        var x = a[0];
        int axis = (int)a.Int("axis", 0);
        if (axis < 0) axis += x.Rank;
        if (axis < 0 || axis >= x.Rank) throw a.Fail($"axis {a.Int("axis", 0)} is outside a rank-{x.Rank} input");
        int n = a.Node.Outputs.Count, length = x.Shape[axis];
        if (sizes is not { Count: > 0 })
        {
            if (length % n != 0) throw a.Fail($"{length} does not split into {n} equal parts");
            sizes = [.. Enumerable.Repeat((long)(length / n), n)];
        }
        if (sizes.Count != n || sizes.Sum() != length || sizes.Any(v => v < 0))
            throw a.Fail($"split sizes [{string.Join(", ", sizes)}] do not divide {length} into {n} outputs");
        var parts = new Tensor[n];
        int start = 0;
        for (int i = 0; i < n; i++)
        {
            parts[i] = F.Narrow(x, axis, start, (int)sizes[i]);
            start += (int)sizes[i];
        }
        return parts;
    }

    private static Tensor Squeezed(Args a, IReadOnlyList<long>? axes)
    {
        var x = a[0];
        var dims = x.Shape.ToArray();
        var drop = axes is { Count: > 0 } ? axes.Select(v => (int)(v < 0 ? v + dims.Length : v)).ToHashSet() : Enumerable.Range(0, dims.Length).Where(i => dims[i] == 1).ToHashSet();
        if (drop.Any(i => i < 0 || i >= dims.Length || dims[i] != 1)) throw a.Fail($"axes [{string.Join(", ", axes ?? [])}] do not name dimensions of size 1 in {x.Shape}");
        return F.Reshape(x, [.. dims.Where((_, i) => !drop.Contains(i))]);
    }

    private static Tensor Unsqueezed(Args a, IReadOnlyList<long> axes)
    {
        var x = a[0];
        int rank = x.Rank + axes.Count;
        var at = axes.Select(v => (int)(v < 0 ? v + rank : v)).ToHashSet();
        if (at.Count != axes.Count || at.Any(i => i < 0 || i >= rank)) throw a.Fail($"axes [{string.Join(", ", axes)}] are repeated or outside rank {rank}");
        var dims = new int[rank];
        int k = 0;
        for (int i = 0; i < rank; i++) dims[i] = at.Contains(i) ? 1 : x.Shape[k++];
        return F.Reshape(x, dims);
    }

    // Before opset 13, (Log)Softmax flattens the input to 2-D at axis (default 1) and normalises each row.
    private static Tensor SoftmaxBefore13(Args a, bool log)
    {
        var x = a[0];
        int axis = (int)a.Int("axis", 1);
        if (axis < 0) axis += x.Rank;
        int outer = 1;
        for (int i = 0; i < axis; i++) outer *= x.Shape[i];
        var flat = F.Reshape(x, outer, x.Numel / Math.Max(outer, 1));
        var y = log ? F.LogSoftmax(flat, 1) : F.Softmax(flat, 1);
        return F.Reshape(y, x.Shape.ToArray());
    }

    private static Tensor[] Gemm(Args a)
    {
        float alpha = a.Float("alpha", 1f), beta = a.Float("beta", 1f);
        bool transA = a.Int("transA", 0) != 0, transB = a.Int("transB", 0) != 0;
        var x = a[0];
        var w = a[1];
        var c = a.Optional(2);
        if (!transA && transB && alpha == 1f && beta == 1f && (c is null || c.Rank == 1)) return One(F.Linear(x, w, c));
        var ax = transA ? F.Transpose(x, 0, 1) : x;
        var y = F.MatMul(ax, transB ? F.Transpose(w, 0, 1) : w);
        if (alpha != 1f) y = F.MulScalar(y, alpha);
        if (c is not null) y = F.Add(y, beta == 1f ? c : F.MulScalar(c, beta));
        return One(y);
    }

    private static (int T, int L, int B, int R) Pads2(Args a, int kernelH, int kernelW, int strideH, int strideW, int dilationH, int dilationW, Tensor x,
        IReadOnlyList<long>? pads = null)
    {
        string auto = a.Text("auto_pad", "NOTSET");
        if (auto is "NOTSET" or "")
        {
            var p = pads ?? a.IntList("pads");
            if (p is null || p.Count == 0) return (0, 0, 0, 0);
            if (p.Count != 4) throw a.Fail($"expected 4 pads for a 2-D operation, got {p.Count}");
            return ((int)p[0], (int)p[1], (int)p[2], (int)p[3]);
        }
        if (auto == "VALID") return (0, 0, 0, 0);
        if (auto is not ("SAME_UPPER" or "SAME_LOWER")) throw a.Fail($"auto_pad '{auto}' is not NOTSET, VALID, SAME_UPPER or SAME_LOWER");
        (int Begin, int End) Same(int size, int k, int s, int d)
        {
            int outSize = (size + s - 1) / s, total = Math.Max(0, (outSize - 1) * s + d * (k - 1) + 1 - size);
            return auto == "SAME_UPPER" ? (total / 2, total - total / 2) : (total - total / 2, total / 2);
        }
        var (t, b) = Same(x.Shape[2], kernelH, strideH, dilationH);
        var (l, r) = Same(x.Shape[3], kernelW, strideW, dilationW);
        return (t, l, b, r);
    }

    private static (int, int) Pair(IReadOnlyList<long>? v, int fallback, Args a, string name) =>
        v is null || v.Count == 0 ? (fallback, fallback) : v.Count == 2 ? ((int)v[0], (int)v[1]) : throw a.Unsupported($"{name} of {v.Count} values (only 2-D operations are supported)");

    private static Tensor[] Conv(Args a)
    {
        var (x, oneD) = As2d(a, a[0]);
        var w = a[1];
        if (oneD && w.Rank == 3) w = F.Reshape(w, w.Shape[0], w.Shape[1], 1, w.Shape[2]);
        if (w.Rank != 4) throw a.Unsupported($"a {w.Rank}-D weight");
        var (kh, kw) = (w.Shape[2], w.Shape[3]);
        var (sh, sw) = Pair(Lift(a.IntList("strides"), oneD, 1), 1, a, "strides");
        var (dh, dw) = Pair(Lift(a.IntList("dilations"), oneD, 1), 1, a, "dilations");
        var (t, l, b, r) = Pads2(a, kh, kw, sh, sw, dh, dw, x, Lift(a.IntList("pads"), oneD, 0, pads: true));
        return One(Back(F.Conv2d(x, w, a.Optional(2), (sh, sw), new Padding2d(t, b, l, r), (dh, dw), (int)a.Int("group", 1)), oneD));
    }

    private static Tensor[] ConvTranspose(Args a)
    {
        var (x, oneD) = As2d(a, a[0]);
        var w = a[1];
        if (oneD && w.Rank == 3) w = F.Reshape(w, w.Shape[0], w.Shape[1], 1, w.Shape[2]);
        if (w.Rank != 4) throw a.Unsupported($"a {w.Rank}-D weight");
        int group = (int)a.Int("group", 1);
        var (kh, kw) = (w.Shape[2], w.Shape[3]);
        var (sh, sw) = Pair(Lift(a.IntList("strides"), oneD, 1), 1, a, "strides");
        var (dh, dw) = Pair(Lift(a.IntList("dilations"), oneD, 1), 1, a, "dilations");
        var (oph, opw) = Pair(Lift(a.IntList("output_padding"), oneD, 0), 0, a, "output_padding");
        // The full output (no padding), then the window the pads or the output shape choose.
        int fullH = sh * (x.Shape[2] - 1) + oph + (kh - 1) * dh + 1, fullW = sw * (x.Shape[3] - 1) + opw + (kw - 1) * dw + 1;
        int t, l, outH, outW;
        string auto = a.Text("auto_pad", "NOTSET");
        var shape = Lift(a.IntList("output_shape"), oneD, 1);
        if (shape is { Count: > 0 } || auto is "SAME_UPPER" or "SAME_LOWER")
        {
            if (shape is { Count: > 0 } && shape.Count != 2) throw a.Fail($"output_shape has {shape.Count} values for a 2-D operation");
            (outH, outW) = shape is { Count: 2 } ? ((int)shape[0], (int)shape[1]) : (x.Shape[2] * sh, x.Shape[3] * sw);
            int totalH = fullH - outH, totalW = fullW - outW;
            // An output larger than the full one grows at the end, as output padding would (the new cells get the bias).
            if (totalH < 0) { oph -= totalH; fullH -= totalH; totalH = 0; }
            if (totalW < 0) { opw -= totalW; fullW -= totalW; totalW = 0; }
            // SAME_UPPER puts the extra row at the end, SAME_LOWER (and the default for output_shape) at the start.
            bool upper = auto == "SAME_UPPER";
            (t, l) = upper ? (totalH / 2, totalW / 2) : (totalH - totalH / 2, totalW - totalW / 2);
        }
        else
        {
            var p = Lift(a.IntList("pads"), oneD, 0, pads: true) ?? [];
            if (p.Count is not (0 or 4)) throw a.Fail($"expected 4 pads for a 2-D operation, got {p.Count}");
            (t, l) = p.Count == 4 ? ((int)p[0], (int)p[1]) : (0, 0);
            (outH, outW) = p.Count == 4 ? (fullH - (int)p[0] - (int)p[2], fullW - (int)p[1] - (int)p[3]) : (fullH, fullW);
        }
        var full = F.ConvTranspose2d(x, w, a.Optional(2), (sh, sw), (0, 0), (oph, opw), (dh, dw), group);
        if (t < 0 || l < 0 || t + outH > full.Shape[2] || l + outW > full.Shape[3] || outH < 1 || outW < 1)
            throw a.Fail($"the output {outH}x{outW} at offset ({t}, {l}) does not fit the full output {full.Shape[2]}x{full.Shape[3]}");
        var y = F.Narrow(F.Narrow(full, 2, t, outH), 3, l, outW);
        return One(Back(y, oneD));
    }

    // A 1-D input [N, C, L] runs as the 2-D operation on [N, C, 1, L]; 2-D only otherwise.
    private static (Tensor X, bool OneD) As2d(Args a, Tensor x)
    {
        if (x.Rank == 3) return (F.Reshape(x, x.Shape[0], x.Shape[1], 1, x.Shape[2]), true);
        if (x.Rank != 4) throw a.Unsupported($"a {x.Rank}-D input (1-D and 2-D operations are supported, [N, C, L] and [N, C, H, W])");
        return (x, false);
    }

    private static Tensor Back(Tensor y, bool oneD) => oneD ? F.Reshape(y, y.Shape[0], y.Shape[1], y.Shape[3]) : y;

    // A 1-D attribute list as the 2-D one ([k] as [1, k]; pads [b, e] as [0, b, 0, e]).
    private static IReadOnlyList<long>? Lift(IReadOnlyList<long>? v, bool oneD, long fill, bool pads = false) =>
        !oneD || v is null || v.Count == 0 ? v : pads && v.Count == 2 ? [0, v[0], 0, v[1]] : v.Count == 1 ? [fill, v[0]] : v;

    private static Tensor[] MaxPool(Args a)
    {
        var (x, oneD) = As2d(a, a[0]);
        var (kh, kw) = Pair(Lift(a.IntList("kernel_shape"), oneD, 1), 0, a, "kernel_shape");
        var (sh, sw) = Pair(Lift(a.IntList("strides"), oneD, 1), 1, a, "strides");
        var (dh, dw) = Pair(Lift(a.IntList("dilations"), oneD, 1), 1, a, "dilations");
        var (t, l, b, r) = Pads2(a, kh, kw, sh, sw, dh, dw, x, Lift(a.IntList("pads"), oneD, 0, pads: true));
        bool ceil = a.Int("ceil_mode", 0) != 0;
        (t, b) = Even(x.Shape[2], kh, sh, dh, t, b, ceil);
        (l, r) = Even(x.Shape[3], kw, sw, dw, l, r, ceil);
        // Extra end pads that give the windows ceil mode takes (as Striate and PyTorch export a ceil-mode pooling) pool
        // in ceil mode; other uneven or large padding is made explicit with the lowest float, which no maximum can be.
        if (!ceil && (t != b || l != r) && 2 * t <= kh && 2 * l <= kw
            && CeilOut(x.Shape[2], kh, sh, dh, t) == FloorOut(x.Shape[2], kh, sh, dh, t, b) && CeilOut(x.Shape[3], kw, sw, dw, l) == FloorOut(x.Shape[3], kw, sw, dw, l, r))
            (b, r, ceil) = (t, l, true);
        var y = t == b && l == r && 2 * t <= kh && 2 * l <= kw ? F.MaxPool2d(x, (kh, kw), (sh, sw), (t, l), (dh, dw), ceil)
            : F.MaxPool2d(F.Pad(x, [l, r, t, b], PadMode.Constant, float.MinValue), (kh, kw), (sh, sw), (0, 0), (dh, dw), ceil);
        if (a.Node.Outputs.Count > 1 && a.Node.Outputs[1].Length > 0)
            a.EmitAt(1, ArgMax(x, y, kh, kw, sh, sw, dh, dw, t, l, a.Int("storage_order", 0) != 0, oneD));
        return One(Back(y, oneD));
    }

    // MaxPool's Indices: where in the input (flattened row-major, or with H and W swapped for storage_order 1) each
    // output's maximum is, the first in the window on ties.
    private static OnnxTensor ArgMax(Tensor x, Tensor y, int kh, int kw, int sh, int sw, int dh, int dw, int t, int l, bool columnMajor, bool oneD)
    {
        int planes = x.Shape[0] * x.Shape[1], h = x.Shape[2], w = x.Shape[3], oh = y.Shape[2], ow = y.Shape[3];
        var xd = x.Data;
        var indices = new long[planes * oh * ow];
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    float best = float.NegativeInfinity;
                    long at = -1;
                    for (int u = 0; u < kh; u++)
                        for (int v = 0; v < kw; v++)
                        {
                            int r = i * sh - t + u * dh, c = j * sw - l + v * dw;
                            if (r < 0 || r >= h || c < 0 || c >= w) continue;
                            float value = xd[(p * h + r) * w + c];
                            if (at < 0 || value > best) (best, at) = (value, (long)p * h * w + (columnMajor ? (long)c * h + r : (long)r * w + c));
                        }
                    indices[(p * oh + i) * ow + j] = at;
                }
        long[] dims = oneD ? [y.Shape[0], y.Shape[1], ow] : [y.Shape[0], y.Shape[1], oh, ow];
        return OnnxTensor.FromInt64s("", dims, indices);
    }

    private static Tensor[] AveragePool(Args a)
    {
        var (x, oneD) = As2d(a, a[0]);
        var (kh, kw) = Pair(Lift(a.IntList("kernel_shape"), oneD, 1), 0, a, "kernel_shape");
        var (sh, sw) = Pair(Lift(a.IntList("strides"), oneD, 1), 1, a, "strides");
        var (t, l, b, r) = Pads2(a, kh, kw, sh, sw, 1, 1, x, Lift(a.IntList("pads"), oneD, 0, pads: true));
        bool include = a.Int("count_include_pad", 0) != 0, ceil = a.Int("ceil_mode", 0) != 0;
        (t, b) = Even(x.Shape[2], kh, sh, 1, t, b, ceil);
        (l, r) = Even(x.Shape[3], kw, sw, 1, l, r, ceil);
        if (t == b && l == r && 2 * t <= kh && 2 * l <= kw) return One(Back(F.AvgPool2d(x, (kh, kw), (sh, sw), (t, l), ceil, include), oneD));
        // Uneven or large padding: zeros added explicitly; without count_include_pad, each window's sum is divided by
        // the number of real elements in it (the same pooling of a plane of ones).
        var sum = F.AvgPool2d(F.Pad(x, [l, r, t, b]), (kh, kw), (sh, sw), (0, 0), ceil, true);
        if (include) return One(Back(sum, oneD));
        var ones = F.Pad(Tensor.Ones(1, 1, x.Shape[2], x.Shape[3]), [l, r, t, b]);
        var share = F.AvgPool2d(ones, (kh, kw), (sh, sw), (0, 0), ceil, true);
        return One(Back(F.Div(sum, share), oneD));
    }

    // Uneven pads that no window reaches past: (1, 0) where the last window ends inside the input, as exporters write
    // a 3x3 / 2 pooling of an even size, gives the same windows as (1, 1), which pools without padding a copy.
    private static (int Begin, int End) Even(int size, int k, int s, int d, int begin, int end, bool ceil)
    {
        if (begin == end || ceil) return (begin, end);
        int span = d * (k - 1) + 1;
        int Out(int e) => size + begin + e >= span ? (size + begin + e - span) / s + 1 : -1;
        return Out(end) > 0 && Out(end) == Out(begin) ? (begin, begin) : (begin, end);
    }

    // Output sizes: ONNX's floor mode with pads (begin, end); PyTorch's ceil mode with pad on both sides, whose last
    // window must start inside the input or the begin pad.
    private static int FloorOut(int size, int k, int s, int d, int begin, int end) => (size + begin + end - d * (k - 1) - 1) / s + 1;

    private static int CeilOut(int size, int k, int s, int d, int pad)
    {
        int n = (size + 2 * pad - d * (k - 1) - 1 + s - 1) / s + 1;
        return (n - 1) * s >= size + pad ? n - 1 : n;
    }

    private static Tensor MatMul(Args a, Tensor x, Tensor y)
    {
        if (x.Rank == 1) return Squeeze(MatMul(a, F.Reshape(x, 1, x.Shape[0]), y), -2);
        if (y.Rank == 1) return Squeeze(MatMul(a, x, F.Reshape(y, y.Shape[0], 1)), -1);
        if (x.Rank == 2 && y.Rank == 2) return F.MatMul(x, y);
        int m = x.Shape[-2], k = x.Shape[-1], n = y.Shape[-1];
        var leadX = x.Shape.ToArray()[..^2];
        var leadY = y.Shape.ToArray()[..^2];
        int Batch(int[] lead) => lead.Aggregate(1, (p, d) => p * d);
        if (y.Rank == 2)
            return F.Reshape(F.MatMul(F.Reshape(x, Batch(leadX) * m, k), y), [.. leadX, m, n]);
        if (x.Rank == 2)
        {
            // x @ y[i] for every i: y as [k, B * n], one product, then the batches back in front.
            int batch = Batch(leadY);
            var yk = F.Reshape(F.Permute(F.Reshape(y, batch, k, n), 1, 0, 2), k, batch * n);
            var z = F.Permute(F.Reshape(F.MatMul(x, yk), m, batch, n), 1, 0, 2);
            return F.Reshape(z, [.. leadY, m, n]);
        }
        if (!leadX.SequenceEqual(leadY)) throw a.Unsupported($"broadcasting batch dimensions {x.Shape} x {y.Shape} is not supported");
        int bsz = Batch(leadX);
        return F.Reshape(F.MatMul(F.Reshape(x, bsz, m, k), F.Reshape(y, bsz, k, n)), [.. leadX, m, n]);
    }

    private static Tensor Squeeze(Tensor t, int axis)
    {
        var dims = t.Shape.ToArray().ToList();
        dims.RemoveAt(axis < 0 ? axis + dims.Count : axis);
        return F.Reshape(t, [.. dims]);
    }

    // Training-mode batch normalization (opset 14+): the batch's mean and (biased) variance normalise it, and the
    // running statistics come out as input * momentum + batch * (1 - momentum).
    private static Tensor[] BatchNormTraining(Args a)
    {
        var x = a[0];
        float eps = a.Float("epsilon", 1e-5f), momentum = a.Float("momentum", 0.9f);
        int c = x.Shape[1];
        int[] axes = [0, .. Enumerable.Range(2, x.Rank - 2)];
        int[] shape = [1, c, .. Enumerable.Repeat(1, x.Rank - 2)];
        var mean = F.Mean(x, axes, keepDim: true);
        var centered = F.Sub(x, mean);
        var variance = F.Mean(F.Square(centered), axes, keepDim: true);
        var y = F.Div(centered, F.Sqrt(F.AddScalar(variance, eps)));
        y = F.Add(F.Mul(y, F.Reshape(a[1], shape)), F.Reshape(a[2], shape));
        var runningMean = F.Add(F.MulScalar(a[3], momentum), F.MulScalar(F.Reshape(mean, c), 1 - momentum));
        var runningVar = F.Add(F.MulScalar(a[4], momentum), F.MulScalar(F.Reshape(variance, c), 1 - momentum));
        return [y, runningMean, runningVar];
    }

    private static Tensor Pad(Args a, long[] pads, float value)
    {
        var x = a[0];
        int rank = x.Rank;
        if (pads.Length != 2 * rank) throw a.Fail($"expected {2 * rank} pads for a rank-{rank} input, got {pads.Length}");
        // ONNX: [x1_begin, x2_begin, ..., x1_end, x2_end, ...]; F.Pad: (last_begin, last_end, previous_begin, ...).
        var list = new int[2 * rank];
        for (int d = 0; d < rank; d++)
        {
            list[2 * (rank - 1 - d)] = checked((int)pads[d]);
            list[2 * (rank - 1 - d) + 1] = checked((int)pads[d + rank]);
        }
        var mode = a.Text("mode", "constant") switch
        {
            "constant" => PadMode.Constant,
            "reflect" => PadMode.Reflect,
            "edge" => PadMode.Replicate,
            "wrap" => PadMode.Circular,
            var m => throw a.Unsupported($"mode '{m}'"),
        };
        return F.Pad(x, list, mode, mode == PadMode.Constant ? value : 0f);
    }
}
