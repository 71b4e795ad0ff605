using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Striate.Training;

/// <summary>
/// The per-epoch logs a classification run writes beside its checkpoint, the one owner of their format: a CSV (read
/// back by reports) and JSON lines (also what <c>striate train --json</c> prints).
/// </summary>
public static class TrainingLog
{
    private static readonly string[] s_columns =
        ["epoch", "train_loss", "train_accuracy", "validation_loss", "validation_accuracy", "test_loss", "test_accuracy", "test_top5", "images_per_second", "seconds", "lr"];

    /// <summary>Logs larger than this are refused.</summary>
    public const long MaxBytes = 16L << 20;

    /// <summary>Parses the log at <paramref name="path"/>; a later line for the same epoch (a resumed run) replaces the earlier one.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The header or a line is not what <see cref="Append"/> writes.</exception>
    public static IReadOnlyList<EpochRecord> Read(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"Training log '{path}' does not exist.", path);
        if (info.Length > MaxBytes) throw new InvalidDataException($"Training log '{path}' is {info.Length} bytes; the limit is {MaxBytes}.");
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        if (lines.Length == 0) throw new InvalidDataException($"Training log '{path}' is empty.");
        var header = lines[0].Split(',');
        if (!header.SequenceEqual(s_columns))
            throw new InvalidDataException($"Training log '{path}': expected the header '{string.Join(",", s_columns)}', found '{lines[0]}'.");
        var byEpoch = new SortedDictionary<int, EpochRecord>();
        for (int n = 1; n < lines.Length; n++)
        {
            var f = lines[n].Split(',');
            if (f.Length != s_columns.Length)
                throw new InvalidDataException($"Training log '{path}', line {n + 1}: expected {s_columns.Length} fields, found {f.Length}.");
            double? D(int i)
            {
                if (f[i].Length == 0) return null;
                if (!double.TryParse(f[i], NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                    throw new InvalidDataException($"Training log '{path}', line {n + 1}: {s_columns[i]} '{f[i]}' is not a number.");
                return v;
            }
            if (!int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out int epoch) || epoch < 1)
                throw new InvalidDataException($"Training log '{path}', line {n + 1}: epoch '{f[0]}' is not a positive integer.");
            byEpoch[epoch] = new EpochRecord(epoch, D(1) ?? double.NaN, D(2) ?? double.NaN, D(3), D(4), D(5), D(6), D(7), D(8) ?? 0, D(9) ?? 0, D(10) ?? 0);
        }
        if (byEpoch.Count == 0) throw new InvalidDataException($"Training log '{path}' has a header but no epochs.");
        return byEpoch.Values.ToList();
    }

    /// <summary>
    /// Appends <paramref name="record"/> to the CSV log <paramref name="csv"/> and the JSON-lines log
    /// <paramref name="jsonl"/>; with <paramref name="restart"/> (a new run) or when the CSV is missing, both start
    /// afresh, the CSV with its header.
    /// </summary>
    public static void Append(string csv, string jsonl, EpochRecord record, bool restart)
    {
        ArgumentNullException.ThrowIfNull(record);
        bool header = restart || !File.Exists(csv);
        var inv = CultureInfo.InvariantCulture;
        var r = record;
        var line = string.Join(",", r.Epoch.ToString(inv), F(r.TrainLoss), F(r.TrainAccuracy), F(r.ValidationLoss), F(r.ValidationAccuracy),
            F(r.TestLoss), F(r.TestAccuracy), F(r.TestTop5), F(r.ImagesPerSecond), F(r.Seconds), F(r.LearningRate));
        var sb = new StringBuilder();
        if (header) sb.AppendLine(string.Join(",", s_columns));
        sb.AppendLine(line);
        if (header) File.WriteAllText(csv, sb.ToString());
        else File.AppendAllText(csv, sb.ToString());
        string json = ToJson(r) + Environment.NewLine;
        if (header) File.WriteAllText(jsonl, json);
        else File.AppendAllText(jsonl, json);
    }

    private static string F(double? v) => v is null ? "" : v.Value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The JSON form of an epoch record (snake_case keys), one line of the JSON-lines log.</summary>
    public static string ToJson(EpochRecord r) => JsonSerializer.Serialize(new
    {
        epoch = r.Epoch,
        train_loss = r.TrainLoss,
        train_accuracy = r.TrainAccuracy,
        validation_loss = r.ValidationLoss,
        validation_accuracy = r.ValidationAccuracy,
        test_loss = r.TestLoss,
        test_accuracy = r.TestAccuracy,
        test_top5 = r.TestTop5,
        images_per_second = r.ImagesPerSecond,
        seconds = r.Seconds,
        lr = r.LearningRate,
    });
}
