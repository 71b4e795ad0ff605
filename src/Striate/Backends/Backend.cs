using Striate.Backends.Cpu;

namespace Striate.Backends;

/// <summary>The backend the ops dispatch to; the managed CPU backend unless replaced.</summary>
public static class Backend
{
    private static IBackend _current = new CpuBackend();

    /// <summary>The active backend.</summary>
    public static IBackend Current
    {
        get => _current;
        set => _current = value ?? throw new ArgumentNullException(nameof(value));
    }
}
