using Striate.Ops;
using Striate.Tensors;

namespace Striate.Onnx;

// RNN, GRU and LSTM: ONNX's weights ([directions, gates * H, in], gates in ONNX's order) are taken apart per direction,
// their gates reordered to PyTorch's, and run by F.RecurrentLayer.
internal static partial class OnnxOps
{
    private static void AddRecurrent()
    {
        Add("RNN", 7, a => Recurrent(a, RecurrentKind.RnnTanh, layout: false));
        Add("RNN", 14, a => Recurrent(a, RecurrentKind.RnnTanh, layout: true));
        Add("GRU", 7, a => Recurrent(a, RecurrentKind.Gru, layout: false));
        Add("GRU", 14, a => Recurrent(a, RecurrentKind.Gru, layout: true));
        Add("LSTM", 7, a => Recurrent(a, RecurrentKind.Lstm, layout: false));
        Add("LSTM", 14, a => Recurrent(a, RecurrentKind.Lstm, layout: true));
    }

    // ONNX gate order -> PyTorch's: LSTM i, o, f, c -> i, f, c, o; GRU z, r, h -> r, z, h; peepholes i, o, f -> i, f, o
    // (the peephole order is its own inverse). Entry k is the ONNX block that PyTorch's block k comes from.
    internal static int[] GateOrder(RecurrentKind kind) => kind switch
    {
        RecurrentKind.Lstm => [0, 2, 3, 1],
        RecurrentKind.Gru => [1, 0, 2],
        _ => [0],
    };

    internal static readonly int[] PeepholeOrder = [0, 2, 1];

    // The other way, PyTorch's order -> ONNX's, for the exporter: entry k is the PyTorch block of ONNX's block k.
    internal static int[] OnnxGateOrder(RecurrentKind kind)
    {
        var order = GateOrder(kind);
        var inverse = new int[order.Length];
        for (int k = 0; k < order.Length; k++) inverse[order[k]] = k;
        return inverse;
    }

    private static Tensor Reordered(Tensor t, int[] order, int block)
    {
        if (order.Length == 1) return t;
        return F.Concat([.. order.Select(g => F.Narrow(t, 0, g * block, block))], 0);
    }

    private static Tensor[] Recurrent(Args a, RecurrentKind kind, bool layout)
    {
        int hidden = (int)a.Int("hidden_size", 0);
        if (hidden < 1) throw a.Fail("hidden_size must be given and >= 1");
        string direction = a.Text("direction", "forward");
        int directions = direction switch
        {
            "forward" or "reverse" => 1,
            "bidirectional" => 2,
            _ => throw a.Fail($"direction '{direction}' is not forward, reverse or bidirectional"),
        };
        if (a.Node.Attribute("clip") is not null) throw a.Unsupported("clip is not supported");
        if (a.Int("input_forget", 0) != 0) throw a.Unsupported("input_forget is not supported");
        bool resetBefore = kind == RecurrentKind.Gru && a.Int("linear_before_reset", 0) == 0;
        if (a.Node.Attribute("activations") is { } acts)
        {
            string[] defaults = kind switch { RecurrentKind.Lstm => ["Sigmoid", "Tanh", "Tanh"], RecurrentKind.Gru => ["Sigmoid", "Tanh"], _ => ["Tanh"] };
            var given = acts.Strings;
            if (kind == RecurrentKind.RnnTanh)
            {
                // One activation per direction, the same in both: Tanh, or Relu.
                var chosen = given.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
                if (chosen.Count != 1 || !(chosen[0].Equals("Tanh", StringComparison.OrdinalIgnoreCase) || chosen[0].Equals("Relu", StringComparison.OrdinalIgnoreCase)))
                    throw a.Unsupported($"activations [{string.Join(", ", given)}] are not supported (an RNN takes Tanh or Relu, the same in both directions)");
                if (chosen[0].Equals("Relu", StringComparison.OrdinalIgnoreCase)) kind = RecurrentKind.RnnRelu;
            }
            else
                for (int k = 0; k < given.Count; k++)
                    if (!string.Equals(given[k], defaults[k % defaults.Length], StringComparison.OrdinalIgnoreCase))
                        throw a.Unsupported($"activation '{given[k]}' in place of {defaults[k % defaults.Length]} is not supported (the activations must be the defaults)");
        }
        bool batchFirst = layout && a.Int("layout", 0) != 0;
        var x = batchFirst ? F.Transpose(a[0], 0, 1) : a[0];
        if (x.Rank != 3) throw a.Fail($"X must be [seq_length, batch_size, input_size], got {a[0].Shape}");
        int steps = x.Shape[0], batch = x.Shape[1], gates = F.Gates(kind);
        var w = a[1];
        var r = a[2];
        if (w.Rank != 3 || w.Shape[0] != directions || w.Shape[1] != gates * hidden || w.Shape[2] != x.Shape[2])
            throw a.Fail($"W must be [{directions}, {gates * hidden}, {x.Shape[2]}], got {w.Shape}");
        if (r.Rank != 3 || r.Shape[0] != directions || r.Shape[1] != gates * hidden || r.Shape[2] != hidden)
            throw a.Fail($"R must be [{directions}, {gates * hidden}, {hidden}], got {r.Shape}");
        var b = a.Optional(3);
        if (b is not null && (b.Rank != 2 || b.Shape[0] != directions || b.Shape[1] != 2 * gates * hidden))
            throw a.Fail($"B must be [{directions}, {2 * gates * hidden}], got {b.Shape}");
        int[]? lengths = null;
        if (a.Has(4))
        {
            var lens = a.IsInts(4) ? a.IntValue(4).ToInt64s() : [.. a[4].ToArray().Select(v => (long)v)];
            if (lens.Length != batch) throw a.Fail($"sequence_lens must hold {batch} lengths, got {lens.Length}");
            foreach (long l in lens)
                if (l < 0 || l > steps) throw a.Fail($"a sequence length must be between 0 and {steps}, got {l}");
            lengths = [.. lens.Select(l => (int)l)];
        }
        Tensor State(int input, int size, string what)
        {
            var s = a.Optional(input);
            if (s is null) return Tensor.Zeros(directions, batch, size);
            if (batchFirst) s = F.Transpose(s, 0, 1);
            if (s.Rank != 3 || s.Shape[0] != directions || s.Shape[1] != batch || s.Shape[2] != size)
                throw a.Fail($"{what} must be [{directions}, {batch}, {size}]{(batchFirst ? " (batch first)" : "")}, got {a[input].Shape}");
            return s;
        }
        var h0 = State(5, hidden, "initial_h");
        var c0 = kind == RecurrentKind.Lstm ? State(6, hidden, "initial_c") : null;
        var p = kind == RecurrentKind.Lstm ? a.Optional(7) : null;
        if (p is not null && (p.Rank != 2 || p.Shape[0] != directions || p.Shape[1] != 3 * hidden))
            throw a.Fail($"P must be [{directions}, {3 * hidden}], got {p.Shape}");

        var order = GateOrder(kind);
        Tensor Dir(Tensor t, int d) => F.Reshape(F.Narrow(t, 0, d, 1), [.. t.Shape.ToArray().Skip(1)]);
        var ys = new Tensor[directions];
        var hs = new Tensor[directions];
        var cs = new Tensor[directions];
        for (int d = 0; d < directions; d++)
        {
            Tensor? bIh = null, bHh = null;
            if (b is not null)
            {
                var bd = Dir(b, d);
                bIh = Reordered(F.Narrow(bd, 0, 0, gates * hidden), order, hidden);
                bHh = Reordered(F.Narrow(bd, 0, gates * hidden, gates * hidden), order, hidden);
            }
            var weights = new RecurrentWeights(Reordered(Dir(w, d), order, hidden), Reordered(Dir(r, d), order, hidden), bIh, bHh,
                Peephole: p is null ? null : Reordered(Dir(p, d), PeepholeOrder, hidden), ResetBeforeProduct: resetBefore);
            bool reverse = direction == "reverse" || d == 1;
            var (y, hn, cn) = F.RecurrentLayer(kind, x, Dir(h0, d), c0 is null ? null : Dir(c0, d), weights, reverse, lengths);
            ys[d] = F.Reshape(y, steps, 1, batch, hidden);
            hs[d] = F.Reshape(hn, 1, batch, hidden);
            if (cn is not null) cs[d] = F.Reshape(cn, 1, batch, hidden);
        }
        var yAll = directions == 1 ? ys[0] : F.Concat(ys, 1);            // [seq, dirs, batch, H]
        var hAll = directions == 1 ? hs[0] : F.Concat(hs, 0);            // [dirs, batch, H]
        Tensor? cAll = kind != RecurrentKind.Lstm ? null : directions == 1 ? cs[0] : F.Concat(cs, 0);
        if (batchFirst)
        {
            yAll = F.Permute(yAll, 2, 0, 1, 3);                          // [batch, seq, dirs, H]
            hAll = F.Transpose(hAll, 0, 1);
            if (cAll is not null) cAll = F.Transpose(cAll, 0, 1);
        }
        return cAll is null ? [yAll, hAll] : [yAll, hAll, cAll];
    }
}
