using System.Diagnostics.CodeAnalysis;
using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Onnx;

/// <summary>
/// The ONNX form of each Striate layer, for the exporter: given the layer, the name of its input value, and its input
/// and output tensors (for shapes), it adds the node(s) and returns the name of the output value.
/// </summary>
internal static class OnnxLayers
{
    public delegate string Exporter(OnnxTracer t, Module layer, string x, Tensor input, Tensor output, int opset);

    public static bool TryGet(Module module, [NotNullWhen(true)] out Exporter? export)
    {
        export = module switch
        {
            Conv2d => Conv,
            ConvTranspose2d => ConvTranspose,
            Linear => Gemm,
            BatchNorm => BatchNormalization,
            ReLU => (t, m, x, _, _, _) => t.Node("Relu", Stem(m), [x]),
            Sigmoid => (t, m, x, _, _, _) => t.Node("Sigmoid", Stem(m), [x]),
            Tanh => (t, m, x, _, _, _) => t.Node("Tanh", Stem(m), [x]),
            LeakyReLU l => (t, m, x, _, _, _) => t.Node("LeakyRelu", Stem(m), [x], OnnxAttribute.Float("alpha", l.NegativeSlope)),
            ELU e => (t, m, x, _, _, _) => t.Node("Elu", Stem(m), [x], OnnxAttribute.Float("alpha", e.Alpha)),
            Softmax s => (t, m, x, _, _, _) => t.Node("Softmax", Stem(m), [x], OnnxAttribute.Int("axis", s.Dim)),
            LogSoftmax s => (t, m, x, _, _, _) => t.Node("LogSoftmax", Stem(m), [x], OnnxAttribute.Int("axis", s.Dim)),
            MaxPool2d => MaxPool,
            AvgPool2d a => (t, m, x, input, _, _) => AveragePool(t, Stem(m), x, (a.KernelSize.H, a.KernelSize.W), (a.Stride.H, a.Stride.W), (a.Padding.H, a.Padding.W), a.CeilMode, a.CountIncludePad),
            AdaptiveAvgPool2d a => (t, m, x, input, _, _) => AdaptiveAveragePool(t, Stem(m), x, input, (a.OutputSize.H, a.OutputSize.W), m),
            GlobalAvgPool2d => (t, m, x, _, _, _) => t.Node("GlobalAveragePool", Stem(m), [x]),
            Flatten f => (t, m, x, input, output, _) => FlattenTo(t, Stem(m), x, input, output, f.StartDim),
            Dropout or Identity => (_, _, x, _, _, _) => x,
            LocalResponseNorm n => (t, m, x, _, _, _) => t.Node("LRN", Stem(m), [x], OnnxAttribute.Int("size", n.Size), OnnxAttribute.Float("alpha", n.Alpha),
                OnnxAttribute.Float("beta", n.Beta), OnnxAttribute.Float("bias", n.K)),
            Pad2d => Pad,
            RecurrentNetwork => Recurrent,
            _ => null,
        };
        return export is not null;
    }

    private static string Stem(Module m) => string.IsNullOrEmpty(m.Path) ? m.GetType().Name.ToLowerInvariant() : m.Path;

    private static string Conv(OnnxTracer t, Module layer, string x, Tensor input, Tensor output, int opset)
    {
        var c = (Conv2d)layer;
        var (top, bottom, left, right) = c.Padding.Resolve(c.KernelSize.H, c.KernelSize.W, c.Dilation.H, c.Dilation.W);
        var inputs = new List<string> { x, t.NameOf(c.Weight, $"the weight of '{c.Path}'") };
        if (c.Bias is not null) inputs.Add(t.NameOf(c.Bias, $"the bias of '{c.Path}'"));
        return t.Node("Conv", Stem(c), inputs,
            OnnxAttribute.IntList("kernel_shape", c.KernelSize.H, c.KernelSize.W), OnnxAttribute.IntList("strides", c.Stride.H, c.Stride.W),
            OnnxAttribute.IntList("pads", top, left, bottom, right), OnnxAttribute.IntList("dilations", c.Dilation.H, c.Dilation.W), OnnxAttribute.Int("group", c.Groups));
    }

    private static string ConvTranspose(OnnxTracer t, Module layer, string x, Tensor input, Tensor output, int opset)
    {
        var c = (ConvTranspose2d)layer;
        var inputs = new List<string> { x, t.NameOf(c.Weight, $"the weight of '{c.Path}'") };
        if (c.Bias is not null) inputs.Add(t.NameOf(c.Bias, $"the bias of '{c.Path}'"));
        return t.Node("ConvTranspose", Stem(c), inputs,
            OnnxAttribute.IntList("kernel_shape", c.KernelSize.H, c.KernelSize.W), OnnxAttribute.IntList("strides", c.Stride.H, c.Stride.W),
            OnnxAttribute.IntList("pads", c.Padding.H, c.Padding.W, c.Padding.H, c.Padding.W), OnnxAttribute.IntList("output_padding", c.OutputPadding.H, c.OutputPadding.W),
            OnnxAttribute.IntList("dilations", c.Dilation.H, c.Dilation.W), OnnxAttribute.Int("group", c.Groups));
    }

    private static string Gemm(OnnxTracer t, Module layer, string x, Tensor input, Tensor output, int opset)
    {
        var l = (Linear)layer;
        if (input.Rank != 2)
            throw new NotSupportedException($"ONNX export: Linear '{l.Path}' is applied to a {input.Rank}-D input {input.Shape}; export writes Linear on [batch, features] (Gemm).");
        var inputs = new List<string> { x, t.NameOf(l.Weight, $"the weight of '{l.Path}'") };
        if (l.Bias is not null) inputs.Add(t.NameOf(l.Bias, $"the bias of '{l.Path}'"));
        return t.Node("Gemm", Stem(l), inputs, OnnxAttribute.Int("transB", 1));
    }

    private static string BatchNormalization(OnnxTracer t, Module layer, string x, Tensor input, Tensor output, int opset)
    {
        var b = (BatchNorm)layer;
        if (b.RunningMean is null || b.RunningVar is null)
            throw new NotSupportedException($"ONNX export: {b.GetType().Name} '{b.Path}' normalises with the batch's own statistics in evaluation mode (no running statistics); ONNX's BatchNormalization needs them.");
        var ones = new float[b.NumFeatures];
        Array.Fill(ones, 1f);
        string scale = b.Weight is { } w ? t.NameOf(w, $"the weight of '{b.Path}'") : t.Constant(Stem(b) + ".scale", [b.NumFeatures], ones);
        string bias = b.Bias is { } bb ? t.NameOf(bb, $"the bias of '{b.Path}'") : t.Constant(Stem(b) + ".shift", [b.NumFeatures], new float[b.NumFeatures]);
        return t.Node("BatchNormalization", Stem(b), [x, scale, bias, t.NameOf(b.RunningMean, $"the running mean of '{b.Path}'"), t.NameOf(b.RunningVar, $"the running variance of '{b.Path}'")],
            OnnxAttribute.Float("epsilon", b.Eps));
    }

    private static string MaxPool(OnnxTracer t, Module layer, string x, Tensor input, Tensor output, int opset)
    {
        var p = (MaxPool2d)layer;
        // Ceil mode as explicit end padding: the padding of a max pool never wins, and the windows are then those
        // Striate (and PyTorch) take, including the rule that a last window starting in the padding is dropped.
        var (endH, endW) = (EndPad(input.Shape[2], output.Shape[2], p.KernelSize.H, p.Stride.H, p.Padding.H, p.Dilation.H),
            EndPad(input.Shape[3], output.Shape[3], p.KernelSize.W, p.Stride.W, p.Padding.W, p.Dilation.W));
        return t.Node("MaxPool", Stem(p), [x],
            OnnxAttribute.IntList("kernel_shape", p.KernelSize.H, p.KernelSize.W), OnnxAttribute.IntList("strides", p.Stride.H, p.Stride.W),
            OnnxAttribute.IntList("pads", p.Padding.H, p.Padding.W, endH, endW), OnnxAttribute.IntList("dilations", p.Dilation.H, p.Dilation.W));
    }

    // The end padding that makes floor-mode pooling give `output` positions: (out - 1) * stride + span - in - begin.
    private static int EndPad(int inSize, int outSize, int kernel, int stride, int begin, int dilation) =>
        Math.Max(0, (outSize - 1) * stride + dilation * (kernel - 1) + 1 - inSize - begin);

    public static string AveragePool(OnnxTracer t, string stem, string x, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, bool ceilMode, bool countIncludePad) =>
        t.Node("AveragePool", stem, [x],
            OnnxAttribute.IntList("kernel_shape", kernel.H, kernel.W), OnnxAttribute.IntList("strides", stride.H, stride.W),
            OnnxAttribute.IntList("pads", padding.H, padding.W, padding.H, padding.W), OnnxAttribute.Int("ceil_mode", ceilMode ? 1 : 0),
            OnnxAttribute.Int("count_include_pad", countIncludePad ? 1 : 0));

    public static string AdaptiveAveragePool(OnnxTracer t, string stem, string x, Tensor input, (int H, int W) size, Module? layer)
    {
        if (size == (1, 1)) return t.Node("GlobalAveragePool", stem, [x]);
        int h = input.Shape[2], w = input.Shape[3];
        if (h % size.H == 0 && w % size.W == 0)
            return AveragePool(t, stem, x, (h / size.H, w / size.W), (h / size.H, w / size.W), (0, 0), false, true);
        // Cells of different sizes (5x5 to 6x6, say) as two matrix products: each output row averages rows
        // [floor(i*H/OH), ceil((i+1)*H/OH)) of the input, Y = A_H X A_W^T.
        string right = t.Constant(stem + ".columns", [w, size.W], Averaging(w, size.W, transpose: true));
        string left = t.Constant(stem + ".rows", [size.H, h], Averaging(h, size.H, transpose: false));
        string cols = t.Node("MatMul", stem + "_columns", [x, right]);
        return t.Node("MatMul", stem, [left, cols]);
    }

    // The [outSize, inSize] matrix (or its transpose) whose row i averages input cells floor(i*in/out) to ceil((i+1)*in/out) - 1.
    private static float[] Averaging(int inSize, int outSize, bool transpose)
    {
        var m = new float[inSize * outSize];
        for (int i = 0; i < outSize; i++)
        {
            int start = i * inSize / outSize, end = ((i + 1) * inSize + outSize - 1) / outSize;
            for (int j = start; j < end; j++) m[transpose ? j * outSize + i : i * inSize + j] = 1f / (end - start);
        }
        return m;
    }

    public static string FlattenTo(OnnxTracer t, string stem, string x, Tensor input, Tensor output, int startDim)
    {
        int start = startDim < 0 ? startDim + input.Rank : startDim;
        if (output.Rank == start + 1) return t.Node("Flatten", stem, [x], OnnxAttribute.Int("axis", start));
        return Reshape(t, stem, x, input, output);
    }

    // Reshape to the output's shape, the batch dimension copied from the input (0) so the batch stays free.
    public static string Reshape(OnnxTracer t, string stem, string x, Tensor input, Tensor output)
    {
        var dims = output.Shape.ToArray().Select(d => (long)d).ToArray();
        if (input.Rank > 0 && output.Rank > 0 && output.Shape[0] == input.Shape[0]) dims[0] = 0;
        return t.Node("Reshape", stem, [x, t.Constant(stem + ".shape", [dims.Length], dims)]);
    }

    // One ONNX RNN, GRU or LSTM node per layer (both directions in it), the weights stacked per direction with their
    // gates in ONNX's order; Y [T, D, B, H] is joined to [T, B, D*H] for the next layer.
    private static string Recurrent(OnnxTracer t, Module layer, string x, Tensor input, Tensor output, int opset)
    {
        var r = (RecurrentNetwork)layer;
        string stem = Stem(layer);
        if (r.ProjSize > 0) throw new NotSupportedException($"ONNX export: LSTM '{layer.Path}' has a projection (proj_size), which ONNX's LSTM lacks.");
        if (input.Rank != 3) throw new NotSupportedException($"ONNX export: {layer.GetType().Name} '{layer.Path}' takes an unbatched sequence {input.Shape}; export takes batched input.");
        string op = r.Kind switch { RecurrentKind.Lstm => "LSTM", RecurrentKind.Gru => "GRU", _ => "RNN" };
        int[] order = OnnxOps.OnnxGateOrder(r.Kind);
        int d = r.Bidirectional ? 2 : 1, h = r.HiddenSize, g = order.Length;
        float[] Stack(Func<RecurrentWeights, Tensor?> pick, int layerIndex, int[] gates) =>
            [.. Enumerable.Range(0, d).SelectMany(dir =>
            {
                var v = pick(r.Weights(layerIndex, dir))!.ToArray();
                int block = v.Length / gates.Length;
                return gates.SelectMany(k => v.Skip(k * block).Take(block));
            })];
        string cur = r.BatchFirst ? t.Node("Transpose", stem + ".time_major", [x], OnnxAttribute.IntList("perm", 1, 0, 2)) : x;
        for (int k = 0; k < r.NumLayers; k++)
        {
            var w0 = r.Weights(k);
            int inSize = w0.WeightIh.Shape[1];
            string w = t.Constant($"{stem}.W_l{k}", [d, g * h, inSize], Stack(ws => ws.WeightIh, k, order));
            string rw = t.Constant($"{stem}.R_l{k}", [d, g * h, h], Stack(ws => ws.WeightHh, k, order));
            string b = w0.BiasIh is null ? "" : t.Constant($"{stem}.B_l{k}", [d, 2 * g * h],
                [.. Enumerable.Range(0, d).SelectMany(dir =>
                {
                    var ws = r.Weights(k, dir);
                    var bi = ws.BiasIh!.ToArray();
                    var bh = ws.BiasHh!.ToArray();
                    return order.SelectMany(q => bi.Skip(q * h).Take(h)).Concat(order.SelectMany(q => bh.Skip(q * h).Take(h)));
                })]);
            var inputs = new List<string> { cur, w, rw, b };
            if (w0.Peephole is not null) inputs.AddRange(["", "", "", t.Constant($"{stem}.P_l{k}", [d, 3 * h], Stack(ws => ws.Peephole, k, OnnxOps.PeepholeOrder))]);
            var attributes = new List<OnnxAttribute> { OnnxAttribute.Int("hidden_size", h) };
            if (d == 2) attributes.Add(OnnxAttribute.Text("direction", "bidirectional"));
            if (r.Kind == RecurrentKind.Gru) attributes.Add(OnnxAttribute.Int("linear_before_reset", 1));
            if (r.Kind == RecurrentKind.RnnRelu) attributes.Add(new OnnxAttribute { Name = "activations", Type = OnnxAttributeType.Strings, Strings = [.. Enumerable.Repeat("Relu", d)] });
            string y = t.Node(op, $"{stem}.l{k}", inputs, [.. attributes]);
            string joined = t.Node("Transpose", $"{stem}.l{k}.batch_major", [y], OnnxAttribute.IntList("perm", 0, 2, 1, 3));
            cur = t.Node("Reshape", $"{stem}.l{k}.output", [joined, t.Constant($"{stem}.l{k}.shape", [3], [0L, 0L, -1L])]);
        }
        return r.BatchFirst ? t.Node("Transpose", stem + ".batch_first", [cur], OnnxAttribute.IntList("perm", 1, 0, 2)) : cur;
    }

    private static string Pad(OnnxTracer t, Module layer, string x, Tensor input, Tensor output, int opset)
    {
        var p = (Pad2d)layer;
        var (l, r, top, b) = p.Padding;
        string mode = p.Mode switch
        {
            PadMode.Constant => "constant",
            PadMode.Reflect => "reflect",
            PadMode.Replicate => "edge",
            PadMode.Circular when opset >= 19 => "wrap",
            _ => throw new NotSupportedException($"ONNX export: {p.GetType().Name} '{p.Path}' pads circularly, which ONNX's Pad writes from opset 19 ('wrap'); export with --opset 19 or later."),
        };
        long[] pads = input.Rank == 4 ? [0, 0, top, l, 0, 0, b, r] : [0, top, l, 0, b, r];
        var inputs = new List<string> { x, t.Constant(Stem(p) + ".pads", [pads.Length], pads) };
        if (p.Mode == PadMode.Constant) inputs.Add(t.Constant(Stem(p) + ".value", [], [p.Value]));
        return t.Node("Pad", Stem(p), inputs, OnnxAttribute.Text("mode", mode));
    }
}
