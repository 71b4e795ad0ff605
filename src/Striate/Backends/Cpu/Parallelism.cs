namespace Striate.Backends.Cpu;

/// <summary>
/// The number of threads the CPU kernels may use. Kernels split work only over independent outputs
/// (batch, channel, tile, row block), never over a reduction, so results are bit-identical for any value.
/// </summary>
public static class Parallelism
{
    private static int _threads = Environment.ProcessorCount;

    /// <summary>Threads used by CPU kernels; defaults to the processor count.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public static int Threads
    {
        get => _threads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(Threads));
            _threads = value;
        }
    }

    internal static ParallelOptions Options(int maxUseful) =>
        new() { MaxDegreeOfParallelism = Math.Max(1, Math.Min(_threads, maxUseful)) };
}
