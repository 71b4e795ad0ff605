using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Striate.Tensors;
using Striate.Threading;

namespace Striate.Bench;

/// <summary>A workload whose peak resident set is measured, each side in a process of its own.</summary>
/// <param name="Name">The row's name (what --filter matches), "peak memory " and the timed workload's name.</param>
/// <param name="Steps">Steps run after the warm-up; the peak is the highest resident set over warm-up and steps.</param>
/// <param name="Warmup">Warm-up steps where the run's count is too many (a step that is a whole epoch).</param>
public sealed record MemoryWorkload(string Name, int Steps, Func<Side> Striate, Func<Side> Torch, int? Warmup = null);

/// <summary>What one side's child process reports: bytes resident before the workload was built, and the peak after it ran.</summary>
/// <param name="PeakReset">Whether the high-water mark was reset after the baseline was read (otherwise it includes start-up).</param>
/// <param name="ForeignFiles">Files of the other library found mapped into the process (none is expected).</param>
/// <param name="TensorPoolBytes">Striate only: bytes the tensor buffer pool holds after the last step.</param>
/// <param name="ManagedHeapBytes">Striate only: bytes on the managed heap after the last step, the pool included.</param>
public sealed record MemorySide(long BaselineBytes, long PeakBytes, bool PeakReset, string[] ForeignFiles, long? TensorPoolBytes = null, long? ManagedHeapBytes = null)
{
    /// <summary>Peak minus baseline: what building and running the workload added.</summary>
    [JsonIgnore]
    public long WorkloadBytes => PeakBytes - BaselineBytes;
}

/// <summary>A measured peak-memory row; <see cref="Error"/> says why it has no figures.</summary>
public sealed record MemoryRow(string Name, MemorySide? Striate, MemorySide? Torch, string? Error)
{
    /// <summary>Striate's peak resident set over libtorch's: at most 1 means Striate needs no more memory.</summary>
    public double PeakRatio => Striate is { } s && Torch is { } t ? s.PeakBytes / (double)t.PeakBytes : double.NaN;

    /// <summary>The same ratio for peak minus baseline.</summary>
    public double WorkloadRatio => Striate is { } s && Torch is { } t ? s.WorkloadBytes / (double)t.WorkloadBytes : double.NaN;
}

/// <summary>
/// Peak memory of a workload in Striate and in libtorch. The bench launches itself once per side with
/// <c>--peak-memory-child NAME striate|libtorch</c>: that process reads its resident set, resets the high-water mark,
/// builds the workload, runs the warm-up and a few steps, and prints a <see cref="MemorySide"/> as one JSON line.
/// A separate process per side keeps each library's memory (and libtorch's native library) out of the other's figure;
/// the Striate side never touches a TorchSharp type, so TorchSharp is not even loaded there.
/// </summary>
public static class PeakMemory
{
    /// <summary>The option that makes the bench run one side of one workload and exit.</summary>
    public const string ChildOption = "--peak-memory-child";

    /// <summary>The measured workloads: in quick mode only the cheap ones.</summary>
    public static List<MemoryWorkload> All(bool quick)
    {
        int resNetBatch = quick ? 16 : 64;
        var list = new List<MemoryWorkload>
        {
            new("peak memory LeNet-5 train step b64 (Adam)", 20, () => Workloads.StriateLeNetTrain(64), () => Workloads.TorchLeNetTrain(64)),
            new($"peak memory ResNet-18 (CIFAR stem) train step b{resNetBatch} [3,32,32] (Adam)", 3,
                () => Workloads.StriateResNet18Train(resNetBatch), () => Workloads.TorchResNet18Train(resNetBatch)),
            new("peak memory ResNet-18 224x224 inference b1 (eval, no grad)", 10,
                () => Workloads.StriateResNet18Inference(1), () => Workloads.TorchResNet18Inference(1)),
        };
        if (!quick)
        {
            list.Add(new("peak memory ResNet-18 224x224 inference b16 (eval, no grad)", 4,
                () => Workloads.StriateResNet18Inference(16), () => Workloads.TorchResNet18Inference(16)));
            // The whole main job: the data set in memory, the DataLoader's workers and queue (Striate), one epoch.
            list.Add(new("peak memory LeNet-5 epoch on Fashion-MNIST (60,000 images, b64, Adam)", 1,
                EpochWorkloads.StriateEpoch, EpochWorkloads.TorchEpoch, Warmup: 0));
        }
        return list;
    }

    /// <summary>Measures both sides of <paramref name="w"/>, Striate first, each in a fresh child process.</summary>
    public static MemoryRow Measure(MemoryWorkload w, bool quick, int threads, int warmup, TimeSpan timeout)
    {
        if (ResidentSet.Unavailable is { } why) return new MemoryRow(w.Name, null, null, why);
        try
        {
            var s = RunChild(w.Name, "striate", quick, threads, warmup, timeout);
            if (s.ForeignFiles.Length > 0)
                return new MemoryRow(w.Name, s, null, $"the Striate process had loaded {string.Join(", ", s.ForeignFiles)}");
            var t = RunChild(w.Name, "libtorch", quick, threads, warmup, timeout);
            return new MemoryRow(w.Name, s, t, null);
        }
        catch (InvalidOperationException e)
        {
            return new MemoryRow(w.Name, null, null, e.Message);
        }
    }

    private static MemorySide RunChild(string name, string side, bool quick, int threads, int warmup, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Launched through the apphost, the process path is the bench itself; through `dotnet Striate.Bench.dll`, it is
        // the dotnet host, which wants the assembly first.
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("peak memory: the bench's own executable path is unknown.");
        psi.FileName = host;
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            psi.ArgumentList.Add(typeof(PeakMemory).Assembly.Location);
        foreach (var a in new[] { ChildOption, name, side, "--threads", threads.ToString(CultureInfo.InvariantCulture), "--warmup", warmup.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        if (quick) psi.ArgumentList.Add("--quick");

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"peak memory: could not start {host}.");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"peak memory: the {side} process for '{name}' ran past {timeout.TotalSeconds:F0} s.");
        }
        string output = stdout.Result, errors = stderr.Result;
        string? last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (p.ExitCode != 0 || last is null || !last.StartsWith('{'))
            throw new InvalidOperationException($"peak memory: the {side} process for '{name}' exited with {p.ExitCode}: {FirstLine(errors) ?? last ?? "no output"}");
        return JsonSerializer.Deserialize<MemorySide>(last)
            ?? throw new InvalidOperationException($"peak memory: the {side} process for '{name}' printed '{last}'.");
    }

    private static string? FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();

    /// <summary>
    /// The child process: <c>--peak-memory-child NAME striate|libtorch [--threads N] [--warmup N] [--quick]</c>.
    /// Prints one JSON line and returns 0, or writes an error and returns 2.
    /// </summary>
    public static int RunChild(string[] args)
    {
        if (args.Length < 2 || args[1] is not ("striate" or "libtorch"))
        {
            Console.Error.WriteLine($"{ChildOption} expects a workload name and 'striate' or 'libtorch', found '{string.Join(' ', args)}'.");
            return 2;
        }
        string name = args[0];
        bool striate = args[1] == "striate", quick = args.Contains("--quick");
        int threads = IntOption(args, "--threads") ?? Environment.ProcessorCount, warmup = IntOption(args, "--warmup") ?? 3;
        var w = All(quick).FirstOrDefault(m => m.Name == name) ?? All(!quick).FirstOrDefault(m => m.Name == name);
        if (w is null)
        {
            Console.Error.WriteLine($"{ChildOption}: no peak-memory workload named '{name}'.");
            return 2;
        }
        if (ResidentSet.Unavailable is { } why)
        {
            Console.Error.WriteLine($"{ChildOption}: {why}.");
            return 2;
        }

        var (baseline, _) = ResidentSet.Read();
        bool reset = ResidentSet.TryResetPeak();
        if (striate) Parallelism.Threads = threads;
        else TorchInfo.SetThreads(threads);
        long? pool = null, heap = null;
        using (var side = striate ? w.Striate() : w.Torch())
        {
            for (int i = 0; i < (w.Warmup ?? warmup) + w.Steps; i++) side.Step();
            if (striate)
            {
                pool = BufferPool.PooledBytes;
                heap = GC.GetTotalMemory(forceFullCollection: false);
            }
        }
        var (_, peak) = ResidentSet.Read();
        string[] foreign = striate ? ResidentSet.MappedFiles("TorchSharp", "libtorch") : [];
        Console.WriteLine(JsonSerializer.Serialize(new MemorySide(baseline, peak, reset, foreign, pool, heap)));
        return 0;
    }

    private static int? IntOption(string[] args, string option)
    {
        int i = Array.IndexOf(args, option);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out int v) && v >= 0 ? v : null;
    }

    /// <summary>The peak-memory table in Markdown (MiB = 2^20 bytes).</summary>
    public static string Table(IReadOnlyList<MemoryRow> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| Workload | Striate peak (baseline) MiB | libtorch peak (baseline) MiB | Striate peak - baseline | libtorch peak - baseline | Striate tensor pool / managed heap at the end | Peak ratio | Peak - baseline ratio |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            if (r.Striate is not { } s || r.Torch is not { } t)
            {
                sb.AppendLine($"| {r.Name} | not measured: {r.Error} | | | | | | |");
                continue;
            }
            sb.AppendLine($"| {r.Name} | {M(s.PeakBytes)} ({M(s.BaselineBytes)}) | {M(t.PeakBytes)} ({M(t.BaselineBytes)}) | {M(s.WorkloadBytes)} | {M(t.WorkloadBytes)} | {M(s.TensorPoolBytes)} / {M(s.ManagedHeapBytes)} | {r.PeakRatio:F2} | {r.WorkloadRatio:F2} |");
        }
        return sb.ToString().TrimEnd();

        static string M(long? bytes) => bytes is { } b ? (b / 1048576.0).ToString("N0", CultureInfo.InvariantCulture) : "?";
    }
}
