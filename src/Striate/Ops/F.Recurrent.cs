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
            {
                int n = hh.Shape[1] / 3;
                var r = Sigmoid(Add(Narrow(xProjection, 1, 0, n), Narrow(hh, 1, 0, n)));
                var z = Sigmoid(Add(Narrow(xProjection, 1, n, n), Narrow(hh, 1, n, n)));
                var candidate = Tanh(Add(Narrow(xProjection, 1, 2 * n, n), Mul(r, Narrow(hh, 1, 2 * n, n))));
                // (1 - z) n + z h = n + z (h - n)
                return (Add(candidate, Mul(z, Sub(h, candidate))), null);
            }
            default:
            {
                ArgumentNullException.ThrowIfNull(c);
                var gates = Add(xProjection, hh);
                int n = gates.Shape[1] / 4;
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
