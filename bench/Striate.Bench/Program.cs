using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Striate.Bench;
using Striate.Threading;
using TorchSharp;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
// One side of one peak-memory row, in a process of its own (see PeakMemory); first, before anything touches libtorch.
if (args.Length > 0 && args[0] == PeakMemory.ChildOption) return PeakMemory.RunChild(args[1..]);

string? filter = null;
int threads = Environment.ProcessorCount;
bool quick = false, json = false, checkOnly = false, onnxRuntime = false;
int? repeatsOption = null, warmupOption = null;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--filter" when i + 1 < args.Length: filter = args[++i]; break;
        case "--threads" when i + 1 < args.Length && int.TryParse(args[i + 1], out int n) && n >= 1: threads = n; i++; break;
        case "--repeats" when i + 1 < args.Length && int.TryParse(args[i + 1], out int r) && r >= 1: repeatsOption = r; i++; break;
        case "--warmup" when i + 1 < args.Length && int.TryParse(args[i + 1], out int wu) && wu >= 0: warmupOption = wu; i++; break;
        case "--quick": quick = true; break;
        case "--json": json = true; break;
        case "--check-libtorch": checkOnly = true; break;
        case "--onnx-runtime": onnxRuntime = true; break;
        case "-h" or "--help":
            Console.WriteLine("Striate.Bench [--filter SUBSTRING] [--threads N] [--quick] [--json] [--repeats N] [--warmup N]");
            Console.WriteLine("Striate.Bench --check-libtorch [--threads N]");
            Console.WriteLine("Striate.Bench --onnx-runtime [--threads N] [--quick] [--filter MODEL]");
            Console.WriteLine("Times each workload in Striate and in TorchSharp (libtorch CPU), alternately, and writes");
            Console.WriteLine("bench/results/<date>-<machine>.json and docs/PERFORMANCE.md. Peak-memory rows run each side in a");
            Console.WriteLine("process of its own (the bench started again with --peak-memory-child NAME striate|libtorch).");
            Console.WriteLine("--check-libtorch only checks libtorch's float32 convolutions on this host against float64 loops, prints");
            Console.WriteLine("the CPU and the errors found, and exits 1 when float32 results are wrong (0 when they agree).");
            Console.WriteLine("--onnx-runtime times inference on zoo models exported to ONNX: ONNX Runtime, Striate's InferenceSession on the");
            Console.WriteLine("native model and on the model imported from the file, alternately; prints a markdown table.");
            return 0;
        default:
            Console.Error.WriteLine($"Unknown or incomplete option '{args[i]}'. Try --help.");
            return 2;
    }
}

int repeats = repeatsOption ?? (quick ? 5 : 10), warmup = warmupOption ?? (quick ? 2 : 3);
double target = quick ? 0.15 : 0.5;
Parallelism.Threads = threads;
TorchInfo.SetThreads(threads);
var cpu = HostCpu.Read();
if (checkOnly)
{
    Console.WriteLine($"CPU: {cpu}");
    Console.WriteLine($"libtorch {TorchInfo.Version}, {threads} thread(s); each float32 check runs 10 times, float64 once");
    var check = LibTorchCheck.Run(runs: 10, large: true);
    Console.WriteLine(check.Table());
    Console.WriteLine(check.Summary());
    if (check.Float64Wrong) Console.WriteLine("libtorch's float64 results are wrong too: the oracle tests' reference cannot be trusted on this host.");
    return check.Float32Wrong || check.Float64Wrong ? 1 : 0;
}
if (onnxRuntime)
{
    Console.WriteLine($"Striate vs ONNX Runtime 1.32.0, {threads} thread(s), {(quick ? "quick" : "full")} mode, CPU: {cpu}");
    Console.WriteLine(OnnxRuntimeComparison.Run(threads, repeats, target, warmup, filter, Console.Out));
    return 0;
}
string load0 = LoadAverage();
var started = DateTime.UtcNow;
var log = json ? Console.Error : Console.Out;
log.WriteLine($"Striate vs libtorch {TorchInfo.Version} (TorchSharp), {threads} thread(s), {(quick ? "quick" : "full")} mode, CPU: {cpu}");

bool Selected(string name) => filter is null || name.Contains(filter, StringComparison.OrdinalIgnoreCase);

// Memory first, before libtorch has allocated anything, so the working set is Striate's alone.
var extras = new List<Extra>();
const string memoryName = "memory LeNet-5 train step b64 (Striate)";
if (Selected(memoryName))
{
    using var side = Workloads.StriateLeNetTrain(64);
    // Long enough for tiered compilation to settle: its background recompiles allocate too.
    for (int i = 0; i < 60; i++) side.Step();
    const int steps = 40;
    GC.Collect();
    long before = GC.GetTotalAllocatedBytes(precise: true);
    for (int i = 0; i < steps; i++) side.Step();
    long after = GC.GetTotalAllocatedBytes(precise: true);
    using var self = Process.GetCurrentProcess();
    self.Refresh();
    extras.Add(new Extra("managed bytes allocated per LeNet-5 train step b64 (steady state, Striate)", "bytes", (after - before) / (double)steps));
    extras.Add(new Extra("peak working set after Striate LeNet-5 training, before libtorch work", "MiB", self.PeakWorkingSet64 / 1048576.0));
    foreach (var e in extras) log.WriteLine($"{e.Name}: {e.Value:N0} {e.Unit}");
}

// libtorch is timed in float32, what users run; first its float32 convolutions are checked against float64 loops.
var libtorchCheck = LibTorchCheck.Run(runs: 3, large: false);
log.WriteLine(libtorchCheck.Summary());
if (libtorchCheck.Float32Wrong) log.WriteLine(libtorchCheck.Table());

var rows = new List<Row>();
foreach (var w in Workloads.All(quick).Where(w => Selected(w.Name)))
{
    var row = Harness.Measure(w, repeats, target, warmup);
    rows.Add(row);
    log.WriteLine($"{row.Name,-58} Striate {row.Striate.Median,10:F1}  libtorch {row.Torch.Median,10:F1} {row.Unit,-9} ratio {row.Ratio:F2}");
}
// Peak memory: each side in a child process of its own, after the timed rows so it cannot disturb their timings.
var memoryRows = new List<MemoryRow>();
foreach (var m in PeakMemory.All(quick).Where(m => Selected(m.Name)))
{
    var row = PeakMemory.Measure(m, quick, threads, warmup, TimeSpan.FromMinutes(5));
    memoryRows.Add(row);
    log.WriteLine(row.Error is null
        ? $"{row.Name,-58} Striate {row.Striate!.PeakBytes / 1048576.0,7:N0} MiB  libtorch {row.Torch!.PeakBytes / 1048576.0,7:N0} MiB  peak ratio {row.PeakRatio:F2}"
        : $"{row.Name,-58} not measured: {row.Error}");
}
using (var self = Process.GetCurrentProcess())
{
    self.Refresh();
    extras.Add(new Extra("peak working set of the whole run (both libraries)", "MiB", self.PeakWorkingSet64 / 1048576.0));
}
string load1 = LoadAverage();

string table = Table(rows, extras);
log.WriteLine();
log.WriteLine(table);
if (memoryRows.Count > 0)
{
    log.WriteLine();
    log.WriteLine(PeakMemory.Table(memoryRows));
}

var result = new
{
    date = started.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"),
    machine = Environment.MachineName,
    cpu = cpu.ModelName,
    cpuVendor = cpu.Vendor,
    cpuFamily = cpu.Family,
    cpuModelNumber = cpu.Model,
    avx512 = cpu.Avx512,
    logicalProcessors = Environment.ProcessorCount,
    threads,
    mode = quick ? "quick" : "full",
    repeats,
    filter,
    dotnet = Environment.Version.ToString(),
    libtorch = TorchInfo.Version,
    torchSharp = TorchInfo.TorchSharpVersion,
    loadAverageStart = load0,
    loadAverageEnd = load1,
    ompWaitPolicy = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY"),
    libtorchFloat32Check = new
    {
        wrong = libtorchCheck.Float32Wrong,
        float64Wrong = libtorchCheck.Float64Wrong,
        summary = libtorchCheck.Summary(),
        findings = libtorchCheck.Findings.Select(f => new
        {
            @case = f.Case, quantity = f.Quantity, runs = f.Runs, wrongRuns = f.WrongRuns,
            worstFloat32 = double.IsFinite(f.WorstFloat32) ? f.WorstFloat32 : (double?)null,
            worstFloat64 = double.IsFinite(f.WorstFloat64) ? f.WorstFloat64 : (double?)null, sawNaN = f.SawNaN,
        }),
    },
    workloads = rows.Select(r => new
    {
        name = r.Name, unit = r.Unit, ratio = r.Ratio,
        striate = new { median = r.Striate.Median, min = r.Striate.Min, max = r.Striate.Max, repeats = r.Striate.Repeats, stepsPerRepeat = r.Striate.StepsPerRepeat },
        libtorch = new { median = r.Torch.Median, min = r.Torch.Min, max = r.Torch.Max, repeats = r.Torch.Repeats, stepsPerRepeat = r.Torch.StepsPerRepeat },
    }),
    extras = extras.Select(e => new { name = e.Name, unit = e.Unit, value = e.Value }),
    peakMemory = memoryRows.Select(m => new
    {
        name = m.Name, error = m.Error,
        peakRatio = m.Error is null ? m.PeakRatio : (double?)null, workloadRatio = m.Error is null ? m.WorkloadRatio : (double?)null,
        striate = m.Striate is { } s ? new { baselineBytes = s.BaselineBytes, peakBytes = s.PeakBytes, peakReset = s.PeakReset, tensorPoolBytes = s.TensorPoolBytes, managedHeapBytes = s.ManagedHeapBytes } : null,
        libtorch = m.Torch is { } t ? new { baselineBytes = t.BaselineBytes, peakBytes = t.PeakBytes, peakReset = t.PeakReset } : null,
    }),
};
string text = JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true });
if (json) Console.WriteLine(text);

string root = RepoRoot();
string machine = string.Concat(Environment.MachineName.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_'));
string jsonPath = Path.Combine(root, "bench", "results", $"{started:yyyy-MM-dd}-{machine}.json");
Directory.CreateDirectory(Path.GetDirectoryName(jsonPath)!);
WriteAtomically(jsonPath, text + "\n");
string mdPath = Path.Combine(root, "docs", "PERFORMANCE.md");
WriteAtomically(mdPath, Markdown());
log.WriteLine($"Wrote {Path.GetRelativePath(root, jsonPath)} and {Path.GetRelativePath(root, mdPath)}.");
return 0;

string Markdown()
{
    var sb = new StringBuilder();
    sb.AppendLine("# Performance");
    sb.AppendLine();
    sb.AppendLine("Striate against libtorch (the CPU build PyTorch uses, called through TorchSharp) on the same machine, in the same");
    sb.AppendLine("process, with the same number of threads. This file is written by the benchmark program:");
    sb.AppendLine();
    sb.AppendLine("```");
    sb.AppendLine("dotnet run -c Release --project bench/Striate.Bench -- --quick          # about 2-3 minutes");
    sb.AppendLine("dotnet run -c Release --project bench/Striate.Bench                    # full sizes, more repeats");
    sb.AppendLine("# options: --filter SUBSTRING  --threads N  --quick  --json (print the results as JSON too)  --repeats N  --warmup N");
    sb.AppendLine("```");
    sb.AppendLine();
    sb.AppendLine("Each workload is built in both libraries from the same random data, warmed up, and then timed in alternation");
    sb.AppendLine("(Striate, libtorch, Striate, ...) so that a change in machine load hits both sides alike. A repeat runs as many");
    sb.AppendLine("steps as fit in about " + target.ToString("0.##") + " s; the table gives the median throughput over the repeats with the min and max in");
    sb.AppendLine("brackets. Striate steps run inside a `TensorScope` (buffers are pooled), libtorch steps inside");
    sb.AppendLine("`torch.NewDisposeScope()`. **Ratio = Striate / libtorch throughput: above 1 means Striate is faster.**");
    sb.AppendLine();
    sb.AppendLine($"- Date: {started:yyyy-MM-dd HH:mm} UTC");
    sb.AppendLine($"- CPU: {cpu} ({Environment.ProcessorCount} logical processors)");
    sb.AppendLine($"- libtorch's float32 convolutions against float64 loops (`--check-libtorch`): {libtorchCheck.Summary()}.");
    sb.AppendLine($"- Threads: {threads} (Striate `Parallelism.Threads`, libtorch `torch.set_num_threads`)");
    sb.AppendLine($"- Mode: {(quick ? "quick (smaller GEMMs, fewer repeats)" : "full")}, {repeats} timed repeats, {warmup} warm-up steps{(filter is null ? "" : $", filter \"{filter}\"")}");
    sb.AppendLine($"- .NET {Environment.Version}, libtorch {TorchInfo.Version} via TorchSharp {TorchInfo.TorchSharpVersion}");
    sb.AppendLine($"- Load average (1, 5, 15 min) at start: {load0}; at end: {load1}. Other processes may have shared the machine");
    sb.AppendLine("  during the run, so single rows can be off by tens of percent; the alternation keeps the ratios fairer than the");
    sb.AppendLine("  absolute numbers.");
    sb.AppendLine($"- OMP_WAIT_POLICY: {Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset, libgomp's default)"}");
    sb.AppendLine($"- Raw results: `bench/results/{started:yyyy-MM-dd}-{machine}.json`");
    sb.AppendLine();
    if (libtorchCheck.Float32Wrong)
    {
        sb.AppendLine("> **Warning: libtorch's float32 convolutions returned wrong values on this host** (" + libtorchCheck.Summary() + ").");
        sb.AppendLine("> Its timings below are of the float32 code users run, but the values it computed here are not to be trusted;");
        sb.AppendLine("> see \"libtorch's float32 on AMD family 26\" below.");
        sb.AppendLine();
    }
    sb.AppendLine(table);
    sb.AppendLine();
    if (memoryRows.Count > 0)
    {
        sb.AppendLine("## Peak memory");
        sb.AppendLine();
        sb.AppendLine("Each side of a workload runs in a process of its own (the bench starts itself again with `--peak-memory-child`):");
        sb.AppendLine("it reads its resident set (VmRSS) before building the workload, resets the high-water mark (`/proc/self/clear_refs`),");
        sb.AppendLine($"builds the model and data, runs the {warmup} warm-up steps and a few more, and reads the high-water mark (VmHWM from");
        sb.AppendLine("`/proc/self/status`). The baseline is the bare .NET process; peak - baseline is what the library and the workload");
        sb.AppendLine("added, native library included. The Striate process never loads TorchSharp or libtorch (checked in its memory map).");
        sb.AppendLine("**Ratio = Striate / libtorch: at most 1 means Striate needs no more memory.** Platforms without /proc report no figure.");
        sb.AppendLine();
        sb.AppendLine(PeakMemory.Table(memoryRows));
        sb.AppendLine();
        sb.AppendLine("What holds the memory. In Striate a step's tensors live until the step's `TensorScope` ends and then go back to the");
        sb.AppendLine("buffer pool, which hands them out again in the next step (the tensor pool column: one step's buffers, rounded up to");
        sb.AppendLine("the pool's size classes, at most a quarter over). During backward each intermediate gradient returns to the pool as");
        sb.AppendLine("soon as it has been used, as libtorch frees it, so training holds the forward outputs autograd needs plus a few");
        sb.AppendLine("gradients; before that change CIFAR-style ResNet-18 training at batch 64 peaked at 1,391 MiB instead of about 960");
        sb.AppendLine("MiB, above libtorch in one run of four. The rest of the managed heap is the parameters, their gradients, Adam's two");
        sb.AppendLine("moments and the convolution workspaces (im2col columns, Winograd tiles) rented from the shared array pool. Inference");
        sb.AppendLine("without gradients still keeps every layer's output until the scope ends, where libtorch frees each once the next");
        sb.AppendLine("layer has read it. In the epoch row both sides hold the training set as float32 (188 MiB) and, for a while, the");
        sb.AppendLine("copies made while converting and normalising it; the DataLoader's queue holds a few batches. On the libtorch side");
        sb.AppendLine("most of peak - baseline for small networks is the native library itself (code and data of libtorch, oneDNN and MKL,");
        sb.AppendLine("thread pools and allocator caches): about 150 MiB for LeNet-5, whose tensors take about 8 MiB of Striate's pool.");
        sb.AppendLine("libtorch's peak for the larger rows varies between runs: 1,333 to 1,583 MiB for ResNet-18 training at batch 64 in");
        sb.AppendLine("four runs here.");
        sb.AppendLine();
    }
    sb.AppendLine("## Targets");
    sb.AppendLine();
    sb.AppendLine(Targets.Table(rows, memoryRows));
    sb.AppendLine();
    // Notes kept by hand across runs (spread between runs, what the profile shows where a target is missed).
    string notes = Path.Combine(root, "bench", "NOTES.md");
    if (File.Exists(notes))
    {
        sb.AppendLine(File.ReadAllText(notes).TrimEnd());
        sb.AppendLine();
    }
    sb.AppendLine("## How the rows are measured");
    sb.AppendLine();
    sb.AppendLine("libtorch parallelises with OpenMP (its bundled libgomp): its worker threads spin-wait at every parallel region, which");
    sb.AppendLine("is cheap on an idle machine but costly when other processes compete for the cores; Striate's helper threads spin");
    sb.AppendLine("for at most 300 microseconds after a region and then sleep. On a loaded machine libtorch's multi-threaded rows (small");
    sb.AppendLine("ops, LeNet-5 at small batches) can therefore fall far below its single-threaded speed. To see how much of a ratio comes from that,");
    sb.AppendLine("compare with `--threads 1` and with `OMP_WAIT_POLICY=PASSIVE` set in the environment (libgomp reads it when it");
    sb.AppendLine("loads, so it must be set before the program starts).");
    sb.AppendLine();
    sb.AppendLine("The memory rows of the first table are measured in this process on the Striate side only: managed bytes the garbage");
    sb.AppendLine("collector saw allocated per training step once the buffer pool is warm (`GC.GetTotalAllocatedBytes`), and the");
    sb.AppendLine("process's peak working set. The peak-memory table compares the two libraries, each in a process of its own.");
    sb.AppendLine();
    sb.AppendLine("Which convolution runs: 3x3 stride-1 ungrouped layers with at least 32 input and output channels, an output of");
    sb.AppendLine("at least 4x4 and at least 48 tiles of 2x2 per block of images (16 in an `InferenceSession`, which keeps the");
    sb.AppendLine("transformed weights) use Winograd F(2x2, 3x3) for the forward pass and the input gradient and F(3x3, 2x2) for");
    sb.AppendLine("the weight gradient (in ResNet-18 at 224x224 and batch 1, every 3x3 stride-1 layer). Where the output is at");
    sb.AppendLine("least 24x24 and the call has at least 512 tiles of 4x4 (or the session keeps the transform), the forward pass");
    sb.AppendLine("uses F(4x4, 3x3) instead: ResNet-18's layer1 and layer2 at 224x224 (56x56 and 28x28), the CIFAR ResNet-18's");
    sb.AppendLine("layer1 in training (32x32, batch 64), VGG-16's layers down to 28x28. Both stay within 1e-4 of the direct sum");
    sb.AppendLine("relative to the output's largest magnitude (about 1e-5 for F(4x4, 3x3), a few 1e-6 for F(2x2, 3x3)); other same-padded 3x3");
    sb.AppendLine("stride-1 layers compute the input gradient as a forward");
    sb.AppendLine("im2col convolution with flipped weights; small stride-1 layers (at most 16 output channels, LeNet-5's two) the");
    sb.AppendLine("direct kernels for the forward pass and the weight gradient; depthwise layers the direct depthwise kernel;");
    sb.AppendLine("everything else im2col + GEMM in blocks of images.");
    sb.AppendLine("Inference rows run in evaluation mode without gradients, where batch norm is folded into the");
    sb.AppendLine("convolution and bias, residual add and ReLU are applied in its output step (LeNet-5's 2x2 pooling too). On the");
    sb.AppendLine("Striate side they run through an `InferenceSession`, as a deployed model would (ONNX Runtime's session does the");
    sb.AppendLine("same): the folded weights and the Winograd transforms are derived once, not on every call. libtorch runs its");
    sb.AppendLine("module in eval mode under `no_grad`, which has no such step.");
    return sb.ToString();
}

// A temporary file beside the target, then a rename: a reader never sees half a file.
static void WriteAtomically(string path, string content)
{
    string temp = path + ".tmp";
    File.WriteAllText(temp, content);
    File.Move(temp, path, overwrite: true);
}

static string Table(List<Row> rows, List<Extra> extras)
{
    var sb = new StringBuilder();
    sb.AppendLine("| Workload | Unit | Striate median [min, max] | libtorch median [min, max] | Ratio |");
    sb.AppendLine("|---|---|---:|---:|---:|");
    foreach (var r in rows)
        sb.AppendLine($"| {r.Name} | {r.Unit} | {Fmt(r.Striate)} | {Fmt(r.Torch)} | {r.Ratio:F2} |");
    foreach (var e in extras)
        sb.AppendLine($"| {e.Name} | {e.Unit} | {e.Value:N0} | | |");
    return sb.ToString().TrimEnd();

    static string Fmt(Stats s) => $"{N(s.Median)} [{N(s.Min)}, {N(s.Max)}]";
    static string N(double v) => v >= 100 ? v.ToString("N0") : v.ToString("F1");
}

static string LoadAverage()
{
    try { return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
    catch (IOException) { return "unknown"; }
    catch (UnauthorizedAccessException) { return "unknown"; }
}

static string RepoRoot()
{
    foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
    {
        for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Striate.slnx"))) return d.FullName;
    }
    return Environment.CurrentDirectory;
}
