using System.Numerics;
using Striate.Backends;
using Striate.Tensors;
using Striate.Threading;

namespace Striate.Ops;

public static partial class F
{
    /// <summary>
    /// A whole layer and direction of a recurrence over its input's projection in one autograd node:
    /// <paramref name="projection"/> [T, B, G*H] holds W_ih x_t + b_ih for every step, <paramref name="weightHh"/>
    /// [G*H, H] and <paramref name="biasHh"/> [G*H] (or null) the recurrent product, <paramref name="h0"/> [B, H] and,
    /// for an LSTM, <paramref name="c0"/> [B, H] the initial states. Each step is one product h W_hh^T into a buffer
    /// made once, then the gate nonlinearities and the state update in one pass over the hidden units (sequences
    /// split between threads); the backward runs through time the same way and makes W_hh's gradient as one product
    /// over all steps at the end. With <paramref name="lengths"/>, a sequence's steps at or past its length output
    /// zeros and leave its state as it was. Returns [T + 1, B, H] (outputs, then the final hidden state) or, for an
    /// LSTM, [T + 2, B, H] (then the final cell state). The arithmetic is the step-by-step cells' (LstmCell, GruCell),
    /// so both give the same outputs to the last bit. LSTMs without peepholes or projection, PyTorch-form GRUs and
    /// plain RNNs only.
    /// </summary>
    internal static Tensor RecurrentSequence(RecurrentKind kind, Tensor projection, Tensor weightHh, Tensor? biasHh, Tensor h0, Tensor? c0,
        bool reverse, IReadOnlyList<int>? lengths)
    {
        int steps = projection.Shape[0], batch = projection.Shape[1], n = weightHh.Shape[1], gn = Gates(kind) * n;
        bool lstm = kind == RecurrentKind.Lstm;
        if (projection.Rank != 3 || projection.Shape[2] != gn || weightHh.Shape[0] != gn || h0.Rank != 2 || h0.Shape[0] != batch || h0.Shape[1] != n
            || (lstm && (c0 is null || !c0.Shape.Equals(h0.Shape))) || (biasHh is not null && biasHh.Shape[0] != gn))
            throw new ArgumentException($"recurrent sequence: expected a projection [T, B, {gn}], W_hh [{gn}, {n}] and states [B, {n}], got {projection.Shape}, {weightHh.Shape} and {h0.Shape}.");
        bool grad = Autograd.Needs(projection, weightHh, biasHh) || Autograd.Needs(h0, c0);
        var run = new SequenceRun(kind, projection, weightHh, biasHh, h0, c0, lengths, keep: grad);
        run.Forward(reverse);
        if (!grad) return run.Y;
        var inputs = new List<Tensor> { projection, weightHh };
        if (biasHh is not null) inputs.Add(biasHh);
        int h0Index = inputs.Count;
        inputs.Add(h0);
        if (c0 is not null) inputs.Add(c0);
        string name = kind switch { RecurrentKind.Lstm => "lstm_sequence", RecurrentKind.Gru => "gru_sequence", _ => "rnn_sequence" };
        return Autograd.Record(run.Y, name, [.. inputs], (g, grads) =>
        {
            var (dx, dhh, dh, dc) = run.Backward(g, reverse);
            if (projection.RequiresGrad) grads[0] = dx;
            if (weightHh.RequiresGrad)
            {
                var dw = Tensor.Empty(gn, n);
                B.Gemm(true, false, gn, n, steps * batch, 1f, dhh.Data, gn, run.HPrev!.Data, n, 0f, dw.Data, n);
                grads[1] = dw;
            }
            if (biasHh is not null && biasHh.RequiresGrad)
            {
                var db = Tensor.Zeros(gn);
                for (int r = 0; r < steps * batch; r++) TensorPrimitives.Add(db.Data, dhh.Data.Slice(r * gn, gn), db.Data);
                grads[2] = db;
            }
            if (h0.RequiresGrad) grads[h0Index] = dh;
            if (c0 is not null && c0.RequiresGrad) grads[h0Index + 1] = dc!;
        });
    }

    /// <summary>The buffers of one <see cref="RecurrentSequence"/> call and its per-step passes over a range of sequences.</summary>
    private sealed class SequenceRun
    {
        private readonly RecurrentKind _kind;
        private readonly int _steps, _batch, _n, _gn;
        private readonly bool _keep;
        private readonly int[]? _len;
        private readonly Tensor _p, _w;
        private readonly Tensor? _bias;
        private readonly Tensor _act;     // LSTM: i, f, g, o; GRU: r, z, n; RNN: h' (every step when kept, else one)
        private readonly Tensor? _aux;    // LSTM: tanh(c'); GRU: W_hn h + b_hn
        private readonly Tensor? _cPrev;  // the cell state entering each step
        private readonly Tensor _hh, _h;
        private readonly Tensor? _c;
        private int _t, _slot;

        // The backward's buffers.
        private Tensor? _g, _dx, _dhh, _dh, _dc, _carry;

        public Tensor Y { get; }

        /// <summary>The hidden state entering each step (kept for the backward).</summary>
        public Tensor? HPrev { get; }

        public SequenceRun(RecurrentKind kind, Tensor p, Tensor w, Tensor? bias, Tensor h0, Tensor? c0, IReadOnlyList<int>? lengths, bool keep)
        {
            _kind = kind;
            _steps = p.Shape[0];
            _batch = p.Shape[1];
            _n = w.Shape[1];
            _gn = w.Shape[0];
            _keep = keep;
            _len = lengths is null ? null : [.. lengths];
            _p = p;
            _w = w;
            _bias = bias;
            bool lstm = kind == RecurrentKind.Lstm;
            int kept = keep ? _steps : 1;
            Y = Tensor.Empty(_steps + (lstm ? 2 : 1), _batch, _n);
            _act = Tensor.Empty(kept, _batch, _gn);
            _aux = lstm || kind == RecurrentKind.Gru ? Tensor.Empty(kept, _batch, _n) : null;
            HPrev = keep ? Tensor.Empty(_steps, _batch, _n) : null;
            _cPrev = keep && lstm ? Tensor.Empty(_steps, _batch, _n) : null;
            _hh = Tensor.Empty(_batch, _gn);
            _h = Tensor.Empty(_batch, _n);
            _c = lstm ? Tensor.Empty(_batch, _n) : null;
            h0.Data.CopyTo(_h.Data);
            c0?.Data.CopyTo(_c!.Data);
        }

        private bool Ended(int t, int b) => _len is not null && t >= _len[b];

        public void Forward(bool reverse)
        {
            int bn = _batch * _n;
            Action<int, int> rows = ForwardRows;
            for (int k = 0; k < _steps; k++)
            {
                _t = reverse ? _steps - 1 - k : k;
                _slot = _keep ? _t : 0;
                if (HPrev is not null) _h.Data.CopyTo(HPrev.Data.Slice(_t * bn, bn));
                if (_cPrev is not null) _c!.Data.CopyTo(_cPrev.Data.Slice(_t * bn, bn));
                B.Gemm(false, true, _batch, _gn, _n, 1f, _h.Data, _n, _w.Data, _n, 0f, _hh.Data, _gn);
                Parallelism.ForRanges(_batch, 8L * _gn, rows);
            }
            _h.Data.CopyTo(Y.Data.Slice(_steps * bn, bn));
            if (_c is not null) _c.Data.CopyTo(Y.Data.Slice((_steps + 1) * bn, bn));
        }

        private void ForwardRows(int lo, int hi)
        {
            int n = _n, gn = _gn, t = _t;
            for (int b = lo; b < hi; b++)
            {
                var outRow = Y.Data.Slice((t * _batch + b) * n, n);
                if (Ended(t, b))
                {
                    outRow.Clear();
                    continue;
                }
                var p = _p.Data.Slice((t * _batch + b) * gn, gn);
                var q = _hh.Data.Slice(b * gn, gn);
                if (_bias is not null) TensorPrimitives.Add(q, _bias.Data, q);
                var a = _act.Data.Slice((_slot * _batch + b) * gn, gn);
                var h = _h.Data.Slice(b * n, n);
                switch (_kind)
                {
                    case RecurrentKind.Lstm:
                    {
                        TensorPrimitives.Add(p, q, a);
                        var c = _c!.Data.Slice(b * n, n);
                        LstmRow(a, c, c, _aux!.Data.Slice((_slot * _batch + b) * n, n), h);
                        break;
                    }
                    case RecurrentKind.Gru:
                        q.Slice(2 * n, n).CopyTo(_aux!.Data.Slice((_slot * _batch + b) * n, n));
                        GruRow(p, q, a, h, h);
                        break;
                    default:
                        TensorPrimitives.Add(p, q, a);
                        B.Unary(_kind == RecurrentKind.RnnRelu ? UnaryOp.Relu : UnaryOp.Tanh, 0, a, a);
                        a.CopyTo(h);
                        break;
                }
                h.CopyTo(outRow);
            }
        }

        /// <summary>
        /// Back through time from the gradient <paramref name="g"/> of <see cref="Y"/>: the projection's gradient
        /// [T, B, G*H], the recurrent product's (the same tensor but for a GRU), and the initial states'.
        /// </summary>
        public (Tensor Dx, Tensor Dhh, Tensor Dh, Tensor? Dc) Backward(Tensor g, bool reverse)
        {
            int bn = _batch * _n;
            _g = g;
            _dx = Tensor.Empty(_steps, _batch, _gn);
            _dhh = _kind == RecurrentKind.Gru ? Tensor.Empty(_steps, _batch, _gn) : _dx;
            _dh = Tensor.Empty(_batch, _n);
            _dc = _kind == RecurrentKind.Lstm ? Tensor.Empty(_batch, _n) : null;
            _carry = Tensor.Empty(_batch, _n);   // what reaches h_(t-1) other than through W_hh
            g.Data.Slice(_steps * bn, bn).CopyTo(_dh.Data);
            if (_dc is not null) g.Data.Slice((_steps + 1) * bn, bn).CopyTo(_dc.Data);
            Action<int, int> rows = BackwardRows;
            for (int k = _steps - 1; k >= 0; k--)
            {
                _t = reverse ? _steps - 1 - k : k;
                Parallelism.ForRanges(_batch, 16L * _gn, rows);
                // dh_(t-1) = dG_hh W_hh + the direct part
                B.Gemm(false, false, _batch, _n, _gn, 1f, _dhh.Data.Slice(_t * _batch * _gn, _batch * _gn), _gn, _w.Data, _n, 0f, _dh.Data, _n);
                TensorPrimitives.Add(_dh.Data, _carry.Data, _dh.Data);
            }
            var result = (_dx, _dhh, _dh, _dc);
            _g = _dx = _dhh = _dh = _dc = _carry = null;
            return result;
        }

        private void BackwardRows(int lo, int hi)
        {
            int n = _n, gn = _gn, t = _t;
            for (int b = lo; b < hi; b++)
            {
                int row = t * _batch + b;
                var dx = _dx!.Data.Slice(row * gn, gn);
                var dhh = _dhh!.Data.Slice(row * gn, gn);
                var dh = _dh!.Data.Slice(b * n, n);
                var carry = _carry!.Data.Slice(b * n, n);
                if (Ended(t, b))
                {
                    dx.Clear();
                    dhh.Clear();
                    dh.CopyTo(carry);
                    continue;
                }
                TensorPrimitives.Add(dh, _g!.Data.Slice(row * n, n), dh);
                var a = _act.Data.Slice(row * gn, gn);
                switch (_kind)
                {
                    case RecurrentKind.Lstm:
                        LstmBackward(a, _aux!.Data.Slice(row * n, n), _cPrev!.Data.Slice(row * n, n), dh, _dc!.Data.Slice(b * n, n), dx);
                        carry.Clear();
                        break;
                    case RecurrentKind.Gru:
                        GruBackward(a, _aux!.Data.Slice(row * n, n), HPrev!.Data.Slice(row * n, n), dh, dx, dhh, carry);
                        break;
                    case RecurrentKind.RnnRelu:
                        for (int u = 0; u < n; u++) dx[u] = a[u] > 0f ? dh[u] : 0f;
                        carry.Clear();
                        break;
                    default:
                        for (int u = 0; u < n; u++) dx[u] = dh[u] * (1f - a[u] * a[u]);
                        carry.Clear();
                        break;
                }
            }
        }

        // One sequence's LSTM step from the gates' pre-activations a (replaced by i, f, g, o): c' = f c + i g (each
        // product rounded), tc = tanh(c'), h' = o tc. cNew may be c itself.
        internal static void LstmRow(Span<float> a, ReadOnlySpan<float> c, Span<float> cNew, Span<float> tc, Span<float> h)
        {
            int n = tc.Length;
            B.Unary(UnaryOp.Sigmoid, 0, a[..(2 * n)], a[..(2 * n)]);
            B.Unary(UnaryOp.Tanh, 0, a.Slice(2 * n, n), a.Slice(2 * n, n));
            B.Unary(UnaryOp.Sigmoid, 0, a.Slice(3 * n, n), a.Slice(3 * n, n));
            TensorPrimitives.Multiply(a[..n], a.Slice(2 * n, n), tc);
            TensorPrimitives.Multiply(a.Slice(n, n), c, cNew);
            TensorPrimitives.Add(cNew, tc, cNew);
            B.Unary(UnaryOp.Tanh, 0, cNew, tc);
            TensorPrimitives.Multiply(a.Slice(3 * n, n), tc, h);
        }

        // One sequence's GRU step in PyTorch's form from the input's projection p and the state's q (reset, update,
        // new): a gets r, z and n; hOut (which may be h itself) gets h' = n + z (h - n).
        internal static void GruRow(ReadOnlySpan<float> p, ReadOnlySpan<float> q, Span<float> a, ReadOnlySpan<float> h, Span<float> hOut)
        {
            int n = h.Length;
            TensorPrimitives.Add(p[..(2 * n)], q[..(2 * n)], a[..(2 * n)]);
            B.Unary(UnaryOp.Sigmoid, 0, a[..(2 * n)], a[..(2 * n)]);
            var cand = a.Slice(2 * n, n);
            TensorPrimitives.Multiply(a[..n], q.Slice(2 * n, n), cand);
            TensorPrimitives.Add(p.Slice(2 * n, n), cand, cand);
            B.Unary(UnaryOp.Tanh, 0, cand, cand);
            TensorPrimitives.Subtract(h, cand, hOut);
            TensorPrimitives.Multiply(a.Slice(n, n), hOut, hOut);
            TensorPrimitives.Add(cand, hOut, hOut);
        }

        // The gates' gradients of one sequence's LSTM step from dh (h's gradient) and dc (c's, replaced by c_(t-1)'s).
        internal static void LstmBackward(ReadOnlySpan<float> a, ReadOnlySpan<float> tc, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> dh, Span<float> dc, Span<float> dx)
        {
            int n = tc.Length, u = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var one = Vector<float>.One;
                for (; u <= n - Vector<float>.Count; u += Vector<float>.Count)
                {
                    var i = new Vector<float>(a[u..]);
                    var f = new Vector<float>(a[(n + u)..]);
                    var gg = new Vector<float>(a[(2 * n + u)..]);
                    var o = new Vector<float>(a[(3 * n + u)..]);
                    var th = new Vector<float>(tc[u..]);
                    var dhu = new Vector<float>(dh[u..]);
                    var dct = new Vector<float>(dc[u..]) + dhu * o * (one - th * th);
                    (dct * gg * i * (one - i)).CopyTo(dx[u..]);
                    (dct * new Vector<float>(cPrev[u..]) * f * (one - f)).CopyTo(dx[(n + u)..]);
                    (dct * i * (one - gg * gg)).CopyTo(dx[(2 * n + u)..]);
                    (dhu * th * o * (one - o)).CopyTo(dx[(3 * n + u)..]);
                    (dct * f).CopyTo(dc[u..]);
                }
            }
            for (; u < n; u++)
            {
                float i = a[u], f = a[n + u], gg = a[2 * n + u], o = a[3 * n + u], th = tc[u], dhu = dh[u];
                float dct = dc[u] + dhu * o * (1f - th * th);
                dx[u] = dct * gg * i * (1f - i);
                dx[n + u] = dct * cPrev[u] * f * (1f - f);
                dx[2 * n + u] = dct * i * (1f - gg * gg);
                dx[3 * n + u] = dhu * th * o * (1f - o);
                dc[u] = dct * f;
            }
        }

        // A GRU step's gradients: the projection's (dx), the recurrent product's (dhh) and h_(t-1)'s direct part.
        internal static void GruBackward(ReadOnlySpan<float> a, ReadOnlySpan<float> hn, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> dh,
            Span<float> dx, Span<float> dhh, Span<float> carry)
        {
            int n = hn.Length, u = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var one = Vector<float>.One;
                for (; u <= n - Vector<float>.Count; u += Vector<float>.Count)
                {
                    var r = new Vector<float>(a[u..]);
                    var z = new Vector<float>(a[(n + u)..]);
                    var cand = new Vector<float>(a[(2 * n + u)..]);
                    var dy = new Vector<float>(dh[u..]);
                    var dn = dy * (one - z) * (one - cand * cand);
                    var dz = dy * (new Vector<float>(hPrev[u..]) - cand) * z * (one - z);
                    var dr = dn * new Vector<float>(hn[u..]) * r * (one - r);
                    dr.CopyTo(dx[u..]);
                    dr.CopyTo(dhh[u..]);
                    dz.CopyTo(dx[(n + u)..]);
                    dz.CopyTo(dhh[(n + u)..]);
                    dn.CopyTo(dx[(2 * n + u)..]);
                    (dn * r).CopyTo(dhh[(2 * n + u)..]);
                    (dy * z).CopyTo(carry[u..]);
                }
            }
            for (; u < n; u++)
            {
                float r = a[u], z = a[n + u], cand = a[2 * n + u], dy = dh[u];
                float dn = dy * (1f - z) * (1f - cand * cand);
                float dz = dy * (hPrev[u] - cand) * z * (1f - z);
                float dr = dn * hn[u] * r * (1f - r);
                dx[u] = dhh[u] = dr;
                dx[n + u] = dhh[n + u] = dz;
                dx[2 * n + u] = dn;
                dhh[2 * n + u] = dn * r;
                carry[u] = dy * z;
            }
        }
    }
}
