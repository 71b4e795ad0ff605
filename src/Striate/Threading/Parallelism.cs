using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Striate.Threading;

/// <summary>
/// The number of threads the CPU kernels may use, and the fork/join they split work with. Kernels split work only
/// over independent outputs (batch, channel, tile, row block), never over a reduction, so results are bit-identical
/// for any value.
/// </summary>
/// <remarks>
/// A fork/join through <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/> cost about 60 microseconds
/// on the 2-core machine when the thread pool's worker had gone idle between calls (measured: two 50-microsecond
/// items, a short pause between calls), and ResNet-18 at batch 1 makes about 50 of them per image. The kernels
/// use <see cref="For"/> instead: helper threads of their own wait for work by spinning for a short while before they
/// sleep, so back-to-back regions start in about a microsecond.
/// </remarks>
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
        For(threads, threads, t => body((int)((long)t * count / threads), (int)((long)(t + 1) * count / threads)));
    }

    /// <summary>
    /// Runs body(i) once for every i in [0, count), on up to <paramref name="maxThreads"/> threads (and no more than
    /// <see cref="Threads"/>); the indices are handed out one at a time, in order, to whichever thread is free. A call
    /// made while another is in progress (from inside a body, or from a second caller thread) runs its indices on its
    /// own thread, in order. An exception from a body is rethrown on the calling thread once every thread has stopped.
    /// </summary>
    internal static void For(int count, int maxThreads, Action<int> body)
    {
        int threads = Math.Min(Math.Min(_threads, maxThreads), count);
        if (threads <= 1 || !ForkJoin.TryEnter())
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        ForkJoin.Run(count, threads - 1, body);
    }

    /// <summary>
    /// The helper threads: each waits for a new region by watching a generation counter, spinning for
    /// <see cref="SpinMicroseconds"/> and then sleeping on its semaphore. One region runs at a time.
    /// </summary>
    private static class ForkJoin
    {
        /// <summary>How long an idle helper keeps spinning before it sleeps (the kernels' gaps are mostly shorter).</summary>
        private const double SpinMicroseconds = 300;

        private static readonly object s_grow = new();
        private static Helper[] s_helpers = [];
        private static int s_busy;

        // The region in progress: its body, count, next index, and the helpers still working on it.
        private static Action<int>? s_body;
        private static int s_count;
        private static int s_next;
        private static int s_active;
        private static long s_generation;
        private static int s_wanted;
        private static ExceptionDispatchInfo? s_error;

        public static bool TryEnter() => Interlocked.CompareExchange(ref s_busy, 1, 0) == 0;

        // Runs a region with the caller and `helpers` helper threads; the caller holds s_busy, released here.
        public static void Run(int count, int helpers, Action<int> body)
        {
            try
            {
                var pool = Helpers(helpers);
                s_body = body;
                s_count = count;
                s_error = null;
                Volatile.Write(ref s_next, 0);
                Volatile.Write(ref s_active, helpers);
                Volatile.Write(ref s_wanted, helpers);
                Interlocked.Increment(ref s_generation);
                for (int h = 0; h < helpers; h++) pool[h].Wake();
                Work();
                var spin = new SpinWait();
                while (Volatile.Read(ref s_active) > 0) spin.SpinOnce(sleep1Threshold: -1);
                s_body = null;
                s_error?.Throw();
            }
            finally
            {
                Volatile.Write(ref s_busy, 0);
            }
        }

        // Takes indices until none are left (every thread of the region, the caller included).
        private static void Work()
        {
            var body = s_body!;
            int count = s_count;
            try
            {
                for (int i = Interlocked.Increment(ref s_next) - 1; i < count; i = Interlocked.Increment(ref s_next) - 1)
                    body(i);
            }
            catch (Exception e)
            {
                // Stop handing out indices; keep the first failure.
                Volatile.Write(ref s_next, count);
                Interlocked.CompareExchange(ref s_error, ExceptionDispatchInfo.Capture(e), null);
            }
        }

        private static Helper[] Helpers(int wanted)
        {
            var pool = s_helpers;
            if (pool.Length >= wanted) return pool;
            lock (s_grow)
            {
                pool = s_helpers;
                if (pool.Length < wanted)
                {
                    var grown = new Helper[wanted];
                    pool.CopyTo(grown, 0);
                    for (int h = pool.Length; h < wanted; h++) grown[h] = new Helper(h);
                    s_helpers = pool = grown;
                }
                return pool;
            }
        }

        private sealed class Helper
        {
            private readonly SemaphoreSlim _wake = new(0);
            private readonly int _index;
            private readonly long _firstSeen;
            private int _sleeping;

            // Made by the caller before it starts a region: the generation read here is the one before that region's.
            public Helper(int index)
            {
                _index = index;
                _firstSeen = Volatile.Read(ref s_generation);
                new Thread(Loop) { IsBackground = true, Name = $"Striate CPU {index + 1}" }.Start();
            }

            // Called after the generation moved: wakes the helper if it went to sleep.
            public void Wake()
            {
                if (Interlocked.Exchange(ref _sleeping, 0) == 1) _wake.Release();
            }

            // Optimised from the start: the loop never returns, so it would otherwise run unoptimised code until
            // on-stack replacement, in the path every region's start goes through.
            [MethodImpl(MethodImplOptions.AggressiveOptimization)]
            private void Loop()
            {
                long seen = _firstSeen;
                while (true)
                {
                    long start = Stopwatch.GetTimestamp();
                    long now;
                    while ((now = Volatile.Read(ref s_generation)) == seen)
                    {
                        if (Stopwatch.GetElapsedTime(start).TotalMicroseconds < SpinMicroseconds)
                        {
                            Thread.SpinWait(30);
                            continue;
                        }
                        // Sleep: say so, look once more (a region may have begun meanwhile), then wait. A wake-up
                        // meant for an earlier look just goes round the loop again.
                        Interlocked.Exchange(ref _sleeping, 1);
                        if (Volatile.Read(ref s_generation) == seen) _wake.Wait();
                        Volatile.Write(ref _sleeping, 0);
                        start = Stopwatch.GetTimestamp();
                    }
                    seen = now;
                    // A region wants the first s_wanted helpers; the others sit it out.
                    if (_index >= Volatile.Read(ref s_wanted)) continue;
                    Work();
                    Interlocked.Decrement(ref s_active);
                }
            }
        }
    }
}
