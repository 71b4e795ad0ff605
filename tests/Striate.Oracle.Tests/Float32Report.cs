using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Striate.Oracle.Tests;

/// <summary>
/// The oracle's second comparison. Its reference is libtorch in float64; libtorch in float32 (what users run) is
/// compared with that reference too, and where the two disagree beyond a case's tolerance the case is reported,
/// never failed: on some hosts libtorch's float32 convolutions are wrong (docs/PERFORMANCE.md, "libtorch's float32
/// on AMD family 26"), and a test that trusted them would fail for libtorch's fault. Striate's own result is
/// asserted against the float64 reference only, so a Striate error fails on every host.
/// </summary>
public sealed class Float32Report
{
    /// <summary>The variable naming the file the run's report lines are appended to (scripts/test sets it).</summary>
    public const string PathVariable = "STRIATE_LIBTORCH_FLOAT32_LOG";

    private readonly string? _path;
    private readonly List<string> _lines = [];
    private readonly Lock _gate = new();

    /// <summary>A report kept in memory only (and in <paramref name="path"/> when given, one line per case).</summary>
    public Float32Report(string? path = null) => _path = path;

    /// <summary>
    /// The test run's report: the file named by <see cref="PathVariable"/>, or libtorch-float32.log beside the test
    /// assembly (emptied when the assembly loads).
    /// </summary>
    public static Float32Report Run { get; } = new(RunPath);

    private static string RunPath => Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } p
        ? p
        : Path.Combine(AppContext.BaseDirectory, "libtorch-float32.log");

    [ModuleInitializer]
    internal static void ClearDefaultFile()
    {
        if (Environment.GetEnvironmentVariable(PathVariable) is not { Length: > 0 })
            File.Delete(Path.Combine(AppContext.BaseDirectory, "libtorch-float32.log"));
    }

    /// <summary>The lines reported so far, one per case in which libtorch's float32 was wrong.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate) return _lines.ToArray();
        }
    }

    /// <summary>
    /// Compares libtorch's float32 values with its float64 values for each named part of case
    /// <paramref name="caseName"/> (output, gradients, ...); when any part differs beyond <paramref name="relTol"/>
    /// (<see cref="OracleAssert.Close"/>'s measure), writes one line naming the case, the parts and the size of
    /// libtorch's error. Returns whether float32 agreed.
    /// </summary>
    public bool Record(string caseName, double relTol, params (string What, float[] Float64, float[] Float32)[] parts)
    {
        var wrong = new List<string>();
        foreach (var (what, f64, f32) in parts)
        {
            var c = OracleAssert.Compare(f64, f32, relTol);
            if (c.LengthMismatch || c.Mismatches > 0)
                wrong.Add($"{what}: {c.Describe(f64, f32, relTol)}");
        }
        if (wrong.Count == 0)
            return true;
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"libtorch float32 disagrees with libtorch float64 in '{caseName}': ");
        line.AppendJoin(" | ", wrong);
        string text = line.ToString().Replace('\n', ' ');
        lock (_gate)
        {
            _lines.Add(text);
            if (_path is not null)
                File.AppendAllText(_path, text + Environment.NewLine);
        }
        return false;
    }
}
