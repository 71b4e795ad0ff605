using System.Globalization;
using System.Text;
using Striate.Optim;

namespace Striate.Training;

/// <summary>One line of the per-step log: the epoch (from 1), the batch (from 1) of how many, its loss (null when skipped) and learning rate.</summary>
public sealed record StepRecord(int Epoch, int Batch, int Batches, double? Loss, double LearningRate)
{
    /// <summary>The position on an epoch axis: epoch 1's last batch is at 1.0, its first at 1 / batches.</summary>
    public double Position => Epoch - 1 + (double)Batch / Math.Max(Batches, 1);
}

/// <summary>
/// The per-step log a classification run writes beside its checkpoint (STEM.steps.csv), the one owner of its format:
/// one line per optimizer step with the batch's own loss and learning rate, which the report draws.
/// </summary>
public sealed class StepLog : IDisposable
{
    private static readonly string[] s_columns = ["epoch", "batch", "batches", "loss", "lr"];

    /// <summary>Step logs larger than this are refused (about a million steps).</summary>
    public const long MaxBytes = 64L << 20;

    private readonly StreamWriter _writer;

    /// <summary>Opens <paramref name="path"/>: afresh with its header when <paramref name="restart"/> (a new run) or missing, else to append (a resumed run).</summary>
    public StepLog(string path, bool restart)
    {
        ArgumentNullException.ThrowIfNull(path);
        bool header = restart || !File.Exists(path);
        _writer = new StreamWriter(path, append: !header, new UTF8Encoding(false));
        if (header) _writer.WriteLine(string.Join(",", s_columns));
    }

    /// <summary>Adds the step <paramref name="p"/> reports (its epoch counted from 0, as the loop counts).</summary>
    public void Add(BatchProgress p)
    {
        var inv = CultureInfo.InvariantCulture;
        _writer.WriteLine(string.Join(",", (p.Epoch + 1).ToString(inv), p.Batch.ToString(inv), p.Batches.ToString(inv),
            p.Loss is double l ? ((float)l).ToString("R", inv) : "", ((float)p.LearningRate).ToString("R", inv)));
    }

    /// <summary>Writes what is buffered (after every epoch).</summary>
    public void Flush() => _writer.Flush();

    public void Dispose() => _writer.Dispose();

    /// <summary>
    /// Parses the log at <paramref name="path"/> in step order; a later line for the same epoch and batch (a resumed
    /// run that repeats an interrupted epoch) replaces the earlier one.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The header or a line is not what <see cref="Add"/> writes.</exception>
    public static IReadOnlyList<StepRecord> Read(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"Step log '{path}' does not exist.", path);
        if (info.Length > MaxBytes) throw new InvalidDataException($"Step log '{path}' is {info.Length} bytes; the limit is {MaxBytes}.");
        var byStep = new SortedDictionary<(int, int), StepRecord>();
        int n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (n == 1)
            {
                if (line != string.Join(",", s_columns))
                    throw new InvalidDataException($"Step log '{path}': expected the header '{string.Join(",", s_columns)}', found '{line}'.");
                continue;
            }
            if (line.Length == 0) continue;
            var f = line.Split(',');
            if (f.Length != s_columns.Length)
                throw new InvalidDataException($"Step log '{path}', line {n}: expected {s_columns.Length} fields, found {f.Length}.");
            int I(int i) => int.TryParse(f[i], NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= 1 ? v
                : throw new InvalidDataException($"Step log '{path}', line {n}: {s_columns[i]} '{f[i]}' is not a positive integer.");
            double D(int i) => double.TryParse(f[i], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
                : throw new InvalidDataException($"Step log '{path}', line {n}: {s_columns[i]} '{f[i]}' is not a number.");
            int epoch = I(0), batch = I(1), batches = I(2);
            if (batch > batches) throw new InvalidDataException($"Step log '{path}', line {n}: batch {batch} of {batches}.");
            byStep[(epoch, batch)] = new StepRecord(epoch, batch, batches, f[3].Length == 0 ? null : D(3), D(4));
        }
        if (n == 0) throw new InvalidDataException($"Step log '{path}' is empty.");
        return byStep.Values.ToList();
    }
}
