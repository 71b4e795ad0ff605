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
        ["--task", "--model", "--data", "--channels", "--scenes", "--test-scenes", "--scene-size", "--dice-weight", "--time-limit", "--epochs", "--batch-size", "--lr", "--schedule", "--seed", "--resume", "--report", "--out", "--threads", "--json"];

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
        if (r.GetValue<int?>("--threads") is int t) Parallelism.Threads = t;
        var inv = CultureInfo.InvariantCulture;
        SegmentationFile.Saved? saved = null;
        if (r.GetValue<string?>("--resume") is { } resumePath)
        {
            string file = Arguments.ExistingFile(resumePath);
            if (!SegmentationFile.IsSegmentation(file))
                throw new CliUsageException($"--resume '{file}' is not a segmentation model; --task segment resumes the files it writes.");
            saved = SegmentationFile.Read(file);
            if (saved.Progress is null || saved.OptimizerState.Count == 0)
                throw new CliUsageException($"--resume '{file}' holds no optimizer state or progress; it was not written by striate train --task segment, or was exported without them.");
        }
        // Every setting as text: as given (or its default), or on a resume the saved run's, which a given option may not change.
        string Setting(string option, string key, string current)
        {
            if (saved is null) return current;
            if (!saved.Settings.TryGetValue(key, out var was))
                throw new CliUsageException($"--resume '{saved.Path}' does not record its {key}; resume the files striate train --task segment writes.");
            if (r.Given(option) && current != was)
                throw new CliUsageException($"{option} {current}: the run being resumed used {was}; a resumed run keeps its settings (--epochs and --time-limit may change).");
            return was;
        }
        string model = Setting("--model", "model", r.GetValue<string?>("--model") ?? "unet-small");
        if (model == "unet")
            throw new CliUsageException("--model unet is the paper's valid-padded U-Net, whose scores are smaller than its input (388 pixels for 572); --task segment trains models whose scores have the input's size: unet-small or an FCN.");
        if (!SegmentationModels.Trainable.Contains(model))
            throw new CliUsageException($"--task segment trains {string.Join(", ", SegmentationModels.Trainable)}; '{model}' is not one of them.");
        int multiple = SegmentationModels.SizeMultiple(model);
        string output = r.GetValue<string?>("--out") ?? Path.Combine("runs", $"{model}.safetensors");
        Output.CheckWritable(output, "--out");
        string? report = r.GetValue<string?>("--report");
        if (report is not null) Output.CheckWritable(report, "--report");
        var defaults = new SegmentationOptions();
        string schedule = Setting("--schedule", "schedule", r.Given("--schedule") ? r.GetValue<string>("--schedule")!.ToLowerInvariant() : "cosine");
        if (schedule is not ("cosine" or "constant"))
            throw new CliUsageException($"--task segment takes --schedule cosine (the default: to zero over the epochs or the time limit) or constant, not '{schedule}'.");
        var options = defaults with
        {
            Model = model,
            Epochs = r.Given("--epochs") ? r.GetValue<int>("--epochs") : defaults.Epochs,
            BatchSize = int.Parse(Setting("--batch-size", "batch_size", (r.Given("--batch-size") ? r.GetValue<int>("--batch-size") : defaults.BatchSize).ToString(inv)), inv),
            LearningRate = float.Parse(Setting("--lr", "lr", (r.GetValue<float?>("--lr") ?? defaults.LearningRate).ToString("R", inv)), inv),
            Seed = ulong.Parse(Setting("--seed", "seed", r.GetValue<ulong>("--seed").ToString(inv)), inv),
            DiceWeight = float.Parse(Setting("--dice-weight", "dice_weight", r.GetValue(s_dice).ToString("R", inv)), inv),
            TimeLimit = r.GetValue<double?>("--time-limit") is double m ? TimeSpan.FromMinutes(m) : null,
            CosineSchedule = schedule == "cosine",
        };
        if (saved is not null && options.Epochs <= saved.Progress!.Epoch)
            throw new CliUsageException($"--resume '{saved.Path}' has done {saved.Progress.Epoch} epochs; give --epochs above that to train on.");
        string folder = Path.GetFullPath(Setting("--data", "data", Path.GetFullPath(DataLocator.Resolve(r.GetValue<string?>("--data")))));
        if (!Directory.Exists(folder)) throw new CliUsageException($"the data folder '{folder}' of the run being resumed does not exist.");
        SegmentationSet train, test;
        string what;
        var settings = new Dictionary<string, string>
        {
            ["model"] = model, ["schedule"] = schedule, ["batch_size"] = options.BatchSize.ToString(inv), ["lr"] = options.LearningRate.ToString("R", inv),
            ["seed"] = options.Seed.ToString(inv), ["dice_weight"] = options.DiceWeight.ToString("R", inv), ["data"] = folder,
        };
        if (SegmentationFolder.Is(folder))
        {
            foreach (var o in new[] { "--scenes", "--test-scenes", "--scene-size" })
                if (r.Given(o)) throw new CliUsageException($"{o} draws scenes from an image set; '{folder}' is segmentation data of its own (images/ and masks/).");
            int channels = int.Parse(Setting("--channels", "channels", (r.GetValue<int?>("--channels") ?? 3).ToString(inv)), inv);
            settings["channels"] = channels.ToString(inv);
            train = SegmentationFolder.Load(folder, "train", channels);
            test = SegmentationFolder.Load(folder, "test", channels);
            CheckSides(train, model, multiple, SegmentationFolder.SplitFolder(folder, "train"));
            CheckSides(test, model, multiple, SegmentationFolder.SplitFolder(folder, "test"));
            what = $"{train.Count:N0} training images of {train.Width}x{train.Height} and {test.Count:N0} test images of {test.Width}x{test.Height}, {channels} channel{(channels == 1 ? "" : "s")}, from {folder}";
        }
        else
        {
            if (r.Given("--channels")) throw new CliUsageException("--channels is for segmentation data of one's own; the scenes are gray.");
            int size = int.Parse(Setting("--scene-size", "scene_size", r.GetValue(s_sceneSize).ToString(inv)), inv);
            int scenes = int.Parse(Setting("--scenes", "scenes", r.GetValue(s_scenes).ToString(inv)), inv);
            int testScenes = int.Parse(Setting("--test-scenes", "test_scenes", r.GetValue(s_testScenes).ToString(inv)), inv);
            (settings["scene_size"], settings["scenes"], settings["test_scenes"]) = (size.ToString(inv), scenes.ToString(inv), testScenes.ToString(inv));
            if (size % multiple != 0)
                throw new CliUsageException($"--scene-size {size}: {model} takes sides that are multiples of {multiple}.");
            var trainImages = Datasets.LoadIdx(folder, train: true);
            var testImages = Datasets.LoadIdx(folder, train: false);
            var sceneOptions = new SceneOptions { Size = size };
            try
            {
                train = SegmentationScenes.Generate(trainImages, scenes, options.Seed, sceneOptions);
                test = SegmentationScenes.Generate(testImages, testScenes, SegmentationScenes.TestSeed(options.Seed), sceneOptions);
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException(e.Message);
            }
            what = $"{train.Count:N0} training scenes and {test.Count:N0} test scenes of {size}x{size}";
        }
        var run = new SegmentationRun(train, test, options) { Settings = settings };
        bool json = r.GetValue<bool>("--json");
        var log = json ? stderr : stdout;
        if (saved is not null)
        {
            run.Resume(saved);
            log.WriteLine(string.Create(inv, $"resuming {saved.Path} after epoch {run.EpochsDone} ({saved.Progress!.Seconds:F0} s of training)"));
        }
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"segment: {model}, {run.Model.Parameters().Sum(p => (long)p.Numel):N0} parameters; {what} ({train.ClassCount} classes: {string.Join(", ", train.ClassNames)})"));
        var records = new List<SegmentationEpoch>();
        bool completed = Interrupted.Run(cancel => run.Run(e =>
        {
            records.Add(e);
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
        if (report is not null)
        {
            Striate.Visualization.RunReport.Write(report, Striate.Visualization.SegmentationReport.Build(run.Model, model, records, test, settings, $"Segmentation: {model}"));
            log.WriteLine($"wrote {Path.GetFullPath(report)}");
        }
        return 0;
    }

    // Refuses images whose sides the model cannot take.
    private static void CheckSides(SegmentationSet set, string model, int multiple, string folder)
    {
        if (set.Height % multiple != 0 || set.Width % multiple != 0)
            throw new CliUsageException($"the images in '{folder}' are {set.Width}x{set.Height}; {model} takes sides that are multiples of {multiple} (crop or pad them so).");
    }

    /// <summary>True when <paramref name="path"/> is a safetensors file that striate train --task segment wrote.</summary>
    public static bool IsSegmentationFile(string path) =>
        File.Exists(path) && path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) && SegmentationFile.IsSegmentation(path);

    /// <summary>
    /// <c>striate evaluate</c> on a segmentation model: pixel accuracy, per-class and mean IoU, and the confusion matrix
    /// in pixels, on the test split of segmentation data of one's own, or else on <paramref name="count"/> test scenes
    /// drawn from the data's test images.
    /// </summary>
    public static int Evaluate(string path, string? data, int? count, int? size, ulong seed, bool json, TextWriter stdout)
    {
        var (model, name, channels, classes) = SegmentationFile.Load(path);
        int multiple = SegmentationModels.SizeMultiple(name);
        string folder = DataLocator.Resolve(data);
        SegmentationSet test;
        string what;
        if (SegmentationFolder.Is(folder))
        {
            if (count is not null || size is not null) throw new CliUsageException($"--scenes and --scene-size draw scenes; '{folder}' is segmentation data of its own.");
            test = SegmentationFolder.Load(folder, "test", channels);
            CheckSides(test, name, multiple, SegmentationFolder.SplitFolder(folder, "test"));
            if (!test.ClassNames.SequenceEqual(classes))
                throw new CliUsageException($"'{folder}' names the classes {string.Join(", ", test.ClassNames)}; '{path}' was trained on {string.Join(", ", classes)}.");
            what = $"{test.Count} test images of {test.Width}x{test.Height}";
        }
        else
        {
            int side = size ?? 64;
            if (side % multiple != 0) throw new CliUsageException($"--scene-size {side}: {name} takes sides that are multiples of {multiple}.");
            if (channels != 1) throw new CliUsageException($"'{path}' was trained on {channels}-channel images; the scenes are gray. Evaluate it with --data on its own segmentation data.");
            var testImages = Datasets.LoadIdx(folder, train: false);
            try
            {
                test = SegmentationScenes.Generate(testImages, count ?? 1_000, SegmentationScenes.TestSeed(seed), new SceneOptions { Size = side });
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException(e.Message);
            }
            if (test.ClassCount != classes.Count)
                throw new CliUsageException($"the scenes have {test.ClassCount} classes (background and the data's {test.ClassCount - 1}); '{path}' was trained on {classes.Count}.");
            what = $"{test.Count} test scenes of {side}x{side}";
        }
        var metrics = SegmentationRun.Evaluate(model, test);
        var iou = metrics.ClassIoU();
        int k = classes.Count;
        var confusion = metrics.Confusion.ToArray();
        if (json)
        {
            Output.Json(stdout, new
            {
                images = test.Count,
                height = test.Height,
                width = test.Width,
                pixel_accuracy = metrics.PixelAccuracy,
                mean_iou = metrics.MeanIoU,
                class_iou = classes.Select((n, c) => new { @class = n, iou = double.IsNaN(iou[c]) ? (double?)null : iou[c] }),
                confusion_matrix = Enumerable.Range(0, k).Select(i => Enumerable.Range(0, k).Select(j => confusion[i * k + j]).ToArray()).ToArray(),
                class_names = classes,
            });
            return 0;
        }
        var inv = CultureInfo.InvariantCulture;
        stdout.WriteLine(string.Create(inv, $"{what} ({(long)test.Count * test.Height * test.Width:N0} pixels): pixel accuracy {metrics.PixelAccuracy:P2}, mean IoU {metrics.MeanIoU:F4}"));
        stdout.WriteLine("per-class IoU:");
        int width = classes.Max(n => n.Length);
        for (int c = 0; c < k; c++)
            stdout.WriteLine(double.IsNaN(iou[c]) ? $"  {classes[c].PadRight(width)}  (absent)" : string.Create(inv, $"  {classes[c].PadRight(width)}  {iou[c]:F4}"));
        var table = new System.Text.StringBuilder();
        EvaluateCommand.AppendConfusion(table, "confusion matrix in pixels (rows: true class, columns: predicted class):", classes, (i, j) => confusion[i * k + j], 7);
        stdout.Write(table.ToString());
        return 0;
    }
}
