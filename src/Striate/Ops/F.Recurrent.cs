using Striate.Backends;
using Striate.Tensors;

namespace Striate.Ops;

/// <summary>The recurrence of a recurrent layer: its activation and gates.</summary>
public enum RecurrentKind
{
    /// <summary>h' = tanh(W_ih x + b_ih + W_hh h + b_hh).</summary>
    RnnTanh,

    /// <summary>h' = relu(W_ih x + b_ih + W_hh h + b_hh).</summary>
    RnnRelu,

    /// <summary>Long short-term memory, gates in PyTorch's order: input, forget, cell (g), output.</summary>
    Lstm,

    /// <summary>Gated recurrent unit, gates in PyTorch's order: reset, update, new; the reset gate multiplies W_hn h + b_hn.</summary>
    Gru,
}

/// <summary>
/// The weights of one layer and direction of a recurrent network, with PyTorch's shapes: W_ih [G*H, in],
/// W_hh [G*H, H'] (H' the projection size when there is one, else H), b_ih and b_hh [G*H] or null, the LSTM's
/// projection W_hr [P, H] or null, and its peephole weights [3*H] (input, forget, output) or null. A GRU with
/// <paramref name="ResetBeforeProduct"/> applies the reset gate to h before the product with W_hn (ONNX's default,
/// linear_before_reset = 0) rather than to W_hn h + b_hn (PyTorch's).
/// </summary>
public sealed record RecurrentWeights(Tensor WeightIh, Tensor WeightHh, Tensor? BiasIh, Tensor? BiasHh, Tensor? WeightHr = null, Tensor? Peephole = null,
    bool ResetBeforeProduct = false);

public static partial class F
{
    /// <summary>The gate count of a recurrence: 1, 4 (LSTM) or 3 (GRU).</summary>
    public static int Gates(RecurrentKind kind) => kind switch { RecurrentKind.Lstm => 4, RecurrentKind.Gru => 3, _ => 1 };

    /// <summary>
    /// One step of a recurrence from the input's projection <paramref name="xProjection"/> [B, G*H] (W_ih x + b_ih) and
    /// the state: returns the new hidden state [B, H'] and, for an LSTM, the new cell state [B, H].
    /// </summary>
    public static (Tensor Hidden, Tensor? Cell) RecurrentStep(RecurrentKind kind, Tensor xProjection, Tensor h, Tensor? c, RecurrentWeights w)
    {
        ArgumentNullException.ThrowIfNull(xProjection);
        ArgumentNullException.ThrowIfNull(h);
        ArgumentNullException.ThrowIfNull(w);
        if (kind == RecurrentKind.Gru && w.ResetBeforeProduct)
        {
            int n = w.WeightHh.Shape[0] / 3;
            var rz = Linear(h, Narrow(w.WeightHh, 0, 0, 2 * n), w.BiasHh is null ? null : Narrow(w.BiasHh, 0, 0, 2 * n));
            var r = Sigmoid(Add(Narrow(xProjection, 1, 0, n), Narrow(rz, 1, 0, n)));
            var z = Sigmoid(Add(Narrow(xProjection, 1, n, n), Narrow(rz, 1, n, n)));
            var hn = Linear(Mul(r, h), Narrow(w.WeightHh, 0, 2 * n, n), w.BiasHh is null ? null : Narrow(w.BiasHh, 0, 2 * n, n));
            var candidate = Tanh(Add(Narrow(xProjection, 1, 2 * n, n), hn));
            return (Add(candidate, Mul(z, Sub(h, candidate))), null);
        }
        var hh = Linear(h, w.WeightHh, w.BiasHh);
        switch (kind)
        {
            case RecurrentKind.RnnTanh:
                return (Tanh(Add(xProjection, hh)), null);
            case RecurrentKind.RnnRelu:
                return (Relu(Add(xProjection, hh)), null);
            case RecurrentKind.Gru:
                return (GruCell(xProjection, hh, h), null);
            default:
            {
                ArgumentNullException.ThrowIfNull(c);
                var gates = Add(xProjection, hh);
                int n = gates.Shape[1] / 4;
                if (w.Peephole is null)
                {
                    // The gates and the state update in one pass (and one backward).
                    var packed = LstmCell(gates, c);
                    var hCell = Narrow(packed, 1, 0, n);
                    return (w.WeightHr is null ? hCell : Linear(hCell, w.WeightHr), Narrow(packed, 1, n, n));
                }
                Tensor Gate(int k) => Narrow(gates, 1, k * n, n);
                Tensor Peep(int k) => Narrow(w.Peephole!, 0, k * n, n);
                var i = Sigmoid(w.Peephole is null ? Gate(0) : Add(Gate(0), Mul(Peep(0), c)));
                var f = Sigmoid(w.Peephole is null ? Gate(1) : Add(Gate(1), Mul(Peep(1), c)));
                var g = Tanh(Gate(2));
                var cNew = Add(Mul(f, c), Mul(i, g));
                var o = Sigmoid(w.Peephole is null ? Gate(3) : Add(Gate(3), Mul(Peep(2), cNew)));
                var hNew = Mul(o, Tanh(cNew));
                if (w.WeightHr is not null) hNew = Linear(hNew, w.WeightHr);
                return (hNew, cNew);
            }
        }
    }

    /// <summary>
    /// An LSTM cell's nonlinearities and state update in one pass: from the gates' pre-activations
    /// <paramref name="gates"/> [B, 4H] (input, forget, cell, output) and the cell state <paramref name="c"/> [B, H],
    /// the new hidden state and cell state side by side, [B, 2H]: h' = o tanh(c'), c' = f c + i g. Its backward
    /// gives the gates' and the cell state's gradients in one pass too.
    /// </summary>
    internal static Tensor LstmCell(Tensor gates, Tensor c)
    {
        int batch = gates.Shape[0], n = gates.Shape[1] / 4;
        if (gates.Rank != 2 || gates.Shape[1] != 4 * n || c.Rank != 2 || c.Shape[0] != batch || c.Shape[1] != n)
            throw new ArgumentException($"LSTM cell: expected gates [B, 4H] and a cell state [B, H], got {gates.Shape} and {c.Shape}.");
        var act = Tensor.Empty(batch, 4 * n);   // sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)
        var tc = Tensor.Empty(batch, n);        // tanh(c')
        var y = Tensor.Empty(batch, 2 * n);     // h', then c'
        gates.Data.CopyTo(act.Data);
        for (int r = 0; r < batch; r++)
        {
            var yr = y.Data.Slice(r * 2 * n, 2 * n);
            SequenceRun.LstmRow(act.Data.Slice(r * 4 * n, 4 * n), c.Data.Slice(r * n, n), yr[n..], tc.Data.Slice(r * n, n), yr[..n]);
        }
        if (!Autograd.Needs(gates, c)) return y;
        return Autograd.Record(y, "lstm_cell", [gates, c], (g, grads) =>
        {
            var dGates = Tensor.Empty(batch, 4 * n);
            var dC = Tensor.Empty(batch, n);
            for (int r = 0; r < batch; r++)
            {
                var gr = g.Data.Slice(r * 2 * n, 2 * n);
                var dc = dC.Data.Slice(r * n, n);
                gr[n..].CopyTo(dc);
                SequenceRun.LstmBackward(act.Data.Slice(r * 4 * n, 4 * n), tc.Data.Slice(r * n, n), c.Data.Slice(r * n, n), gr[..n], dc, dGates.Data.Slice(r * 4 * n, 4 * n));
            }
            if (gates.RequiresGrad) grads[0] = dGates;
            if (c.RequiresGrad) grads[1] = dC;
        });
    }

    /// <summary>
    /// A GRU cell's gates and update in one pass, PyTorch's form: from the input's projection <paramref name="x"/>
    /// [B, 3H] and the state's <paramref name="hh"/> [B, 3H] (reset, update, new) and the state <paramref name="h"/>
    /// [B, H]: r = sigmoid(x_r + hh_r), z = sigmoid(x_z + hh_z), n = tanh(x_n + r hh_n), h' = n + z (h - n).
    /// </summary>
    internal static Tensor GruCell(Tensor x, Tensor hh, Tensor h)
    {
        int batch = x.Shape[0], n = x.Shape[1] / 3;
        if (x.Rank != 2 || x.Shape[1] != 3 * n || !hh.Shape.Equals(x.Shape) || h.Rank != 2 || h.Shape[0] != batch || h.Shape[1] != n)
            throw new ArgumentException($"GRU cell: expected projections [B, 3H] and a state [B, H], got {x.Shape}, {hh.Shape} and {h.Shape}.");
        var act = Tensor.Empty(batch, 3 * n);   // r, z, n
        var y = Tensor.Empty(batch, n);
        for (int b = 0; b < batch; b++)
            SequenceRun.GruRow(x.Data.Slice(b * 3 * n, 3 * n), hh.Data.Slice(b * 3 * n, 3 * n), act.Data.Slice(b * 3 * n, 3 * n), h.Data.Slice(b * n, n), y.Data.Slice(b * n, n));
        if (!Autograd.Needs(x, hh, h)) return y;
        return Autograd.Record(y, "gru_cell", [x, hh, h], (g, grads) =>
        {
            var dx = Tensor.Empty(batch, 3 * n);
            var dhh = Tensor.Empty(batch, 3 * n);
            var dh = Tensor.Empty(batch, n);
            for (int b = 0; b < batch; b++)
                SequenceRun.GruBackward(act.Data.Slice(b * 3 * n, 3 * n), hh.Data.Slice(b * 3 * n + 2 * n, n), h.Data.Slice(b * n, n), g.Data.Slice(b * n, n),
                    dx.Data.Slice(b * 3 * n, 3 * n), dhh.Data.Slice(b * 3 * n, 3 * n), dh.Data.Slice(b * n, n));
            if (x.RequiresGrad) grads[0] = dx;
            if (hh.RequiresGrad) grads[1] = dhh;
            if (h.RequiresGrad) grads[2] = dh;
        });
    }

    /// <summary>
    /// One layer and direction of a recurrent network over a sequence <paramref name="x"/> [T, B, in]: the input
    /// projection of every step as one product, then the recurrence step by step (from the end when
    /// <paramref name="reverse"/>). With <paramref name="lengths"/> (one per sequence, 1..T), a sequence's steps past
    /// its length leave its state unchanged and output zeros, so its final state is the one at its own last step
    /// (and a reverse pass starts there). Returns the outputs [T, B, H'], the final hidden state [B, H'] and, for
    /// an LSTM, the final cell state [B, H]. <paramref name="stateProbes"/> (one [B, H'] tensor per step, zeros that
    /// require a gradient) are added to each step's new hidden state, so their gradients are the loss's gradient with
    /// respect to h_t.
    /// </summary>
    public static (Tensor Output, Tensor Hidden, Tensor? Cell) RecurrentLayer(RecurrentKind kind, Tensor x, Tensor h0, Tensor? c0, RecurrentWeights w,
        bool reverse = false, IReadOnlyList<int>? lengths = null, IReadOnlyList<Tensor>? stateProbes = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(w);
        int steps = x.Shape[0], batch = x.Shape[1], features = x.Shape[2];
        if (stateProbes is not null && stateProbes.Count != steps) throw new ArgumentException($"recurrent layer: {stateProbes.Count} state probes for {steps} steps.");
        var projection = Reshape(Linear(Reshape(x, steps * batch, features), w.WeightIh, w.BiasIh), steps, batch, w.WeightIh.Shape[0]);
        if (stateProbes is null && w.Peephole is null && w.WeightHr is null && !(kind == RecurrentKind.Gru && w.ResetBeforeProduct))
        {
            // The whole sequence in one node: no per-step tensors.
            var packed = RecurrentSequence(kind, projection, w.WeightHh, w.BiasHh, h0, c0, reverse, lengths);
            int n = h0.Shape[1];
            return (Narrow(packed, 0, 0, steps), Reshape(Narrow(packed, 0, steps, 1), batch, n),
                kind == RecurrentKind.Lstm ? Reshape(Narrow(packed, 0, steps + 1, 1), batch, n) : null);
        }
        var h = h0;
        var c = c0;
        var outputs = new Tensor[steps];
        for (int k = 0; k < steps; k++)
        {
            int t = reverse ? steps - 1 - k : k;
            var xt = Reshape(Narrow(projection, 0, t, 1), batch, w.WeightIh.Shape[0]);
            var (hNew, cNew) = RecurrentStep(kind, xt, h, c, w);
            if (stateProbes is not null) hNew = Add(hNew, stateProbes[t]);
            if (lengths is not null && lengths.Any(l => t >= l))
            {
                // Sequences already ended keep their state and output zeros.
                var mask = new float[batch];
                for (int b = 0; b < batch; b++) mask[b] = t < lengths[b] ? 1f : 0f;
                var m = Tensor.FromArray(mask, batch, 1);
                outputs[t] = Mul(hNew, m);
                h = Add(outputs[t], Mul(h, AddScalar(Neg(m), 1f)));
                if (cNew is not null) c = Add(Mul(cNew, m), Mul(c!, AddScalar(Neg(m), 1f)));
            }
            else
            {
                outputs[t] = hNew;
                h = hNew;
                c = cNew;
            }
        }
        var stacked = Concat([.. outputs.Select(o => Reshape(o, 1, batch, o.Shape[1]))], 0);
        return (stacked, h, c);
    }
}
