using System.Runtime.InteropServices;
using Striate.Backends;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>
/// Runs a model for inference with the work that depends only on the weights done once instead of on every call:
/// each convolution's batch norm is folded into a kept copy of its weights and bias, and the backend keeps the forms
/// it derives from them (the CPU backend: the Winograd transform of 3x3 weights). This is what ONNX Runtime's session
/// or a frozen TorchScript module does; on ResNet-18 at batch 1 the folding and the transform were about a sixth of
/// the time. Outputs equal <c>model.Call(input)</c> in evaluation mode without gradients, up to float rounding.
/// </summary>
/// <remarks>
/// <para>The session puts the model in evaluation mode. Each convolution's forms are derived when it is first run.
/// Before reusing them, every run compares a fingerprint of the weights: all of the bias and batch-norm values and
/// 64 weights spread over the tensor. Training steps and loaded checkpoints change those, so the forms are derived
/// again. An edit that touches only a few weights can miss the samples; call <see cref="Refresh"/> after one.</para>
/// <para>A session may be run from several threads at once.</para>
/// </remarks>
public sealed class InferenceSession
{
    /// <summary>Weights sampled per convolution for the fingerprint.</summary>
    private const int WeightSamples = 64;

    [ThreadStatic] private static InferenceSession? t_current;

    private readonly Dictionary<Conv2d, Prepared> _prepared = new(ReferenceEqualityComparer.Instance);
    private readonly object _lock = new();

    /// <summary>Starts a session on <paramref name="model"/> and puts it in evaluation mode.</summary>
    public InferenceSession(Module model)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        model.Eval();
    }

    /// <summary>The model the session runs.</summary>
    public Module Model { get; }

    /// <summary>Convolutions whose forms the session holds.</summary>
    public int PreparedLayers
    {
        get
        {
            lock (_lock) return _prepared.Count;
        }
    }

    /// <summary>Bytes the session holds beyond the model: folded weights and the backend's derived forms.</summary>
    public long CachedBytes
    {
        get
        {
            lock (_lock)
                return _prepared.Values.Sum(p => p.Bytes);
        }
    }

    /// <summary>The session whose <see cref="Run"/> is on this thread's stack, if any.</summary>
    internal static InferenceSession? Current => t_current;

    /// <summary>The model's output for <paramref name="input"/>, without gradients.</summary>
    /// <exception cref="InvalidOperationException">The model was put back in training mode after the session began.</exception>
    public Tensor Run(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (Model.IsTraining)
            throw new InvalidOperationException(
                "InferenceSession.Run: the model is in training mode (Train() was called after the session began); call Eval() on it first.");
        var previous = t_current;
        t_current = this;
        try
        {
            using (Autograd.NoGrad())
                return Model.Call(input);
        }
        finally
        {
            t_current = previous;
        }
    }

    /// <summary>Drops every derived form; the next run derives them from the weights as they are then.</summary>
    public void Refresh()
    {
        lock (_lock) _prepared.Clear();
    }

    /// <summary>
    /// The weight, bias and backend cache to run <paramref name="conv"/> (followed by <paramref name="bn"/>, in evaluation
    /// mode and foldable, or null) with: the folded copy when there is a batch norm, the convolution's own tensors when not.
    /// </summary>
    internal (Tensor Weight, Tensor? Bias, ConvWeightCache Cache) Prepare(Conv2d conv, BatchNorm? bn)
    {
        Prepared? p;
        lock (_lock) _prepared.TryGetValue(conv, out p);
        if (p is null || !ReferenceEquals(p.Bn, bn) || !p.Matches(conv, bn))
        {
            p = new Prepared(conv, bn);
            lock (_lock) _prepared[conv] = p;
        }
        return (p.Weight, p.Bias, p.Cache);
    }

    private sealed class Prepared
    {
        private readonly int[] _fingerprint;

        public Prepared(Conv2d conv, BatchNorm? bn)
        {
            Bn = bn;
            _fingerprint = Fingerprint(conv, bn);
            if (bn is null)
            {
                (Weight, Bias) = (conv.Weight, conv.Bias);
                return;
            }
            Weight = Tensor.Persistent(conv.Weight.Shape);
            var bias = Tensor.Persistent(new Shape(conv.OutChannels));
            F.FoldBatchNormInto(conv.Weight, conv.Bias, bn.RunningMean!, bn.RunningVar!, bn.Weight, bn.Bias, bn.Eps, Weight, bias);
            Bias = bias;
        }

        public BatchNorm? Bn { get; }

        public Tensor Weight { get; }

        public Tensor? Bias { get; }

        public ConvWeightCache Cache { get; } = new();

        public long Bytes => Cache.Bytes + (Bn is null ? 0 : (long)(Weight.Numel + Bias!.Numel) * sizeof(float));

        public bool Matches(Conv2d conv, BatchNorm? bn) => Walk(conv, bn, _fingerprint, write: false);

        private static int[] Fingerprint(Conv2d conv, BatchNorm? bn)
        {
            int length = Math.Min(WeightSamples, conv.Weight.Numel);
            foreach (var t in Vectors(conv, bn))
                if (t is not null) length += t.Numel;
            var print = new int[length];
            Walk(conv, bn, print, write: true);
            return print;
        }

        private static Tensor?[] Vectors(Conv2d conv, BatchNorm? bn) => [conv.Bias, bn?.RunningMean, bn?.RunningVar, bn?.Weight, bn?.Bias];

        // Writes the fingerprint into print, or compares it with print: the bits of the sampled weights, then of the
        // whole bias and the batch norm's four vectors (bits, so a NaN matches itself).
        private static bool Walk(Conv2d conv, BatchNorm? bn, Span<int> print, bool write)
        {
            var w = MemoryMarshal.Cast<float, int>(conv.Weight.Data);
            int samples = Math.Min(WeightSamples, w.Length), at = 0;
            for (int i = 0; i < samples; i++, at++)
            {
                int v = w[(int)((long)i * (w.Length - 1) / Math.Max(1, samples - 1))];
                if (write) print[at] = v;
                else if (print[at] != v) return false;
            }
            foreach (var t in Vectors(conv, bn))
            {
                if (t is null) continue;
                var bits = MemoryMarshal.Cast<float, int>(t.Data);
                if (write) bits.CopyTo(print[at..]);
                else if (!bits.SequenceEqual(print.Slice(at, bits.Length))) return false;
                at += bits.Length;
            }
            return true;
        }
    }
}
