using System.Diagnostics;
using System.Globalization;
using Striate.Fuzz;

// Feeds mutated files to every loader Striate has, in process, and checks what each input ends in: accepted, or
// refused with InvalidDataException and a message; within the time limit; with allocation inside the format's
// budget. Anything else is a fault: the input is kept (--faults DIR) and the run fails.
//
//   dotnet run --project tests/Striate.Fuzz -c Release -- [--per-format N] [--seed S] [--format NAME] [--faults DIR] [--time-limit-ms T] [--show N]
//
// --show N prints the first N refusals of each format (their messages), to see what the loaders say. --replay DIR
// first loads every DIR/FORMAT/*.bin, the committed regression cases (inputs that once ended in a fault), under the
// same checks.
//
// Prints one line per format and ends with "fuzz: N passed, N failed" (one check per format).
int perFormat = 1000, timeLimitMs = 2000, show = 0;
ulong seed = 1;
string? only = null, faultsDir = null, replayDir = null;
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--per-format": perFormat = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--seed": seed = ulong.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--format": only = Next(); break;
        case "--faults": faultsDir = Next(); break;
        case "--time-limit-ms": timeLimitMs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--show": show = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--replay": replayDir = Next(); break;
        default:
            Console.Error.WriteLine($"unknown argument '{args[i]}'; expected --per-format N, --seed S, --format NAME, --faults DIR, --time-limit-ms T, --show N, --replay DIR");
            return 2;
    }
}

string scratch = Directory.CreateTempSubdirectory("striate-fuzz-").FullName;
int passed = 0, failed = 0;
try
{
    var formats = Formats.All(scratch).Where(f => only is null || f.Name == only).ToList();
    if (formats.Count == 0)
    {
        Console.Error.WriteLine($"no format '{only}'; the formats: {string.Join(", ", Formats.All(scratch).Select(f => f.Name))}");
        return 2;
    }
    // A watchdog: an input still running at four times the limit is a hang; it is kept and the process ends.
    var current = new CurrentInput();
    var watchdog = new Thread(() =>
    {
        while (true)
        {
            Thread.Sleep(250);
            if (current.Started is long started && Stopwatch.GetElapsedTime(started).TotalMilliseconds > 4.0 * timeLimitMs)
            {
                Keep(faultsDir, current.Format!, current.Index, current.Bytes!, "hang");
                Console.WriteLine($"format {current.Format}: input {current.Index} ran past {4 * timeLimitMs} ms (a hang); fuzz: {passed} passed, {failed + 1} failed");
                Environment.Exit(1);
            }
        }
    }) { IsBackground = true };
    watchdog.Start();

    foreach (var format in formats)
    {
        string dir = Path.Combine(scratch, format.Name);
        Directory.CreateDirectory(dir);
        format.Prepare?.Invoke(dir);
        string path = Path.Combine(dir, format.FileName);
        // Each format draws from its own stream of the run's seed (string hashes differ between processes; this does not).
        var mutator = new Mutator(new Random((int)((seed * 7919 + format.Name.Aggregate(17UL, (h, ch) => h * 31 + ch)) % int.MaxValue)));
        int accepted = 0, rejected = 0, faults = 0;
        double slowest = 0;
        long mostAllocated = 0;
        var firstFaults = new List<string>();
        // The seeds themselves must load: a harness whose seeds are refused tests nothing.
        foreach (var s in format.Seeds)
        {
            File.WriteAllBytes(path, s.Bytes);
            try
            {
                format.Load(dir, path);
            }
            catch (Exception e)
            {
                faults++;
                firstFaults.Add($"seed '{s.Name}' is refused: {e.GetType().Name}: {e.Message}");
            }
        }
        // The committed regression cases first, then the mutated inputs.
        var cases = replayDir is not null && Directory.Exists(Path.Combine(replayDir, format.Name))
            ? Directory.GetFiles(Path.Combine(replayDir, format.Name), "*.bin").Order(StringComparer.Ordinal).ToArray() : [];
        for (int n = -cases.Length; n < perFormat; n++)
        {
            var s = format.Seeds[Math.Max(n, 0) % format.Seeds.Count];
            byte[] input = n < 0 ? File.ReadAllBytes(cases[n + cases.Length]) : mutator.Mutate(s);
            File.WriteAllBytes(path, input);
            string? fault = null;
            current.Set(format.Name, n, input);
            long before = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            try
            {
                format.Load(dir, path);
                accepted++;
            }
            catch (InvalidDataException e) when (!string.IsNullOrWhiteSpace(e.Message) && !e.Message.Contains("Exception of type", StringComparison.Ordinal))
            {
                if (rejected++ < show) Console.WriteLine($"      refused: {e.Message.Replace(path, "FILE", StringComparison.Ordinal)}");
            }
            catch (Exception e)
            {
                fault = $"{e.GetType().Name}: {(string.IsNullOrWhiteSpace(e.Message) ? "(no message)" : e.Message)}";
            }
            double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            current.Clear();
            slowest = Math.Max(slowest, ms);
            mostAllocated = Math.Max(mostAllocated, allocated);
            if (fault is null && ms > timeLimitMs) fault = $"took {ms:F0} ms (limit {timeLimitMs})";
            if (fault is null && allocated > format.Budget(input.Length)) fault = $"allocated {allocated:N0} bytes for a file of {input.Length:N0} (budget {format.Budget(input.Length):N0})";
            if (fault is not null)
            {
                faults++;
                string kept = Keep(faultsDir, format.Name, n, input, fault);
                string what = n < 0 ? $"regression case {Path.GetFileName(cases[n + cases.Length])}" : $"input {n} ({input.Length} bytes from seed '{s.Name}')";
                if (firstFaults.Count < 5) firstFaults.Add($"{what}{kept}: {fault}");
            }
        }
        bool ok = faults == 0;
        if (ok) passed++; else failed++;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(ok ? "ok  " : "FAIL")}  {format.Name,-14} tried {perFormat}{(cases.Length > 0 ? $" and {cases.Length} regression cases" : "")}, accepted {accepted}, rejected {rejected}, faults {faults}; slowest {slowest:F0} ms, most allocated {mostAllocated / 1048576.0:F1} MiB"));
        foreach (var f in firstFaults) Console.WriteLine("      " + f);
    }
}
finally
{
    try { Directory.Delete(scratch, recursive: true); } catch (IOException) { }
}
Console.WriteLine($"fuzz: {passed} passed, {failed} failed");
return failed == 0 ? 0 : 1;

// Keeps a faulty input under DIR/FORMAT/ for a regression case; returns where, for the report.
static string Keep(string? dir, string format, int index, byte[] input, string why)
{
    if (dir is null) return "";
    string folder = Path.Combine(dir, format);
    Directory.CreateDirectory(folder);
    string file = Path.Combine(folder, $"input-{index:D6}.bin");
    File.WriteAllBytes(file, input);
    File.WriteAllText(file + ".txt", why + Environment.NewLine);
    return $" kept as {file}";
}

/// <summary>The input being loaded, for the watchdog.</summary>
internal sealed class CurrentInput
{
    private readonly object _gate = new();
    public string? Format { get; private set; }
    public int Index { get; private set; }
    public byte[]? Bytes { get; private set; }
    public long? Started { get; private set; }

    public void Set(string format, int index, byte[] bytes)
    {
        lock (_gate) (Format, Index, Bytes, Started) = (format, index, bytes, Stopwatch.GetTimestamp());
    }

    public void Clear()
    {
        lock (_gate) Started = null;
    }
}
