using System.Diagnostics;
using Striate.Backends.Cpu;

// Gemm.Sgemm throughput on the shapes that matter to the convolution layers.
//   dotnet run -c Release --project bench/Striate.Bench [-- [filter] [threads, e.g. 1,2] [rounds]]
// Each row is the best of `rounds` timed batches of at least 50 ms after a warm-up. "cores" is this process's
// CPU time over wall time during that batch and "idle" the machine's idle share: other processes competing for
// the cores show up as cores below the thread count with idle near 0, and such a row understates the code.
string? filter = args.Length > 0 && args[0] != "all" ? args[0] : null;
int[] threadCounts = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [1, 2];
int rounds = args.Length > 2 ? int.Parse(args[2]) : 7;

(string Name, bool TransA, bool TransB, int M, int N, int K)[] shapes =
[
    ("2048^3", false, false, 2048, 2048, 2048),
    ("1024^3", false, false, 1024, 1024, 1024),
    ("512^3", false, false, 512, 512, 512),
    ("conv 64x784x576", false, false, 64, 784, 576),
    ("conv 6x784x25", false, false, 6, 784, 25),
    ("conv 16x100x150", false, false, 16, 100, 150),
    ("1024^3 NT", false, true, 1024, 1024, 1024),
    ("1024^3 TN", true, false, 1024, 1024, 1024),
    ("1024^3 TT", true, true, 1024, 1024, 1024),
    ("conv 64x784x576 NT", false, true, 64, 784, 576),
    ("conv 64x784x576 TN", true, false, 64, 784, 576),
    ("conv 64x784x576 TT", true, true, 64, 784, 576),
    ("small 32^3", false, false, 32, 32, 32),
    ("small 16^3", false, false, 16, 16, 16),
    ("small 8^3", false, false, 8, 8, 8),
    ("small 24x40x30", false, false, 24, 40, 30),
    ("small 20^3 NT", false, true, 20, 20, 20),
    ("small 20^3 TT", true, true, 20, 20, 20),
    ("narrow 1x512x64", false, false, 1, 512, 64),
    ("narrow 64x1x512", false, false, 64, 1, 512),
    ("narrow 600x5x300", false, false, 600, 5, 300),
];

WaitForQuietMachine();
Console.WriteLine($"{"shape",-22} {"threads",7} {"GFLOP/s",9} {"ms",9} {"cores",6} {"idle",5}");
foreach (var s in shapes)
{
    if (filter is not null && !s.Name.Contains(filter, StringComparison.Ordinal))
    {
        continue;
    }

    var rng = new Random(1);
    float[] a = Fill(rng, s.M * s.K), b = Fill(rng, s.K * s.N), c = new float[s.M * s.N];
    int lda = s.TransA ? s.M : s.K, ldb = s.TransB ? s.K : s.N;
    double flops = 2.0 * s.M * s.N * s.K;
    foreach (int threads in threadCounts)
    {
        Parallelism.Threads = threads;
        void Run() => Gemm.Sgemm(s.TransA, s.TransB, s.M, s.N, s.K, 1f, a, lda, b, ldb, 0f, c, s.N);

        var warm = Stopwatch.StartNew();
        while (warm.ElapsedMilliseconds < 300)
        {
            Run();
        }

        int reps = Math.Max(1, (int)(0.05 / (flops / 50e9)));
        double best = double.MaxValue, cores = 0, idle = 0;
        for (int round = 0; round < rounds; round++)
        {
            TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
            (long idle0, long total0) = CpuTicks();
            var sw = Stopwatch.StartNew();
            for (int r = 0; r < reps; r++)
            {
                Run();
            }

            double seconds = sw.Elapsed.TotalSeconds;
            (long idle1, long total1) = CpuTicks();
            if (seconds / reps < best)
            {
                best = seconds / reps;
                cores = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / seconds;
                idle = total1 > total0 ? (double)(idle1 - idle0) / (total1 - total0) : double.NaN;
            }
        }

        Console.WriteLine($"{s.Name,-22} {threads,7} {flops / best / 1e9,9:F1} {best * 1e3,9:F3} {cores,6:F2} {idle,5:F2}");
    }
}

// Waits (up to a minute) for a second in which the machine is at least 90% idle.
static void WaitForQuietMachine()
{
    for (int wait = 0; wait < 60; wait++)
    {
        (long idle0, long total0) = CpuTicks();
        Thread.Sleep(1000);
        (long idle1, long total1) = CpuTicks();
        if (total1 == total0 || (double)(idle1 - idle0) / (total1 - total0) > 0.9)
        {
            return;
        }
    }
}

// The idle and total jiffies of all CPUs from /proc/stat, or zeros where there is none.
static (long Idle, long Total) CpuTicks()
{
    if (!File.Exists("/proc/stat"))
    {
        return (0, 0);
    }

    long[] fields = File.ReadLines("/proc/stat").First()
        .Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
    return (fields[3] + fields[4], fields.Sum());
}

static float[] Fill(Random rng, int count)
{
    var x = new float[count];
    for (int i = 0; i < x.Length; i++)
    {
        x[i] = (float)(rng.NextDouble() * 2 - 1);
    }

    return x;
}
