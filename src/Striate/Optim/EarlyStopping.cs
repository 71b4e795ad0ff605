using System.Globalization;
using System.Text.Json;
using Striate.IO;

namespace Striate.Optim;

/// <summary>The validation metric <see cref="EarlyStopping"/> watches.</summary>
public enum EarlyStoppingMonitor
{
    /// <summary>The validation loss: lower is better.</summary>
    Loss,

    /// <summary>The validation accuracy: higher is better.</summary>
    Accuracy,
}

/// <summary>
/// Stops a run when the monitored validation metric has not improved for <see cref="Patience"/> epochs, as Keras's
/// EarlyStopping: a loss improves when it falls below best - <see cref="MinDelta"/>, an accuracy when it rises above
/// best + <see cref="MinDelta"/>. The run keeps the best epoch's checkpoint beside the last one (it does not put the
/// best weights back into the model): the last checkpoint resumes the run, the best one is the model to use.
/// </summary>
public sealed class EarlyStopping
{
    /// <summary>Stops after <paramref name="patience"/> epochs without an improvement larger than <paramref name="minDelta"/>.</summary>
    /// <param name="patience">Epochs without improvement tolerated (at least 1).</param>
    /// <param name="minDelta">The smallest change that counts as an improvement (>= 0).</param>
    /// <param name="monitor">The validation metric watched.</param>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public EarlyStopping(int patience, double minDelta = 0, EarlyStoppingMonitor monitor = EarlyStoppingMonitor.Loss)
    {
        if (patience < 1) throw new ArgumentException($"early stopping: patience must be >= 1, got {patience}.");
        if (!(minDelta >= 0) || double.IsInfinity(minDelta)) throw new ArgumentException($"early stopping: the minimum delta must be >= 0, got {minDelta}.");
        if (!Enum.IsDefined(monitor)) throw new ArgumentException($"early stopping: the monitored metric must be loss or accuracy, got {(int)monitor}.");
        Patience = patience;
        MinDelta = minDelta;
        Monitor = monitor;
        Best = monitor == EarlyStoppingMonitor.Loss ? double.PositiveInfinity : double.NegativeInfinity;
    }

    public int Patience { get; }
    public double MinDelta { get; }

    /// <summary>The validation metric watched.</summary>
    public EarlyStoppingMonitor Monitor { get; }

    /// <summary>The metric's name as checkpoints and the command line write it: "loss" or "accuracy".</summary>
    public static string NameOf(EarlyStoppingMonitor monitor) => EnumText.Name(monitor);

    /// <summary>Reads "loss" or "accuracy".</summary>
    /// <exception cref="ArgumentException">Another name.</exception>
    public static EarlyStoppingMonitor ParseMonitor(string name) => EnumText.Parse<EarlyStoppingMonitor>(name, "early-stopping metric", "metrics");

    /// <summary>The best value seen.</summary>
    public double Best { get; private set; }

    /// <summary>The epoch (1-based) of the best value; 0 before any.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>Epochs since the last improvement.</summary>
    public int Wait { get; private set; }

    /// <summary>True once <see cref="Wait"/> has reached <see cref="Patience"/>.</summary>
    public bool Stopped => Wait >= Patience;

    /// <summary>Takes the metric of epoch <paramref name="epoch"/> (1-based); returns true when it is a new best.</summary>
    public bool Step(double value, int epoch)
    {
        bool better = Monitor == EarlyStoppingMonitor.Loss ? value < Best - MinDelta : value > Best + MinDelta;
        if (better)
        {
            Best = value;
            BestEpoch = epoch;
            Wait = 0;
        }
        else
        {
            Wait++;
        }
        return better;
    }

    /// <summary>Settings and state as JSON, for a checkpoint.</summary>
    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["patience"] = Patience.ToString(CultureInfo.InvariantCulture),
        ["min_delta"] = MinDelta.ToString("R", CultureInfo.InvariantCulture),
        ["monitor"] = NameOf(Monitor),
        ["best"] = Best.ToString("R", CultureInfo.InvariantCulture),
        ["best_epoch"] = BestEpoch.ToString(CultureInfo.InvariantCulture),
        ["wait"] = Wait.ToString(CultureInfo.InvariantCulture),
    });

    /// <summary>Reads what <see cref="ToJson"/> wrote.</summary>
    /// <exception cref="InvalidDataException">The text is not a saved early-stopping state.</exception>
    public static EarlyStopping FromJson(string json)
    {
        try
        {
            var d = JsonSerializer.Deserialize<Dictionary<string, string>>(json)!;
            var inv = CultureInfo.InvariantCulture;
            return new EarlyStopping(int.Parse(d["patience"], inv), double.Parse(d["min_delta"], inv), ParseMonitor(d["monitor"]))
            {
                Best = double.Parse(d["best"], inv),
                BestEpoch = int.Parse(d["best_epoch"], inv),
                Wait = int.Parse(d["wait"], inv),
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or OverflowException or ArgumentException or NullReferenceException)
        {
            throw new InvalidDataException($"early stopping: the checkpoint's state '{json}' cannot be read: {e.Message}");
        }
    }
}
