using Striate.Tensors;

namespace Striate.Ops;

/// <summary>
/// A recorder of the operations a forward pass applies, for exporters (ONNX): while one is active on a thread, the
/// operations that join layers together (add, concat, flatten, reshape, relu, average pooling, normalize, scalar
/// multiplication) describe themselves to it by name, inputs, output and details. An operation runs inside
/// <see cref="Op"/> with recording paused, so the operations it is built from are not recorded again.
/// </summary>
public abstract class OpTrace
{
    [ThreadStatic] private static OpTrace? t_current;

    private int _paused;

    /// <summary>The recorder on this thread, whether or not paused.</summary>
    public static OpTrace? Current => t_current;

    /// <summary>The recorder on this thread when it is recording (not inside an operation it records whole).</summary>
    public static OpTrace? Active => t_current is { _paused: 0 } t ? t : null;

    /// <summary>Makes this recorder the thread's until the result is disposed.</summary>
    public IDisposable Activate()
    {
        var previous = t_current;
        t_current = this;
        return new Restore(() => t_current = previous);
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    /// <summary>True while an operation recorded whole is running.</summary>
    protected bool Paused => _paused > 0;

    /// <summary>
    /// Runs <paramref name="compute"/> with recording paused, then reports the operation <paramref name="name"/> on
    /// <paramref name="inputs"/> with its output and <paramref name="details"/> (the operation's settings).
    /// </summary>
    public Tensor Op(string name, IReadOnlyList<Tensor> inputs, Func<Tensor> compute, object? details = null)
    {
        var output = RunPaused(compute);
        Recorded(name, inputs, output, details);
        return output;
    }

    /// <summary>Runs <paramref name="compute"/> with recording paused.</summary>
    protected Tensor RunPaused(Func<Tensor> compute)
    {
        _paused++;
        try
        {
            return compute();
        }
        finally
        {
            _paused--;
        }
    }

    /// <summary>Receives an operation: its name (add, concat, flatten, reshape, relu, avg_pool2d, adaptive_avg_pool2d, normalize, mul_scalar), inputs, output and details.</summary>
    protected abstract void Recorded(string name, IReadOnlyList<Tensor> inputs, Tensor output, object? details);
}

/// <summary>The settings of an average pooling, as an <see cref="OpTrace"/> receives them.</summary>
public sealed record AvgPoolDetails((int H, int W) Kernel, (int H, int W) Stride, (int H, int W) Padding, bool CeilMode, bool CountIncludePad);
