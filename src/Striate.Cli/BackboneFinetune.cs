using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Striate.Onnx;
using Striate.Runs;
using Striate.Training;
using Striate.Transfer;

namespace Striate.Cli;

/// <summary>
/// <c>striate finetune --from network.onnx</c> for a network Striate did not write (an ImageNet feature extractor):
/// the network becomes a frozen backbone (<see cref="OnnxBackbone"/>) whose features are cached, a new head is fitted,
/// and with <c>--train-layers last</c> the backbone's last stage trains with it; the classifier is written as one
/// .onnx graph from the data's images to the logits, which evaluate and predict take.
/// </summary>
public sealed class BackboneFinetune
{
    public Option<string?> Preprocess { get; } = new("--preprocess") { Description = "With an .onnx backbone: a graph run between the images and the network (its mean image subtracted, channels reordered)." };
    public Option<float> PixelScale { get; } = new Option<float>("--pixel-scale") { Description = "With an .onnx backbone: pixel values in [0, 1] are multiplied by this before the network (255 for one that takes byte values).", DefaultValueFactory = _ => 1f }.Positive();
    public Option<float> Fill { get; } = new Option<float>("--fill") { Description = "With an .onnx backbone: the part of the network's input size the resized image covers, centred on a black border (default 1).", DefaultValueFactory = _ => 1f }.Must(v => v > 0 && v <= 1, "in (0, 1]");
    public Option<int?> Stages { get; } = new Option<int?>("--stages") { Description = "With an .onnx backbone: how many of its last stages the head reads, each pooled to 2x2 (default 3; with --train-layers, those from the cut on)." }.AtLeast(1);
    public Option<int> HeadSteps { get; } = new Option<int>("--head-steps") { Description = "With an .onnx backbone: full-batch Adam steps of the head on the cached features.", DefaultValueFactory = _ => 300 }.Within(1, 1_000_000);
    public Option<float> WeightDecay { get; } = new Option<float>("--weight-decay") { Description = "With an .onnx backbone: the head's weight decay on standardised features.", DefaultValueFactory = _ => 1f }.NonNegative();

    public IEnumerable<Option> All => [Preprocess, PixelScale, Fill, Stages, HeadSteps, WeightDecay];

    /// <summary>The model of <paramref name="path"/> when it is an .onnx file that names no Striate architecture (a network from elsewhere), else null.</summary>
    public static OnnxModel? Foreign(string path) =>
        OnnxFiles.IsOnnx(path) && File.Exists(path) && OnnxModel.Load(path) is var m && !m.Metadata.ContainsKey("striate.architecture") ? m : null;

    /// <summary>Refuses the backbone options when --from is not a foreign network.</summary>
    public void RefuseWithout(ParseResult r)
    {
        foreach (var o in All)
            if (r.Given(o)) throw new CliUsageException($"{o.Name} applies to fine-tuning a network from an .onnx file Striate did not write (--from network.onnx).");
    }

    /// <summary>Runs the backbone fine-tuning; returns the exit code.</summary>
    public int Run(ParseResult r, RunOptions shared, Option<string> classesOption, Option<int> perClass, Option<string[]> layers, Option<string[]> layerLr,
        Option<string?> model, Option<string?> weights, string fromPath, OnnxModel network, TextWriter stdout, TextWriter stderr, Command cmd)
    {
        if (r.Given(model) || r.Given(weights)) throw new CliUsageException("--model and --weights build a zoo model; --from network.onnx brings its own network.");
        if (r.Given(layerLr)) throw new CliUsageException("--layer-lr: a network from an .onnx file trains with one rate (--lr) for the part --train-layers leaves trainable.");
        if (shared.OptimizerKind(r) != Optim.OptimizerKind.Adam) throw new CliUsageException("--optimizer: a network from an .onnx file trains with adam (the head, then the layers --train-layers names).");
        string augment = shared.AugmentName(r);
        if (augment is not ("none" or "flip"))
            throw new CliUsageException($"--augment {augment}: a network from an .onnx file computes each image's features once, so only 'flip' (every training image's mirror computed too) or 'none' apply.");
        string outPath = r.GetValue(shared.Out) ?? Path.Combine("runs", "finetune.onnx");
        if (!OnnxFiles.IsOnnx(outPath)) throw new CliUsageException($"--out {outPath}: a classifier on an .onnx network is written as an .onnx graph; name a file ending in .onnx.");
        Output.CheckWritable(outPath, "--out");
        string folder = DataLocator.Resolve(r.GetValue(shared.Data));
        var train = Datasets.LoadIdx(folder, train: true);
        var test = Datasets.LoadIdx(folder, train: false);

        OnnxBackbone backbone;
        try
        {
            var pre = r.GetValue(Preprocess) is { } p ? OnnxModel.Load(Arguments.ExistingFile(p)) : null;
            backbone = OnnxBackbone.Create(network, pre, (train.Channels, train.Height, train.Width), r.GetValue(PixelScale), r.GetValue(Fill));
        }
        catch (NotSupportedException e)
        {
            throw new CliUsageException($"'{fromPath}': {e.Message}");
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException($"'{fromPath}': {e.Message}");
        }
        var trainLayers = (r.GetValue(layers) ?? []).SelectMany(l => l.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        string? trainFrom = trainLayers switch
        {
            [] => null,
            ["last"] => backbone.Stages.Where(s => s.Height >= 2 && s.Width >= 2).SkipLast(1).LastOrDefault()?.Value
                ?? throw new CliUsageException($"--train-layers last: '{fromPath}' has no stage before its last one to cut at."),
            [var name] when name.StartsWith("after:", StringComparison.Ordinal) => name["after:".Length..],
            _ => throw new CliUsageException($"--train-layers {string.Join(",", trainLayers)}: a network from an .onnx file takes 'last' (its last stage trains) or 'after:VALUE' " +
                $"(everything computed from one of its stages trains: {string.Join(", ", backbone.Stages.Select(s => s.Value))})."),
        };
        var options = new BackboneRunOptions
        {
            Classes = Arguments.Classes(r.GetValue(classesOption)!, "--classes"),
            PerClass = r.GetValue(perClass),
            Seed = r.GetValue(shared.Seed),
            HeadSteps = r.GetValue(HeadSteps),
            WeightDecay = r.GetValue(WeightDecay),
            Flip = augment == "flip",
            TrainFrom = trainFrom,
            TuneEpochs = r.Given(shared.Epochs) ? r.GetValue(shared.Epochs) : 3,
            TuneLr = r.GetValue(shared.Lr) ?? 1e-4f,
            BatchSize = r.GetValue(shared.BatchSize),
            Stages = r.GetValue(Stages),
            TestLimit = r.GetValue(shared.TestLimit),
        };
        BackboneRun run;
        try
        {
            run = new BackboneRun(options, backbone, train, test);
        }
        catch (ArgumentException e)
        {
            throw Arguments.Refused(e, cmd);
        }
        bool asJson = r.GetValue(shared.Json);
        var log = asJson ? stderr : stdout;
        var inv = CultureInfo.InvariantCulture;
        log.WriteLine($"fine-tuning {fromPath}: images {backbone.ImageShape.C}x{backbone.ImageShape.H}x{backbone.ImageShape.W} to its {backbone.NetworkShape.C}x{backbone.NetworkShape.H}x{backbone.NetworkShape.W} input; " +
            $"classes {string.Join(",", options.Classes)} ({string.Join(", ", run.TrainSet.ClassNames)}), {run.TrainSet.Count:N0} training images{(options.Flip ? " and their flips" : "")}, {run.TestSet.Count:N0} test images");
        log.WriteLine($"head: {run.FeatureCount:N0} features ({string.Join(", ", run.Taps.Select(t => $"{t.Value} {t.Channels}x{t.Height}x{t.Width}"))}, each pooled to 2x2), " +
            (run.Cut is { } cut ? $"then trained with everything after {cut.Value} for {options.TuneEpochs} epochs at lr {options.TuneLr.ToString("G3", inv)}" : "backbone frozen"));
        log.Flush();
        var records = run.Run(e =>
        {
            stdout.WriteLine(asJson ? TrainingLog.ToJson(e)
                : string.Create(inv, $"{(e.Epoch <= options.HeadSteps ? $"head step {e.Epoch}/{options.HeadSteps}" : $"epoch {e.Epoch - options.HeadSteps}/{options.TuneEpochs}")}  train_loss {e.TrainLoss:F4}  train_acc {e.TrainAccuracy:P2}  test_loss {e.TestLoss:F4}  test_acc {e.TestAccuracy:P2}  {e.Seconds:F1} s"));
            stdout.Flush();
        }, line => { log.WriteLine(line); log.Flush(); });
        var metadata = new Dictionary<string, string>
        {
            ["striate.class_names"] = JsonSerializer.Serialize(run.TrainSet.ClassNames),
            [OnnxFiles.ClassesKey] = TrainedClasses.Format(options.Classes),
            ["striate.backbone"] = Path.GetFileName(fromPath),
        };
        var classifier = run.Classifier!;
        new OnnxModel
        {
            IrVersion = classifier.IrVersion, Opsets = classifier.Opsets, ProducerName = classifier.ProducerName,
            ProducerVersion = classifier.ProducerVersion, Graph = classifier.Graph, Metadata = metadata,
        }.Save(outPath);
        if (asJson)
            Output.Json(stdout, new
            {
                test_accuracy = records[^1].TestAccuracy,
                features = run.FeatureCount,
                stages = run.Taps.Select(t => t.Value),
                trained_from = run.Cut?.Value,
                seconds = records[^1].Seconds,
                saved = Path.GetFullPath(outPath),
            });
        log.WriteLine(string.Create(inv, $"test accuracy on classes {string.Join(",", options.Classes)}: {records[^1].TestAccuracy:P2}; saved {Path.GetFullPath(outPath)}"));
        return 0;
    }
}
