using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Striate.Data;
using Striate.Runs;
using Striate.Threading;

namespace Striate.Cli;

/// <summary>
/// <c>striate train --task segment [--model unet-small]</c>: a segmentation model trained on seeded scenes of the
/// data's images (training scenes from the training images, test scenes from the test images), with pixel accuracy
/// and IoU on the test scenes after every epoch.
/// </summary>
public static class SegmentTask
{
    private static readonly Option<int> s_scenes = new Option<int>("--scenes") { Description = "--task segment: training scenes to draw.", DefaultValueFactory = _ => 10_000 }.Within(1, 1_000_000);
    private static readonly Option<int> s_testScenes = new Option<int>("--test-scenes") { Description = "--task segment: test scenes to draw (from the test images).", DefaultValueFactory = _ => 1_000 }.Within(1, 1_000_000);
    private static readonly Option<int> s_sceneSize = new Option<int>("--scene-size") { Description = "--task segment: the scenes' side in pixels (a multiple of 32 for the FCNs, of 8 for unet-small).", DefaultValueFactory = _ => 64 }.Within(32, 1024);
    private static readonly Option<float> s_dice = new Option<float>("--dice-weight") { Description = "--task segment: weight of the soft Dice loss added to the per-pixel cross-entropy.", DefaultValueFactory = _ => 0.5f }.NonNegative();

    /// <summary>The options only --task segment reads.</summary>
    public static IReadOnlyList<Option> Options { get; } = [s_scenes, s_testScenes, s_sceneSize, s_dice];

    private static readonly string[] Used =
        ["--task", "--model", "--data", "--scenes", "--test-scenes", "--scene-size", "--dice-weight", "--time-limit", "--epochs", "--batch-size", "--lr", "--seed", "--out", "--threads", "--json"];

    public static void AddOptions(Command train)
    {
        foreach (var o in Options) train.Options.Add(o);
    }

    public static bool Handles(ParseResult r) => string.Equals(r.GetValue<string>("--task"), "segment", StringComparison.OrdinalIgnoreCase);

    /// <summary>Refuses a segmentation model name given to another task.</summary>
    public static void RejectModel(string? name, string task)
    {
        if (name is not null && SegmentationModels.Names.Contains(name))
            throw new CliUsageException($"--model {name} is a segmentation model; train it with --task segment (--task {task} takes the zoo's classifiers).");
    }

    public static int Run(ParseResult r, TextWriter stdout, TextWriter stderr)
    {
        TaskOptions.RejectUnused(r, "segment", Used);
        string model = r.GetValue<string?>("--model") ?? "unet-small";
        if (!SegmentationModels.Names.Contains(model))
            throw new CliUsageException($"--task segment trains {string.Join(", ", SegmentationModels.Names)}; '{model}' is not one of them.");
        if (r.GetValue<int?>("--threads") is int t) Parallelism.Threads = t;
        int size = r.GetValue(s_sceneSize);
        if (size % (model.StartsWith("fcn", StringComparison.Ordinal) ? 32 : 8) != 0)
            throw new CliUsageException($"--scene-size {size}: {model} takes sides that are multiples of {(model.StartsWith("fcn", StringComparison.Ordinal) ? 32 : 8)}.");
        string output = r.GetValue<string?>("--out") ?? Path.Combine("runs", $"{model}.safetensors");
        Output.CheckWritable(output, "--out");
        var defaults = new SegmentationOptions();
        var options = defaults with
        {
            Model = model,
            Epochs = r.Given("--epochs") ? r.GetValue<int>("--epochs") : defaults.Epochs,
            BatchSize = r.Given("--batch-size") ? r.GetValue<int>("--batch-size") : defaults.BatchSize,
            LearningRate = r.GetValue<float?>("--lr") ?? defaults.LearningRate,
            Seed = r.GetValue<ulong>("--seed"),
            DiceWeight = r.GetValue(s_dice),
            TimeLimit = r.GetValue<double?>("--time-limit") is double m ? TimeSpan.FromMinutes(m) : null,
        };
        string folder = DataLocator.Resolve(r.GetValue<string?>("--data"));
        var trainImages = Datasets.LoadIdx(folder, train: true);
        var testImages = Datasets.LoadIdx(folder, train: false);
        var sceneOptions = new SceneOptions { Size = size };
        SegmentationScenes train, test;
        try
        {
            train = SegmentationScenes.Generate(trainImages, r.GetValue(s_scenes), options.Seed, sceneOptions);
            test = SegmentationScenes.Generate(testImages, r.GetValue(s_testScenes), options.Seed + 1_000_003, sceneOptions);
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException(e.Message);
        }
        var run = new SegmentationRun(train, test, options);
        bool json = r.GetValue<bool>("--json");
        var log = json ? stderr : stdout;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"segment: {model}, {run.Model.Parameters().Sum(p => (long)p.Numel):N0} parameters; {train.Count:N0} training scenes and {test.Count:N0} test scenes of {size}x{size} ({train.ClassCount} classes: {string.Join(", ", train.ClassNames)})"));
        bool completed = Interrupted.Run(cancel => run.Run(e =>
        {
            if (json)
                stdout.WriteLine(JsonSerializer.Serialize(new
                {
                    epoch = e.Epoch, batches = e.Batches, train_loss = Math.Round(e.TrainLoss, 5), pixel_accuracy = Math.Round(e.PixelAccuracy, 5),
                    mean_iou = Math.Round(e.MeanIoU, 5), class_iou = e.ClassIoU.Select(v => double.IsNaN(v) ? (double?)null : Math.Round(v, 5)), seconds = Math.Round(e.Seconds, 1), stopped = e.Stopped,
                }));
            else
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"epoch {e.Epoch}/{options.Epochs}: train loss {e.TrainLoss:F4}, test pixel accuracy {e.PixelAccuracy:P2}, mean IoU {e.MeanIoU:F4}, {e.Seconds:F0} s{(e.Stopped ? " (time limit)" : "")}"));
        }, output, cancel));
        if (!completed)
        {
            stderr.WriteLine($"interrupted: the model of the last finished epoch (if any) is {output}");
            return Interrupted.ExitCode;
        }
        log.WriteLine($"saved {output}");
        return 0;
    }
}
