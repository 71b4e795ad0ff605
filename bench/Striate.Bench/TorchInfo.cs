using System.Runtime.CompilerServices;
using TorchSharp;

namespace Striate.Bench;

/// <summary>
/// The few libtorch calls the bench's top-level code makes, kept behind methods that are never inlined: the
/// top-level code also starts the Striate side of a peak-memory row, and compiling it must not load TorchSharp there.
/// </summary>
public static class TorchInfo
{
    /// <summary>libtorch's version string.</summary>
    public static string Version
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        get => torch.__version__;
    }

    /// <summary>TorchSharp's assembly version.</summary>
    public static string? TorchSharpVersion
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        get => typeof(torch).Assembly.GetName().Version?.ToString();
    }

    /// <summary>Sets libtorch's intra-op thread count.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void SetThreads(int threads) => torch.set_num_threads(threads);
}
