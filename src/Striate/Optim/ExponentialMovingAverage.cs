using Striate.Nn;

namespace Striate.Optim;

/// <summary>
/// An exponential moving average of a model's weights (Polyak averaging; torch.optim.swa_utils.AveragedModel
/// with an EMA rule and use_buffers=True, timm's ModelEmaV2). <see cref="Average"/> is a second module of the
/// same structure that starts as a copy of <see cref="Source"/>; after each optimizer step,
/// <see cref="Update"/> sets every floating-point entry of its state dict to
/// <c>avg = d * avg + (1 - d) * live</c> with <c>d = min(Decay, (1 + t) / (10 + t))</c>, t the number of
/// updates before this one (TensorFlow's num_updates warm-up, so the first steps' random weights fade fast).
/// <para>
/// Buffers are averaged like parameters: batch-norm running means and variances then follow the averaged
/// weights at the same pace instead of describing the live ones (the choice of timm and of
/// <c>use_buffers=True</c>); counters (batch norm's <c>num_batches_tracked</c>) are copied, not averaged.
/// </para>
/// </summary>
public sealed class ExponentialMovingAverage
{
    private readonly (Tensors.Tensor Live, Tensors.Tensor Avg, bool Counter)[] _pairs;

    /// <exception cref="ArgumentOutOfRangeException">The decay is not in [0, 1).</exception>
    /// <exception cref="ArgumentException">The two modules' state dicts differ in keys or shapes.</exception>
    public ExponentialMovingAverage(Module source, Module average, double decay)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(average);
        if (!(decay >= 0 && decay < 1))
            throw new ArgumentOutOfRangeException(nameof(decay), $"ExponentialMovingAverage: the decay must be in [0, 1), got {decay}.");
        if (ReferenceEquals(source, average)) throw new ArgumentException("ExponentialMovingAverage: the average must be a separate module, not the source itself.");
        Source = source;
        Average = average;
        Decay = decay;
        average.LoadStateDict(source.StateDict(), strict: true);
        var avg = average.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        _pairs = source.StateDict().Select(kv => (kv.Value, avg[kv.Key], IsCounter(kv.Key))).ToArray();
    }

    /// <summary>The module being trained.</summary>
    public Module Source { get; }

    /// <summary>The module holding the averaged weights (the one to evaluate and save).</summary>
    public Module Average { get; }

    public double Decay { get; }

    /// <summary>How many times <see cref="Update"/> has run.</summary>
    public long Updates { get; private set; }

    /// <summary>The decay the next <see cref="Update"/> uses: min(Decay, (1 + t) / (10 + t)).</summary>
    public double CurrentDecay => Math.Min(Decay, (1.0 + Updates) / (10.0 + Updates));

    /// <summary>Blends the source's current weights and buffers into the average (call after each optimizer step).</summary>
    public void Update()
    {
        float d = (float)CurrentDecay, w = 1 - d;
        foreach (var (live, avg, counter) in _pairs)
        {
            if (counter)
            {
                live.Data.CopyTo(avg.Data);
                continue;
            }
            // avg = d * avg + (1 - d) * live, in place.
            var a = avg.Data;
            ReadOnlySpan<float> l = live.Data;
            for (int i = 0; i < a.Length; i++) a[i] = d * a[i] + w * l[i];
        }
        Updates++;
    }

    // Integer-valued state kept as a float tensor: averaging a count means nothing.
    private static bool IsCounter(string key) => key == "num_batches_tracked" || key.EndsWith(".num_batches_tracked", StringComparison.Ordinal);
}
