using Striate.Transfer;

namespace Striate.Runs;

/// <summary>What a <see cref="FineTuneRun"/> trains: the classes, the source weights, the layers and the schedule.</summary>
public sealed record FineTuneOptions
{
    /// <summary>The dataset classes to learn, relabelled 0..k-1 in this order.</summary>
    public required IReadOnlyList<int> Classes { get; init; }

    /// <summary>Training images per class (0: every image of those classes).</summary>
    public int PerClass { get; init; }

    /// <summary>Architecture trained from scratch when <see cref="From"/> is null (default lenet5).</summary>
    public string? Model { get; init; }

    /// <summary>A checkpoint whose weights (all but its head) start the run; null trains from scratch.</summary>
    public Training.Checkpoint? From { get; init; }

    /// <summary>Layer patterns left trainable; empty trains every layer (see <see cref="ParameterPattern"/>).</summary>
    public IReadOnlyList<string> TrainLayers { get; init; } = [];

    /// <summary>Learning rates of their own for some trainable layers (first match wins); the rest use <see cref="Lr"/>.</summary>
    public IReadOnlyList<(string Pattern, float Lr)> LayerLrs { get; init; } = [];

    /// <summary>The optimizer (SGD with momentum 0.9).</summary>
    public Optim.OptimizerKind Optimizer { get; init; }

    /// <summary>Training-set augmentation, one of <see cref="Data.Transforms.Compose.Names"/> ("none" by default).</summary>
    public string Augment { get; init; } = "none";

    public float Lr { get; init; } = 2e-3f;
    public int Epochs { get; init; } = 5;
    public int BatchSize { get; init; } = 64;
    public ulong Seed { get; init; } = 1;

    /// <summary>Evaluate on the first this many test images of the chosen classes (0: all), as a classification run's limit does.</summary>
    public int TestLimit { get; init; }

    /// <summary>
    /// The checkpoint written after every epoch, with the run's CSV and JSON-lines logs beside it (<see cref="RunFiles"/>),
    /// as a training run writes them; null writes nothing until <see cref="FineTuneRun.Save"/>.
    /// </summary>
    public string? Output { get; init; }

    /// <summary>
    /// The settings as checkpoint metadata (this record is the one owner of their keys): classes, images per class,
    /// trained layers, layer rates, augmentation, batch size, test limit, and <paramref name="from"/>, what the
    /// weights started from.
    /// </summary>
    public Dictionary<string, string> ToMetadata(string from)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        return new Dictionary<string, string>
        {
            [TrainedClasses.Key] = TrainedClasses.Format(Classes),
            ["per_class"] = PerClass.ToString(inv),
            ["train_layers"] = string.Join(",", TrainLayers),
            ["layer_lrs"] = string.Join(",", LayerLrs.Select(r => $"{r.Pattern}={r.Lr.ToString("R", inv)}")),
            ["augment"] = Augment,
            ["batch_size"] = BatchSize.ToString(inv),
            ["test_limit"] = TestLimit.ToString(inv),
            ["from"] = from,
        };
    }
}
