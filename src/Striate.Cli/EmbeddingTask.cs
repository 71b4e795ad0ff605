using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Striate.Runs;
using Striate.Threading;
using Striate.Data;
using Striate.Embeddings;
using Striate.Models;
using Striate.Ops;

namespace Striate.Cli;

/// <summary>
/// <c>striate train --task triplet|contrastive</c>: embedding training on chosen classes (identities), then
/// the verification and one-shot identification report on the test images: classes trained on, classes never
/// seen, and the raw-pixel distance as the baseline.
/// </summary>
public static class EmbeddingTask
{
    private static readonly Option<string> s_task = new Option<string>("--task") { Description = "classify (default), triplet / contrastive to train an embedding, deepface to train a similarity head on one (--embedding-model), charlm to train a character-level language model on a --text file, or segment to train a segmentation model (--model unet-small, fcn8s-small, ...) on scenes of the data's images.", DefaultValueFactory = _ => "classify" }.Choice(ParseTask);
    private static readonly Option<int> s_dim = new Option<int>("--embedding-dim") { Description = "Embedding size for --task triplet|contrastive.", DefaultValueFactory = _ => 64 }.AtLeast(1);
    private static readonly Option<bool> s_raw = new("--no-normalize") { Description = "Keep embeddings unnormalised (default: unit L2 norm)." };
    private static readonly Option<string> s_mining = new Option<string>("--mining") { Description = "Triplet mining: batch-all, batch-hard or semi-hard.", DefaultValueFactory = _ => "batch-all" }.Choice(ParseMining);
    private static readonly Option<float?> s_margin = new("--margin") { Description = "Triplet alpha (default 0.2) or contrastive margin (default 1)." };
    private static readonly Option<string?> s_classes = new Option<string?>("--classes") { Description = "Classes to train on, as identities: 0-6 or 0,2,5 (default all)." }.ClassList();
    private static readonly Option<int> s_trials = new Option<int>("--trials") { Description = "Random one-shot enrolments averaged in the final report.", DefaultValueFactory = _ => 20 }.Within(1, 10_000);
    private static readonly Option<int> s_projection = new Option<int>("--projection-dim") { Description = "Width of a training-only projection head (Linear, ReLU, Linear) the loss is taken on; the embedding is read before it (default 0: none).", DefaultValueFactory = _ => 0 }.AtLeast(0, " (0: no projection head)");
    private static readonly Option<int> s_warmup = new Option<int>("--warmup-epochs") { Description = "Epochs of batch-all mining before --mining takes over (default 0).", DefaultValueFactory = _ => 0 }.AtLeast(0);
    private static readonly Option<float> s_instance = new("--instance-weight") { Description = "Weight of the instance term: every image its own identity, its augmented second view the positive (default 0: off).", DefaultValueFactory = _ => 0f };
    private static readonly Option<string> s_instanceAugment = new("--instance-augment") { Description = "Augmentation of the instance term's second view: standard or strong (default strong).", DefaultValueFactory = _ => "strong" };
    private static readonly Option<float?> s_instanceMargin = new("--instance-margin") { Description = "alpha of the instance term (default: --margin)." };
    private static readonly Option<bool> s_instanceHead = new("--instance-on-projection") { Description = "With --projection-dim: take only the instance term on the projection head and the class loss on the embedding itself." };
    private static readonly Option<double> s_ema = new Option<double>("--ema-decay") { Description = "Keep an exponential moving average of the weights with this decay (e.g. 0.999); the averaged model is the one validated, saved and measured (default 0: off).", DefaultValueFactory = _ => 0.0 }.InRange(0, 1, " (0: off)");
    private static readonly Option<bool> s_flip = new("--flip-average") { Description = "Embed every image as the normalised mean of its and its mirror image's embeddings; saved in the model, so embed, verify, enroll and identify do the same." };
    private static readonly Option<string?> s_initFrom = new("--init-from") { Description = "Start the backbone from this classifier checkpoint of the same architecture (its head skipped, the embedding layer fresh)." };
    private static readonly Option<int> s_pairs = new Option<int>("--pairs") { Description = "Test pairs per verification measurement, half same and half different (0: every pair of the test images, exact AUCs).", DefaultValueFactory = _ => 10000 }.Pairs();

    // The options of `striate train` each task reads; any other given with the task is refused.
    private static readonly string[] EmbeddingOptionNames =
    [
        "--task", "--model", "--data", "--epochs", "--batch-size", "--lr", "--weight-decay", "--schedule", "--augment", "--seed", "--threads",
        "--out", "--validation", "--limit", "--test-limit", "--json", "--embedding-dim", "--no-normalize", "--margin", "--classes", "--trials",
        "--pairs", "--projection-dim", "--ema-decay", "--flip-average", "--init-from",
    ];
    private static readonly string[] TripletOptionNames = ["--mining", "--warmup-epochs", "--instance-weight"];
    private static readonly string[] InstanceOptionNames = ["--instance-augment", "--instance-margin", "--instance-on-projection"];
    private static readonly string[] DeepFaceOptions =
        ["--task", "--embedding-model", "--distance", "--classes", "--pairs", "--epochs", "--lr", "--seed", "--threads", "--json", "--data", "--limit", "--out"];

    /// <summary>The options of <c>striate train</c> that the embedding tasks (and, --classes and --pairs, the DeepFace task) read and classification does not.</summary>
    public static IReadOnlyList<Option> EmbeddingOptions { get; } =
        [s_dim, s_raw, s_mining, s_margin, s_classes, s_trials, s_pairs, s_projection, s_warmup, s_instance, s_instanceAugment, s_instanceMargin, s_ema, s_flip, s_initFrom, s_instanceHead];

    /// <summary>The options of <c>striate train</c> that only the embedding and DeepFace tasks read.</summary>
    public static IEnumerable<string> OtherTaskOptionNames => DeepFaceTask.Options.Concat(EmbeddingOptions).Concat(CharLmTask.Options).Concat(SegmentTask.Options).Select(o => o.Name);

    /// <summary>Adds the embedding options to <c>striate train</c>.</summary>
    public static void AddOptions(Command train)
    {
        foreach (var o in DeepFaceTask.Options) train.Options.Add(o);
        train.Options.Add(s_task);
        foreach (var o in EmbeddingOptions) train.Options.Add(o);
    }

    /// <summary>True when the command line asks for embedding training.</summary>
    // The --task names.
    private static string ParseTask(string task) => task.ToLowerInvariant() is "classify" or "triplet" or "contrastive" or "deepface" or "charlm" or "segment"
        ? task.ToLowerInvariant() : throw new ArgumentException($"unknown task '{task}'. Valid tasks: classify, triplet, contrastive, deepface, charlm, segment.");

    // The --mining names.
    private static TripletMining ParseMining(string name) => name.ToLowerInvariant() switch
    {
        "batch-all" => TripletMining.BatchAll,
        "batch-hard" => TripletMining.BatchHard,
        "semi-hard" => TripletMining.SemiHard,
        _ => throw new ArgumentException($"unknown strategy '{name}'. Valid strategies: batch-all, batch-hard, semi-hard."),
    };

    public static bool Handles(ParseResult r) => r.GetValue(s_task) is { } t && !t.Equals("classify", StringComparison.OrdinalIgnoreCase);

    // --init-from: a classifier checkpoint of the same architecture and input size.
    private static Striate.Training.Checkpoint LoadInitialization(string path, string arch, ImageDataset train)
    {
        var source = Striate.Training.Checkpoint.Load(Arguments.ExistingFile(path));
        if (source.Spec.IsEmbedding) throw new CliUsageException($"--init-from: '{path}' is an embedding model; it needs a classifier checkpoint.");
        if (source.Spec.Architecture != arch || source.Spec.InChannels != train.Channels || source.Spec.InputHeight != train.Height || source.Spec.InputWidth != train.Width)
            throw new CliUsageException($"--init-from: '{path}' is {source.Spec.Architecture} for {source.Spec.InChannels}x{source.Spec.InputHeight}x{source.Spec.InputWidth} images; this run trains {arch} for {train.Channels}x{train.Height}x{train.Width}.");
        return source;
    }

    // Loads the classifier's weights into the backbone; what was skipped is printed.
    private static void InitializeFrom(EmbeddingRun run, Striate.Training.Checkpoint source, string path, TextWriter log)
    {
        var report = run.InitializeFrom(source.Model.StateDict());
        log.WriteLine($"initialised from {path}: loaded {report.Loaded.Count} tensors; skipped {string.Join(", ", report.Skipped.Select(s => $"{s.Key} ({s.Reason})"))}; fresh: {string.Join(", ", report.Fresh)}");
    }

    /// <summary>Runs embedding training with the shared train options (--model, --data, --epochs, ...).</summary>
    public static int Run(ParseResult r, TextWriter stdout, TextWriter stderr)
    {
        string task = r.GetValue(s_task)!.ToLowerInvariant();
        if (task == "deepface")
        {
            TaskOptions.RejectUnused(r, task, DeepFaceOptions);
            return DeepFaceTask.Run(r, r.GetValue(s_classes) is { } given ? Arguments.Classes(given, "--classes") : null, r.GetValue(s_pairs), stdout, stderr);
        }
        bool instance = task == "triplet" && r.GetValue(s_instance) > 0;
        TaskOptions.RejectUnused(r, task, [.. EmbeddingOptionNames, .. task == "triplet" ? TripletOptionNames : [], .. instance ? InstanceOptionNames : []],
            task == "triplet" && !instance ? "The --instance-* options need --instance-weight > 0." : task == "contrastive" ? "Mining and the instance term go with --task triplet." : null);
        SegmentTask.RejectModel(r.GetValue<string?>("--model"), task);
        string arch = r.GetValue<string?>("--model") is { } m ? ModelZoo.Check(m) : "lenet5";
        if (r.GetValue<int?>("--threads") is int t) Parallelism.Threads = t;
        string output = r.GetValue<string?>("--out") ?? Path.Combine("runs", $"{arch}-{task}.safetensors");
        Output.CheckWritable(output, "--out");
        string folder = DataLocator.Resolve(r.GetValue<string?>("--data"));
        var train = Datasets.LoadIdx(folder, train: true);
        var test = Datasets.LoadIdx(folder, train: false);
        var classes = r.GetValue(s_classes) is { } c ? Arguments.Classes(c, "--classes") : Enumerable.Range(0, train.ClassCount).ToArray();
        var init = r.GetValue(s_initFrom) is { } from ? (Path: from, Checkpoint: LoadInitialization(from, arch, train)) : default;
        var options = Bind(r, task, arch, classes, init.Checkpoint);
        bool asJson = r.GetValue<bool>("--json");
        var log = asJson ? stderr : stdout;
        EmbeddingRun run;
        try
        {
            run = new EmbeddingRun(options, train);
            if (init.Checkpoint is not null) InitializeFrom(run, init.Checkpoint, init.Path, log);
            EmbeddingReport.CheckTestImages(EmbeddingReport.TestImages(test, r.GetValue<int>("--test-limit")), classes, "--test-limit");
        }
        catch (ArgumentException e)
        {
            throw Arguments.Refused(e, r.CommandResult.Command);
        }
        var sw = Stopwatch.StartNew();
        log.WriteLine(Describe(options, run, r.GetValue(s_mining)!));
        int done = 0;
        try
        {
            run.Run(e =>
            {
                done = e.Epoch;
                run.Save(output, e.Epoch);
                PrintEpoch(e, options.Epochs, asJson, stdout);
            });
        }
        catch (InvalidOperationException e)
        {
            throw new CliUsageException(done > 0 ? $"{e.Message} The checkpoint of epoch {done} is kept in {Path.GetFullPath(output)}." : e.Message);
        }
        var report = EmbeddingReport.Measure(run, test, r.GetValue<int>("--test-limit"), r.GetValue(s_pairs), r.GetValue(s_trials));
        double wall = sw.Elapsed.TotalSeconds;
        if (asJson) stdout.WriteLine(report.ToJson(wall));
        else foreach (var line in report.Lines(wall)) stdout.WriteLine(line);
        log.WriteLine($"saved {Path.GetFullPath(output)} (after epoch {done})");
        return 0;
    }

    // The settings of an embedding run from the command line: the shared train options and the embedding ones.
    private static EmbeddingOptions Bind(ParseResult r, string task, string arch, int[] classes, Striate.Training.Checkpoint? init)
    {
        // 0 (the default, none held out for a classifier) is 0.1 for an embedding, which needs pairs to choose tau on.
        double validation = r.GetValue<double>("--validation");
        return new EmbeddingOptions
        {
            Model = arch,
            EmbeddingDim = r.GetValue(s_dim),
            ProjectionDim = r.GetValue(s_projection),
            WarmupEpochs = r.GetValue(s_warmup),
            InstanceWeight = r.GetValue(s_instance),
            InstanceAugment = r.GetValue(s_instanceAugment)!.ToLowerInvariant(),
            InstanceMargin = r.GetValue(s_instanceMargin),
            EmaDecay = r.GetValue(s_ema),
            InstanceOnProjection = r.GetValue(s_instanceHead),
            FlipAverage = r.GetValue(s_flip),
            Normalize = !r.GetValue(s_raw),
            Task = task,
            Mining = ParseMining(r.GetValue(s_mining)!),
            Margin = r.GetValue(s_margin) ?? (task == "triplet" ? 0.2f : 1f),
            Classes = classes,
            Epochs = r.GetValue<int>("--epochs"),
            BatchSize = r.GetValue<int>("--batch-size"),
            Lr = r.GetValue<float?>("--lr") ?? 1e-3f,
            WeightDecay = r.GetValue<float>("--weight-decay"),
            Schedule = Optim.ScheduleSpec.Parse(r.GetValue<string>("--schedule")!),
            Augment = r.GetValue<string>("--augment")!.ToLowerInvariant(),
            Seed = r.GetValue<ulong>("--seed"),
            TrainLimit = r.GetValue<int>("--limit"),
            Validation = validation > 0 ? validation : 0.1,
            // The classifier's features were learnt on its own normalisation.
            Normalization = init is { Mean.Length: > 0 } src ? (src.Mean, src.Std) : null,
        };
    }

    // The run's one-line description, printed before the first epoch.
    private static string Describe(EmbeddingOptions options, EmbeddingRun run, string mining) =>
        $"training a {options.EmbeddingDim}-value {options.Task} embedding on {options.Model} ({run.Model.ParameterCount():N0} parameters), classes {string.Join(",", options.Classes)}: " +
            $"{run.TrainSet.Count:N0} images, {options.Epochs} epochs, batch {options.BatchSize}, adam lr {options.Lr.ToString(CultureInfo.InvariantCulture)}, " +
            $"{options.Schedule} schedule, {(options.InstanceWeight > 0 ? $"instance term x{options.InstanceWeight.ToString(CultureInfo.InvariantCulture)} ({options.InstanceAugment} views), " : "")}{(options.ProjectionDim > 0 ? $"{(options.InstanceOnProjection ? "instance term" : "loss")} on a {options.ProjectionDim}-value projection head, " : "")}{(options.Task == "triplet" ? $"{(options.WarmupEpochs > 0 ? $"{options.WarmupEpochs} batch-all epochs then " : "")}{mining} mining, " : "")}margin {options.Margin.ToString(CultureInfo.InvariantCulture)}, {(options.EmaDecay > 0 ? $"weight average decay {options.EmaDecay.ToString(CultureInfo.InvariantCulture)}, " : "")}{(options.FlipAverage ? "flip-averaged embeddings, " : "")}seed {options.Seed}";

    private static void PrintEpoch(EmbeddingEpoch e, int epochs, bool asJson, TextWriter stdout)
    {
        if (asJson)
            Output.Json(stdout, new { epoch = e.Epoch, train_loss = e.TrainLoss, validation_auc = e.ValidationAuc, tau = e.Tau, validation_accuracy = e.ValidationAccuracy, images_per_second = e.ImagesPerSecond, seconds = e.Seconds, skipped_batches = e.SkippedBatches });
        else
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"epoch {e.Epoch}/{epochs}  loss {e.TrainLoss:F4}  val_auc {e.ValidationAuc:F4}  tau {e.Tau:F4}  val_acc {e.ValidationAccuracy:P2}  {e.ImagesPerSecond:F0} img/s  {e.Seconds:F1} s{(e.SkippedBatches > 0 ? $"  ({e.SkippedBatches} batches without a triplet skipped)" : "")}"));
        stdout.Flush();
    }
}
