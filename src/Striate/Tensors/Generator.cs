namespace Striate.Tensors;

/// <summary>
/// A seeded, counter-based random generator: value i of a draw is a hash of (seed, offset + i), so a draw
/// filled by any number of threads, in any order, gives the same numbers. The whole state is (Seed, Offset),
/// which a checkpoint stores to resume a run bit-for-bit.
/// </summary>
public sealed class Generator
{
    /// <summary>Creates a generator at the start of the stream of <paramref name="seed"/>.</summary>
    public Generator(ulong seed, ulong offset = 0)
    {
        Seed = seed;
        Offset = offset;
    }

    public ulong Seed { get; }

    private static Generator s_default = new(0);

    /// <summary>
    /// The generator layers draw their initial weights from when none is given: seeded with 0 at start-up and
    /// reseeded by <see cref="ManualSeed"/>, as torch.manual_seed does.
    /// </summary>
    public static Generator Default => s_default;

    /// <summary>Restarts <see cref="Default"/> at the stream of <paramref name="seed"/>.</summary>
    public static void ManualSeed(ulong seed) => s_default = new Generator(seed);

    /// <summary>How many 64-bit values have been drawn so far.</summary>
    public ulong Offset { get; set; }

    /// <summary>A new generator whose stream is independent of this one's (for a worker, a layer, an epoch).</summary>
    public Generator Fork(ulong stream) => new(Mix(Seed ^ Mix(stream + 0x632BE59BD9B4E019UL)));

    /// <summary>Reserves <paramref name="count"/> values and returns the counter of the first.</summary>
    public ulong Advance(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ulong start = Offset;
        Offset += (ulong)count;
        return start;
    }

    /// <summary>The 64-bit value at <paramref name="counter"/> of the stream of <paramref name="seed"/>.</summary>
    public static ulong Bits(ulong seed, ulong counter) => Mix(seed * 0x9E3779B97F4A7C15UL + Mix(counter ^ 0xD1B54A32D192ED03UL));

    /// <summary>Uniform in [0, 1) with 24 random bits, from one counter.</summary>
    public static float UniformAt(ulong seed, ulong counter) => (Bits(seed, counter) >> 40) * (1.0f / (1 << 24));

    /// <summary>Uniform in (0, 1] with 53 random bits, from one counter.</summary>
    public static double UniformOpen(ulong seed, ulong counter) => ((Bits(seed, counter) >> 11) + 1) * (1.0 / (1UL << 53));

    /// <summary>An integer uniform in [0, <paramref name="maxExclusive"/>) from one counter.</summary>
    public static int IntAt(ulong seed, ulong counter, int maxExclusive) =>
        (int)(((Bits(seed, counter) >> 32) * (ulong)maxExclusive) >> 32);

    /// <summary>A standard normal value (Box-Muller on two sub-streams of one counter).</summary>
    public static float NormalAt(ulong seed, ulong counter)
    {
        double u1 = UniformOpen(seed, 2 * counter);
        double u2 = UniformOpen(seed, 2 * counter + 1);
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }

    /// <summary>Next uniform float in [0, 1).</summary>
    public float NextFloat() => UniformAt(Seed, Advance(1));

    /// <summary>Next standard normal float.</summary>
    public float NextNormal() => NormalAt(Seed, Advance(1));

    /// <summary>Next integer uniform in [0, <paramref name="maxExclusive"/>).</summary>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxExclusive, 1);
        return IntAt(Seed, Advance(1), maxExclusive);
    }

    /// <summary>Fills <paramref name="dst"/> with uniform values in [low, high).</summary>
    public void FillUniform(Span<float> dst, float low, float high)
    {
        ulong start = Advance(dst.Length);
        ulong seed = Seed;
        float range = high - low;
        Fill(dst, (part, first) =>
        {
            for (int i = 0; i < part.Length; i++)
                part[i] = low + range * UniformAt(seed, start + (ulong)(first + i));
        });
    }

    /// <summary>Fills <paramref name="dst"/> with normal values of the given mean and standard deviation.</summary>
    public void FillNormal(Span<float> dst, float mean, float std)
    {
        ulong start = Advance(dst.Length);
        ulong seed = Seed;
        Fill(dst, (part, first) =>
        {
            for (int i = 0; i < part.Length; i++)
                part[i] = mean + std * NormalAt(seed, start + (ulong)(first + i));
        });
    }

    private delegate void FillRange(Span<float> part, int first);

    private const int ParallelFillMinimum = 1 << 20;

    /// <summary>
    /// Runs <paramref name="fill"/> over <paramref name="dst"/>, split across threads when it is large (the weights
    /// of a big layer); each value depends only on its counter, so the split does not change the result.
    /// </summary>
    private static unsafe void Fill(Span<float> dst, FillRange fill)
    {
        int parts = Math.Min(Threading.Parallelism.Threads, dst.Length / (ParallelFillMinimum / 2));
        if (parts <= 1)
        {
            fill(dst, 0);
            return;
        }
        int n = dst.Length;
        fixed (float* p = dst)
        {
            nint address = (nint)p;
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            {
                int first = (int)((long)n * part / parts), last = (int)((long)n * (part + 1) / parts);
                fill(new Span<float>((float*)address + first, last - first), first);
            });
        }
    }

    /// <summary>A random permutation of 0..n-1 (Fisher-Yates driven by this stream).</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        ulong start = Advance(n);
        for (int i = n - 1; i > 0; i--)
        {
            int j = IntAt(Seed, start + (ulong)i, i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    private static ulong Mix(ulong z)
    {
        // SplitMix64's finaliser: a bijection with full avalanche.
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
