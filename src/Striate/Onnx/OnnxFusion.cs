using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Onnx;

/// <summary>
/// Finds, in an imported graph, each 2-D Conv whose weights are initializers, with the BatchNormalization and Relu that
/// alone consume its output, and builds the Striate layers for them around the same tensors (the initializers'
/// tensors are replaced by the layers' own, filled with their values). In an <see cref="Nn.InferenceSession"/> the
/// graph then runs these as the session runs a native model's (batch norm folded, weights transformed once); trained
/// or outside a session, the nodes run one by one as before.
/// </summary>
internal static class OnnxFusion
{
    /// <summary>
    /// One fused group: relu?(norm(conv(Input)) + Residual) giving Output, run at node RunAt (the residual Add, whose
    /// other input the graph computes after the convolution); the group's other nodes (Absorbed) are skipped.
    /// </summary>
    public sealed record Fused(Conv2d Conv, BatchNorm2d? Norm, bool Relu, string Input, string? Residual, string Output, int RunAt, int[] Absorbed);

    public static Fused?[] Plan(OnnxGraph g, Dictionary<string, Tensor> weights)
    {
        var plan = new Fused?[g.Nodes.Count];
        var adopted = new HashSet<string>(StringComparer.Ordinal);
        var taken = new HashSet<int>();
        // How many nodes (and graph outputs) read each value: a fused value must have one reader.
        var readers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in g.Nodes)
            foreach (var x in n.Inputs) readers[x] = readers.GetValueOrDefault(x) + 1;
        foreach (var o in g.Outputs) readers[o.Name] = readers.GetValueOrDefault(o.Name) + 1;
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < g.Nodes.Count; i++)
            foreach (var y in g.Nodes[i].Outputs) producer[y] = i;
        // The node that reads `value` (whichever input), when exactly one does.
        int? ReaderOf(string value)
        {
            int? found = null;
            for (int j = 0; j < g.Nodes.Count; j++)
                if (g.Nodes[j].Inputs.Contains(value))
                {
                    if (found is not null) return null;
                    found = j;
                }
            return found;
        }
        int? SoleReader(string value, string op)
        {
            if (readers.GetValueOrDefault(value) != 1) return null;
            for (int j = 0; j < g.Nodes.Count; j++)
                if (g.Nodes[j].Inputs.Count > 0 && g.Nodes[j].Inputs[0] == value)
                    return g.Nodes[j].OpType == op && g.Nodes[j].Domain.Length == 0 && g.Nodes[j].Outputs.Count >= 1 ? j : null;
            return null;
        }
        for (int i = 0; i < g.Nodes.Count; i++)
        {
            var n = g.Nodes[i];
            if (n.OpType != "Conv" || n.Domain.Length > 0 || n.Inputs.Count < 2 || n.Outputs.Count != 1) continue;
            if (!weights.TryGetValue(n.Inputs[1], out var w) || w.Rank != 4) continue;
            // A weight shared by two convolutions stays with the nodes (one layer cannot own it for both).
            if (n.Inputs.Skip(1).Any(adopted.Contains)) continue;
            Tensor? b = null;
            if (n.Inputs.Count > 2 && n.Inputs[2].Length > 0 && !weights.TryGetValue(n.Inputs[2], out b)) continue;
            if (n.Attribute("auto_pad") is { } auto && auto.S is not ("NOTSET" or "")) continue;
            long[] Ints(string name, long fill, int count) => n.Attribute(name)?.Ints is { Count: > 0 } v ? [.. v] : [.. Enumerable.Repeat(fill, count)];
            var strides = Ints("strides", 1, 2);
            var dilations = Ints("dilations", 1, 2);
            var pads = Ints("pads", 0, 4);
            if (strides.Length != 2 || dilations.Length != 2 || pads.Length != 4) continue;
            int group = (int)(n.Attribute("group")?.I ?? 1);
            int outC = w.Shape[0], inC = w.Shape[1] * group;
            Conv2d conv;
            try
            {
                conv = new Conv2d(inC, outC, (w.Shape[2], w.Shape[3]), ((int)strides[0], (int)strides[1]),
                    new Padding2d((int)pads[0], (int)pads[2], (int)pads[1], (int)pads[3]), ((int)dilations[0], (int)dilations[1]), group, bias: b is not null);
            }
            catch (ArgumentException)
            {
                continue;
            }
            BatchNorm2d? norm = null;
            var absorbed = new List<int>();
            string output = n.Outputs[0];
            if (SoleReader(output, "BatchNormalization") is int bi && g.Nodes[bi] is var bn && (bn.Attribute("training_mode")?.I ?? 0) == 0
                && bn.Inputs.Count == 5 && bn.Inputs.Skip(1).All(weights.ContainsKey) && bn.Outputs.Count >= 1 && bn.Outputs.Skip(1).All(o => o.Length == 0)
                && weights[bn.Inputs[1]].Numel == outC && !bn.Inputs.Skip(1).Any(adopted.Contains))
            {
                norm = new BatchNorm2d(outC, bn.Attribute("epsilon")?.F ?? 1e-5f);
                Adopt(weights, bn.Inputs[1], norm.Weight!);
                Adopt(weights, bn.Inputs[2], norm.Bias!);
                Adopt(weights, bn.Inputs[3], norm.RunningMean!);
                Adopt(weights, bn.Inputs[4], norm.RunningVar!);
                absorbed.Add(bi);
                output = bn.Outputs[0];
            }
            bool relu = false;
            string? residual = null;
            int runAt = i;
            // A residual block's end: Add(this, shortcut) then Relu, each the other's only reader.
            if (ReaderOf(output) is int ai && !taken.Contains(ai) && g.Nodes[ai] is { OpType: "Add", Domain: "", Inputs.Count: 2, Outputs.Count: >= 1 } add && readers.GetValueOrDefault(output) == 1
                && add.Inputs[0] != add.Inputs[1] && SoleReader(add.Outputs[0], "Relu") is int ari)
            {
                residual = add.Inputs[0] == output ? add.Inputs[1] : add.Inputs[0];
                absorbed.Add(ai);
                absorbed.Add(ari);
                relu = true;
                runAt = ai;
                output = g.Nodes[ari].Outputs[0];
            }
            else if (SoleReader(output, "Relu") is int ri)
            {
                relu = true;
                absorbed.Add(ri);
                output = g.Nodes[ri].Outputs[0];
            }
            Adopt(weights, n.Inputs[1], conv.Weight);
            if (b is not null) Adopt(weights, n.Inputs[2], conv.Bias!);
            // The layers serve evaluation only (the graph runs its nodes when training).
            conv.Eval();
            norm?.Eval();
            foreach (var name in n.Inputs.Skip(1).Concat(norm is null ? [] : g.Nodes[absorbed[0]].Inputs.Skip(1))) adopted.Add(name);
            if (runAt != i) absorbed.Add(i);
            taken.UnionWith(absorbed);
            taken.Add(i);
            plan[runAt] = new Fused(conv, norm, relu, n.Inputs[0], residual, output, runAt, [.. absorbed]);
        }
        return plan;
    }

    // The layer's tensor takes the initializer's values and its place (so the state dict and the layer share it).
    private static void Adopt(Dictionary<string, Tensor> weights, string name, Tensor layerTensor)
    {
        var current = weights[name];
        if (ReferenceEquals(current, layerTensor)) return;
        if (current.Numel != layerTensor.Numel)
            throw new InvalidDataException($"ONNX initializer '{name}' has {current.Numel} values; the layer built for it needs {layerTensor.Numel}.");
        current.Data.CopyTo(layerTensor.Data);
        weights[name] = layerTensor;
    }
}
