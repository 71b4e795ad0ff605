using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Striate.Threading;
using Striate.Data;
using Striate.IO;
using Striate.Models;
using Striate.Optim;
using Striate.Runs;
using Striate.Training;

namespace Striate.Cli;

/// <summary><c>striate train</c>: trains a model on an IDX image folder (the bundled Fashion-MNIST by default).</summary>
public static class TrainCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var cmd = new Command("train", "Train a classifier (or, with --task, an embedding or a DeepFace head) on a --data folder: MNIST or Fashion-MNIST IDX files (the bundled Fashion-MNIST by default), CIFAR-10/100 binaries, or an image folder with train/ and test/; save a checkpoint and logs after every epoch.");
        var shared = new RunOptions(5, "Data folder: IDX files, CIFAR binaries or an image folder (default: the bundled data/fashion-mnist).", "Checkpoint to write after every epoch (default runs/<model>.safetensors).", "Seed of the initial weights and the shuffling.").AddTo(cmd);
        var (data, epochs, batch, optimizer, seed, testLimit, output, json) =
            (shared.Data, shared.Epochs, shared.BatchSize, shared.Optimizer, shared.Seed, shared.TestLimit, shared.Out, shared.Json);
        var report = new Option<string?>("--report") { Description = "Also write a self-contained HTML report of the run (curves, confusion matrix, filters) to this file." };
        var model = new Option<string?>("--model", "-m") { Description = $"Architecture: {string.Join(", ", ModelZoo.Names)} (default lenet5)." }.Choice(n => Runs.SegmentationModels.Names.Contains(n) ? n : ModelZoo.Check(n));
        var momentum = new Option<float>("--momentum") { Description = "SGD momentum.", DefaultValueFactory = _ => 0.9f }.NonNegative();
        var weightDecay = new Option<float>("--weight-decay") { Description = "Weight decay (L2 for sgd/adam, decoupled for adamw)." }.NonNegative();
        var resume = new Option<string?>("--resume") { Description = "Checkpoint to continue from." };
        var weights = new Option<string?>("--weights") { Description = "State dict (.pth or .safetensors, written by PyTorch or Striate) the model starts from in place of its initialisation; every key must fit." };
        var validation = new Option<double>("--validation") { Description = "Fraction of the training images held out for validation." }.InRange(0, 1);
        var limit = new Option<int>("--limit") { Description = "Train on N training images only (0: all): the first N (with --task deepface, the first N of the chosen classes); with --task triplet or contrastive, N drawn with the seed from the chosen classes." }.AtLeast(0);
        var schedule = new Option<string>("--schedule") { Description = "Learning-rate schedule over the run: constant, cosine, onecycle, step:SIZE:GAMMA, multistep:E1,E2:GAMMA, plateau:FACTOR:PATIENCE[:COOLDOWN[:MIN_LR]] (on the validation loss, else the training loss); add +warmup:EPOCHS for a linear warm-up.", DefaultValueFactory = _ => "cosine" }
            .Choice(LrSchedule.Parse);
        var clip = new Option<double?>("--clip-grad-norm") { Description = "Clip the gradients' joint L2 norm to this value before every step." }.Positive();
        var workers = new Option<int?>("--workers") { Description = "Threads assembling and augmenting the training batches (default: half the cores, 1 to 4); the batches are the same for any number." }.Within(0, 256);
        foreach (var o in new Option[] { report, model, momentum, weightDecay, schedule, clip, resume, weights, validation, limit, workers })
            cmd.Options.Add(o);
        EmbeddingTask.AddOptions(cmd);
        CharLmTask.AddOptions(cmd);
        SegmentTask.AddOptions(cmd);
        var imageOptions = ImageOptions.Add(cmd);
        var balancing = BalanceOptions.Add(cmd);
        var stopping = new Option<int?>("--early-stopping") { Description = "Stop after this many epochs without a better validation metric (needs --validation); the best epoch's checkpoint is kept as <out>.best.safetensors." }.AtLeast(1);
        var stoppingDelta = new Option<double>("--early-stopping-min-delta") { Description = "The smallest change of the validation metric that counts as an improvement." }.InRange(0, double.PositiveInfinity);
        var stoppingMonitor = new Option<string>("--early-stopping-monitor") { Description = "The validation metric early stopping watches: loss or accuracy.", DefaultValueFactory = _ => "loss" }
            .Choice(EarlyStopping.ParseMonitor);
        var init = new Option<string>("--init") { Description = "Initialisation of the convolution and linear layers: default (PyTorch's), zeros, small (N(0, 0.01^2)), xavier or he.", DefaultValueFactory = _ => "default" }
            .Choice(Nn.Init.ParseScheme);
        foreach (var o in new Option[] { stopping, stoppingDelta, stoppingMonitor, init }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            if (CharLmTask.Handles(r)) return CharLmTask.Run(r, stdout, stderr);
            if (SegmentTask.Handles(r)) return SegmentTask.Run(r, stdout, stderr);
            if (EmbeddingTask.Handles(r)) return EmbeddingTask.Run(r, stdout, stderr);
            // Options of the other tasks, and options that only act with another option, are refused rather than dropped.
            TaskOptions.RejectUnused(r, "classify", r.CommandResult.Command.Options.Select(o => o.Name).Except(EmbeddingTask.OtherTaskOptionNames).ToList(),
                "They belong to --task triplet, contrastive, deepface, charlm or segment.");
            var opt = shared.OptimizerKind(r);
            if (r.Given(momentum) && opt != OptimizerKind.Sgd)
                throw new CliUsageException($"--momentum applies to --optimizer sgd, not {r.GetValue(optimizer)}.");
            if ((r.Given(stoppingDelta) || r.Given(stoppingMonitor)) && !r.Given(stopping))
                throw new CliUsageException("--early-stopping-min-delta and --early-stopping-monitor tune --early-stopping; give the patience too.");
            // A resumed run keeps the checkpoint's settings (TrainingOptions.ResumedFrom): an option given with another
            // value is refused, and the batch size, image limit and validation fraction come from the checkpoint.
            if (r.GetValue(resume) is not null && r.GetValue(weights) is not null)
                throw new CliUsageException("--resume continues from its checkpoint's weights; --weights starts a new run from a state dict: give one of them.");
            var resumed = r.GetValue(resume) is { } resumePath ? Checkpoint.ReadHeader(Arguments.ExistingFile(resumePath)) : null;
            var given = r.CommandResult.Children.OfType<System.CommandLine.Parsing.OptionResult>().Where(o => !o.Implicit)
                .Select(o => o.Option.Name.TrimStart('-')).ToHashSet(StringComparer.Ordinal);
            SegmentTask.RejectModel(r.GetValue(model), "classify");
            string? arch = r.GetValue(model) is { } m ? ModelZoo.Check(m) : null;
            float rate = shared.LearningRate(r);
            var sched = ScheduleSpec.Parse(r.GetValue(schedule)!);
            string aug = shared.AugmentName(r);
            shared.ApplyThreads(r);
            // A resumed run continues in the file it resumes unless --out says otherwise: it never writes over another
            // run's checkpoint by default. The output is checked before any data is read.
            string outputPath = r.GetValue(output) ?? r.GetValue(resume) ?? Path.Combine("runs", (arch ?? "lenet5") + ".safetensors");
            Output.CheckWritable(outputPath, "--out");
            string folder = DataLocator.Resolve(r.GetValue(data));
            var dataOptions = imageOptions.Read(r, stderr);
            imageOptions.RejectUnlessImageFolder(r, folder);
            bool imageFolder = DataFolder.Recognize(folder) == DataFolderKind.ImageFolder;
            var train = Datasets.Load(folder, train: true, dataOptions);
            // The test split is read at the training images' size (an image folder's test images may differ).
            var test = Datasets.Load(folder, train: false, dataOptions with { Channels = train.Channels, Height = train.Height, Width = train.Width }, train.ClassNames);
            var options = new TrainingOptions
            {
                Model = arch,
                Epochs = r.GetValue(epochs),
                BatchSize = r.GetValue(batch),
                Optimizer = new OptimizerConfig(opt, rate, opt == OptimizerKind.Sgd ? r.GetValue(momentum) : 0f, r.GetValue(weightDecay)),
                Seed = r.GetValue(seed),
                Validation = r.GetValue(validation),
                TrainLimit = r.GetValue(limit),
                TestLimit = r.GetValue(testLimit),
                Output = outputPath,
                Resume = r.GetValue(resume),
                Schedule = sched,
                ClipGradNorm = r.GetValue(clip),
                Augment = aug,
                Workers = r.GetValue(workers),
                Balance = balancing.Balance(r),
                Imbalance = balancing.Imbalance(r),
                // An image folder is read at --image-size and --channels; other data is resized and converted batch by batch.
                ImageSize = !imageFolder && dataOptions.Height is int h ? (h, dataOptions.Width ?? h) : null,
                Channels = imageFolder ? null : dataOptions.Channels,
                Init = Nn.Init.ParseScheme(r.GetValue(init)!),
                Weights = r.GetValue(weights) is { } w ? Arguments.ExistingFile(w) : null,
                EarlyStoppingPatience = r.GetValue(stopping),
                EarlyStoppingMinDelta = r.GetValue(stoppingDelta),
                EarlyStoppingMonitor = EarlyStopping.ParseMonitor(r.GetValue(stoppingMonitor)!),
            };
            if (resumed is not null)
            {
                var kept = options.ResumedFrom(resumed);
                var conflicts = options.Differences(kept, given);
                if (conflicts.Count > 0)
                    throw new CliUsageException("--resume continues with the checkpoint's own settings; these differ from them: " +
                        $"{string.Join("; ", conflicts.Select(d => $"--{d.Name} {d.Given} (the checkpoint's: {d.Kept})"))}. Start a new run to change them.");
                options = kept;
            }
            if (r.GetValue(report) is { } reportPath)
            {
                if (new RunFiles(options.Output).Owns(reportPath))
                    throw new CliUsageException($"--report '{reportPath}' would overwrite a file the run writes beside its checkpoint '{options.Output}'; choose another name.");
            }
            TrainingRun run;
            try
            {
                run = new TrainingRun(options, train, test);
            }
            catch (ArgumentException e)
            {
                throw Arguments.Refused(e, cmd);
            }
            bool asJson = r.GetValue(json);
            var log = asJson ? stderr : stdout;
            log.WriteLine($"training {run.Spec.Architecture} ({run.Model.ParameterCount():N0} parameters) on {run.TrainSet.Count:N0} images from {folder}, " +
                $"{options.Epochs} epochs, batch {options.BatchSize}, {EnumText.Name(run.OptimizerConfig.Name)} lr {run.OptimizerConfig.Lr.ToString(CultureInfo.InvariantCulture)}, " +
                $"seed {run.Seed}, {Parallelism.Threads} threads{(run.StartEpoch > 0 ? $", resuming after epoch {run.StartEpoch}" : "")}");
            void Report(EpochRecord rec)
            {
                if (asJson) stdout.WriteLine(TrainingLog.ToJson(rec));
                else stdout.WriteLine(FormatEpoch(rec, options.Epochs));
                stdout.Flush();
            }
            bool interactive = !asJson && ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
            if (!Interrupted.Run(cancel => { if (interactive) RunWithProgress(AnsiConsole.Console, run, options.Epochs, cancel); else run.Run(Report, _ => cancel.ThrowIfCancellationRequested(), cancel); }))
            {
                if (interactive) AnsiConsole.Cursor.Show();
                stderr.WriteLine(run.EpochsDone > 0
                    ? $"interrupted: the checkpoint of epoch {run.EpochsDone} is {Path.GetFullPath(options.Output)}; continue with: striate train --resume {options.Output} --epochs {options.Epochs}"
                    : "interrupted before the first epoch ended; nothing was saved.");
                return Interrupted.ExitCode;
            }
            log.WriteLine($"saved {Path.GetFullPath(options.Output)}");
            if (r.GetValue(report) is { } html)
                Output.Report(run.ToCheckpoint(run.EpochsDone), options.Output, run.Files.Csv, test, options.TestLimit, html, log);
            if (run.EarlyStop is { } es)
                log.WriteLine($"{(es.Stopped ? "stopped early; " : "")}best validation {EarlyStopping.NameOf(es.Monitor)} {es.Best.ToString("G6", CultureInfo.InvariantCulture)} at epoch {es.BestEpoch}, kept in {Path.GetFullPath(run.BestPath)}");
            return 0;
        });
        return cmd;
    }

    private static string FormatEpoch(EpochRecord r, int epochs)
    {
        var inv = CultureInfo.InvariantCulture;
        string val = r.ValidationAccuracy is { } v ? string.Create(inv, $"val_acc {v:P2}  ") : "";
        return string.Create(inv, $"epoch {r.Epoch}/{epochs}  train_loss {r.TrainLoss:F4}  train_acc {r.TrainAccuracy:P2}  {val}test_loss {r.TestLoss:F4}  test_acc {r.TestAccuracy:P2}  {r.ImagesPerSecond:F0} img/s  {r.Seconds:F1} s");
    }

    /// <summary>
    /// Trains with a live progress line sized to the terminal: one bar for the epoch in progress (reset each epoch, so
    /// no epoch is shown twice), the epoch summaries printed above it, and nothing wider than the console, so an
    /// 80-column terminal shows no wrapped line. The bar is cleared when the run ends.
    /// </summary>
    internal static void RunWithProgress(IAnsiConsole console, TrainingRun run, int epochs, CancellationToken cancel)
    {
        int width = Math.Max(console.Profile.Width, 40);
        bool narrow = width < 120;
        // The description takes what the percentage, the spinner and the bar leave.
        string Describe(BatchProgress p) => narrow
            ? string.Create(CultureInfo.InvariantCulture, $"epoch {p.Epoch + 1}/{epochs} {p.Batch}/{p.Batches} loss {p.RunningLoss:F3}")
            : string.Create(CultureInfo.InvariantCulture, $"epoch {p.Epoch + 1}/{epochs}  batch {p.Batch}/{p.Batches}  loss {p.RunningLoss:F4}  acc {p.RunningAccuracy:P1}  {p.ImagesPerSecond:F0} img/s");
        int describeWidth = narrow ? 34 : 70;
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = Math.Clamp(width - describeWidth - 16, 5, 40) },
                new PercentageColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"epoch {run.StartEpoch + 1}/{epochs}".PadRight(describeWidth), maxValue: 1);
                run.Run(
                    rec => console.MarkupLine(Markup.Escape(narrow ? FormatEpochShort(rec, epochs) : FormatEpoch(rec, epochs))),
                    p =>
                    {
                        if (p.Batch == 1) task.MaxValue = p.Batches;
                        task.Value = p.Batch;
                        task.Description = Describe(p).PadRight(describeWidth)[..describeWidth];
                        cancel.ThrowIfCancellationRequested();
                    },
                    cancel);
            });
    }

    // An epoch's summary in under 80 columns.
    private static string FormatEpochShort(EpochRecord r, int epochs)
    {
        var inv = CultureInfo.InvariantCulture;
        string val = r.ValidationAccuracy is { } v ? string.Create(inv, $"  val {v:P1}") : "";
        return string.Create(inv, $"epoch {r.Epoch}/{epochs}  loss {r.TrainLoss:F4}  train {r.TrainAccuracy:P1}{val}  test {r.TestAccuracy:P1}  {r.Seconds:F1} s");
    }
}
