using System.Globalization;
using System.Text;

namespace Striate.Bench;

/// <summary>
/// The ratios the CPU backend aims for (Striate / libtorch throughput, same run), checked against the rows measured.
/// Inference targets are set at ONNX Runtime's level on this class of machine, expressed as ratios to libtorch.
/// </summary>
public static class Targets
{
    private static readonly (string Row, double Ratio, string Note)[] s_targets =
    [
        ("gemm 2048x2048x2048", 1.1, "GEMM 2048^3 (full mode)"),
        ("LeNet-5 train step b64", 1.5, "LeNet-5 training, batch 64"),
        ("LeNet-5 train step b256", 1.2, "LeNet-5 training, batch 256"),
        ("LeNet-5 epoch on Fashion-MNIST", 1.5, "a full epoch of the main job (full mode)"),
        ("LeNet-5 inference b256", 2.4, "LeNet-5 inference, batch 256"),
        ("ResNet-18 (CIFAR stem) train step", 1.0, "CIFAR-style ResNet-18 training (1.2 with Winograd)"),
        ("ResNet-18 224x224 inference b1 ", 1 / 0.65, "ResNet-18 224 latency at most 0.65x libtorch's"),
        ("ResNet-18 224x224 inference b16", 1.4, "ResNet-18 224 throughput, batch 16 (full mode)"),
        ("VGG-16 224x224 inference b1 ", 1 / 0.85, "VGG-16 latency at most 0.85x libtorch's"),
        ("VGG-16 224x224 inference b16", 1.5, "VGG-16 throughput, batch 16 (full mode)"),
    ];

    /// <summary>A Markdown table: each target, the ratio measured in this run (or "not run"), and how far off it is.</summary>
    public static string Table(IReadOnlyList<Row> rows) => Table(rows, []);

    /// <summary>
    /// The same table with a last line for peak memory: met when Striate's peak resident set is at most libtorch's
    /// on every peak-memory row measured; the worst row is named.
    /// </summary>
    public static string Table(IReadOnlyList<Row> rows, IReadOnlyList<MemoryRow> memory)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| Target | Ratio wanted | Measured | Status |");
        sb.AppendLine("|---|---:|---:|---|");
        foreach (var (name, want, note) in s_targets)
        {
            var row = rows.FirstOrDefault(r => r.Name.StartsWith(name.TrimEnd(), StringComparison.Ordinal) && (r.Name + " ").Contains(name, StringComparison.Ordinal));
            string wanted = want.ToString("F2", CultureInfo.InvariantCulture);
            if (row is null)
            {
                sb.AppendLine($"| {note} | {wanted} | not run | |");
                continue;
            }
            double got = row.Ratio;
            string status = got >= want ? "met" : $"missed: {got / want * 100:F0}% of the target";
            sb.AppendLine($"| {note} | {wanted} | {got.ToString("F2", CultureInfo.InvariantCulture)} | {status} |");
        }
        sb.AppendLine(MemoryLine(memory));
        return sb.ToString().TrimEnd();
    }

    private static string MemoryLine(IReadOnlyList<MemoryRow> memory)
    {
        const string Note = "peak memory not above libtorch's (Striate / libtorch peak resident set, worst row)";
        var measured = memory.Where(m => m.Error is null).ToList();
        if (measured.Count == 0)
            return $"| {Note} | at most 1.00 | not run | {string.Join("; ", memory.Select(m => m.Error).Distinct())} |";
        var worst = measured.MaxBy(m => m.PeakRatio)!;
        string got = worst.PeakRatio.ToString("F2", CultureInfo.InvariantCulture);
        string status = worst.PeakRatio <= 1 ? "met" : $"missed: {(worst.PeakRatio - 1) * 100:F0}% above libtorch's";
        string partial = measured.Count < memory.Count ? $" ({memory.Count - measured.Count} row(s) not measured)" : "";
        return $"| {Note} | at most 1.00 | {got} ({worst.Name["peak memory ".Length..]}) | {status}{partial} |";
    }
}
