namespace Striate.Tensors;

/// <summary>
/// A cap on the tensor memory the current thread may allocate while a limit is open: what reads an untrusted file
/// and builds from it (a checkpoint's model spec) opens one sized by what the file holds, so a spec that asks for
/// far more than the file could fill fails at once instead of allocating gigabytes first. An inner limit replaces the
/// outer one while it is open; closing it restores the outer one as it was. Outside any limit nothing is counted.
/// </summary>
public static class AllocationLimit
{
    // How many limits are open on any thread: while none is, an allocation pays one static read, not a thread-local one.
    private static int s_open;

    [ThreadStatic] private static long t_left;
    [ThreadStatic] private static bool t_open;

    /// <summary>Allows at most <paramref name="elements"/> more floats on this thread until the result is disposed.</summary>
    public static IDisposable Open(long elements)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elements);
        var outer = new Scope(t_open, t_left);
        Interlocked.Increment(ref s_open);
        t_open = true;
        t_left = elements;
        return outer;
    }

    internal static void Charge(int length)
    {
        if (Volatile.Read(ref s_open) == 0 || !t_open) return;
        t_left -= length;
        if (t_left < 0)
            throw new AllocationLimitExceededException($"allocating {length:N0} more values goes past the limit set for this operation.");
    }

    private sealed class Scope(bool wasOpen, long left) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            Interlocked.Decrement(ref s_open);
            t_open = wasOpen;
            t_left = left;
        }
    }
}

/// <summary>Thrown when an allocation goes past the <see cref="AllocationLimit"/> open on its thread.</summary>
public sealed class AllocationLimitExceededException(string message) : InvalidOperationException(message);
