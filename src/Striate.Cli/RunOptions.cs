using System.CommandLine;
using Striate.Optim;
using Striate.Threading;

namespace Striate.Cli;

/// <summary>
/// The options <c>striate train</c> and <c>striate finetune</c> share, each with one meaning in both, and their checks
/// as validators: the data folder, epochs, batch size, optimizer and learning rate, seed, augmentation, test limit,
/// threads, output and JSON.
/// </summary>
public sealed class RunOptions
{
    public RunOptions(int defaultEpochs, string dataDescription, string outDescription, string seedDescription)
    {
        Data = new Option<string?>("--data") { Description = dataDescription };
        Epochs = new Option<int>("--epochs", "-e") { Description = "Epochs to train (with --resume, in all: the run continues up to this).", DefaultValueFactory = _ => defaultEpochs }.Within(1, 100_000);
        Out = new Option<string?>("--out", "-o") { Description = outDescription };
        Seed = new Option<ulong>("--seed") { Description = seedDescription, DefaultValueFactory = _ => 1 };
    }

    public Option<string?> Data { get; }
    public Option<int> Epochs { get; }
    public Option<int> BatchSize { get; } = new Option<int>("--batch-size", "-b") { Description = "Images per batch.", DefaultValueFactory = _ => 64 }.AtLeast(1);

    public Option<string> Optimizer { get; } = new Option<string>("--optimizer") { Description = "adam, adamw or sgd.", DefaultValueFactory = _ => "adam" }
        .Choice(OptimizerConfig.ParseKind);

    public Option<float?> Lr { get; } = new Option<float?>("--lr") { Description = "Learning rate (default 0.002 for adam/adamw, 0.05 for sgd)." }.Positive();
    public Option<ulong> Seed { get; }

    public Option<string> Augment { get; } = new Option<string>("--augment")
    {
        Description = "Training-set augmentation: none, flip (horizontal flip only), standard (random crop with padding 2 and horizontal flip) or strong (standard, then rotation within 10 degrees and random erasing).",
        DefaultValueFactory = _ => "none",
    }.Choice(a => Striate.Data.Transforms.Compose.Named(a.ToLowerInvariant(), 0f));

    public Option<int> TestLimit { get; } = new Option<int>("--test-limit") { Description = "Evaluate on the first N test images (of the chosen classes) only (0: all)." }.AtLeast(0);
    public Option<int?> Threads { get; } = new Option<int?>("--threads") { Description = "CPU threads (default: all cores)." }.Within(1, 1024);
    public Option<string?> Out { get; }
    public Option<bool> Json { get; } = new("--json") { Description = "Print one JSON object per epoch." };

    /// <summary>Every option of the group.</summary>
    public IEnumerable<Option> All => [Data, Epochs, BatchSize, Optimizer, Lr, Seed, Augment, TestLimit, Threads, Out, Json];

    /// <summary>Adds the group's options to <paramref name="cmd"/>.</summary>
    public RunOptions AddTo(Command cmd)
    {
        foreach (var o in All) cmd.Options.Add(o);
        return this;
    }

    /// <summary>The optimizer asked for.</summary>
    public OptimizerKind OptimizerKind(ParseResult r) => OptimizerConfig.ParseKind(r.GetValue(Optimizer)!);

    /// <summary>The learning rate asked for, or the optimizer's default: 0.05 for SGD, 0.002 for Adam and AdamW.</summary>
    public float LearningRate(ParseResult r) => r.GetValue(Lr) ?? (OptimizerKind(r) == Optim.OptimizerKind.Sgd ? 0.05f : 2e-3f);

    /// <summary>The augmentation's name, in lower case.</summary>
    public string AugmentName(ParseResult r) => r.GetValue(Augment)!.ToLowerInvariant();

    /// <summary>Sets the thread count when --threads is given.</summary>
    public void ApplyThreads(ParseResult r)
    {
        if (r.GetValue(Threads) is int t) Parallelism.Threads = t;
    }
}
