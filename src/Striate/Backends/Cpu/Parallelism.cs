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

    /// <summary>
    /// Runs body(start, end) over [0, count) split into contiguous ranges, one per thread, when the work is worth
    /// it; each index is processed by exactly one call, so results cannot depend on the split.
    /// </summary>
    internal static void ForRanges(int count, long workPerItem, Action<int, int> body)
    {
        int threads = Math.Min(_threads, count);
        if (threads <= 1 || count * workPerItem < 65536)
        {
            body(0, count);
            return;
        }
        Parallel.For(0, threads, Options(threads), t => body((int)((long)t * count / threads), (int)((long)(t + 1) * count / threads)));
    }

    internal static ParallelOptions Options(int maxUseful) =>
        new() { MaxDegreeOfParallelism = Math.Max(1, Math.Min(_threads, maxUseful)) };
}
