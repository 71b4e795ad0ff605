using System.Diagnostics;

namespace Striate.Bench;

/// <summary>One side of a workload: a step to time and whatever it holds, released by Dispose.</summary>
public sealed class Side(Action step, Action? dispose = null) : IDisposable
{
    public Action Step { get; } = step;

    public void Dispose() => dispose?.Invoke();
}

/// <summary>A workload measured in both libraries: how much work one step does, in <see cref="Unit"/>.</summary>
public sealed record Workload(string Name, string Unit, double WorkPerStep, Func<Side> Striate, Func<Side> Torch);

/// <summary>Throughput of one side over the timed repeats (work per second).</summary>
public sealed record Stats(double Median, double Min, double Max, int Repeats, int StepsPerRepeat);

/// <summary>One row of the results: both sides and the ratio of their medians (Striate / libtorch).</summary>
public sealed record Row(string Name, string Unit, Stats Striate, Stats Torch)
{
    public double Ratio => Striate.Median / Torch.Median;
}

/// <summary>A value measured on the Striate side only (memory).</summary>
public sealed record Extra(string Name, string Unit, double Value);

public static class Harness
{
    /// <summary>
    /// Builds both sides, warms each up, picks a step count per repeat so one repeat lasts about
    /// <paramref name="targetSeconds"/>, then times the repeats alternately: Striate, libtorch, Striate, ...
    /// </summary>
    public static Row Measure(Workload w, int repeats, double targetSeconds, int warmup)
    {
        // Earlier workloads leave garbage behind (a CIFAR ResNet-18 run about a gigabyte): collect it now, blocking,
        // so that a background collection does not take a core during this workload's timed steps.
        Settle();
        using var s = w.Striate();
        using var t = w.Torch();
        for (int i = 0; i < warmup; i++)
        {
            s.Step();
            t.Step();
        }

        // Then at least half a second each, so .NET's tiered compilation has promoted the hot methods to optimised
        // code before anything is timed (a few steps of a small workload run mostly unoptimised code).
        Warm(s, 0.5);
        Warm(t, 0.5);
        int ns = StepsFor(s, targetSeconds), nt = StepsFor(t, targetSeconds);
        Settle();
        var ts = new double[repeats];
        var tt = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            ts[r] = w.WorkPerStep * ns / Time(s, ns);
            tt[r] = w.WorkPerStep * nt / Time(t, nt);
        }
        return new Row(w.Name, w.Unit, Summarise(ts, ns), Summarise(tt, nt));
    }

    private static void Settle()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
    }

    private static void Warm(Side side, double seconds)
    {
        long start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start).TotalSeconds < seconds) side.Step();
    }

    private static int StepsFor(Side side, double targetSeconds)
    {
        double one = Time(side, 1);
        return Math.Clamp((int)Math.Round(targetSeconds / Math.Max(one, 1e-7)), 1, 10000);
    }

    private static double Time(Side side, int steps)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < steps; i++) side.Step();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static Stats Summarise(double[] values, int steps)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new Stats(median, sorted[0], sorted[^1], n, steps);
    }
}
