namespace Striate.Runs;

/// <summary>
/// The files of one run, all beside its checkpoint and named after it, the one place their names are made: the
/// checkpoint written after every epoch, the best epoch's checkpoint kept by early stopping (STEM.best.EXT), and the
/// CSV and JSON-lines logs (STEM.csv, STEM.jsonl) and the per-step log (STEM.steps.csv).
/// </summary>
public sealed record RunFiles(string Checkpoint)
{
    private string Stem => Path.ChangeExtension(Checkpoint, null);

    /// <summary>The best epoch's checkpoint (early stopping).</summary>
    public string Best => Stem + ".best" + Path.GetExtension(Checkpoint);

    /// <summary>The per-epoch CSV log.</summary>
    public string Csv => Stem + ".csv";

    /// <summary>The per-epoch JSON-lines log.</summary>
    public string Jsonl => Stem + ".jsonl";

    /// <summary>The per-step log (<see cref="Training.StepLog"/>).</summary>
    public string Steps => Stem + ".steps.csv";

    /// <summary>Every file of the run.</summary>
    public IReadOnlyList<string> All => [Checkpoint, Best, Csv, Jsonl, Steps];

    /// <summary>True when <paramref name="path"/> names one of the run's files (so writing it would overwrite one).</summary>
    public bool Owns(string path)
    {
        string full = Path.GetFullPath(path);
        return All.Any(f => string.Equals(Path.GetFullPath(f), full, StringComparison.Ordinal));
    }
}
