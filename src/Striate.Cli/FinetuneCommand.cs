using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Striate.Models;
using Striate.Runs;
using Striate.Training;
using Striate.Transfer;

namespace Striate.Cli;

/// <summary>
/// <c>striate finetune</c>: trains a classifier on chosen classes, from a pre-trained checkpoint (its head
/// replaced for the new class count, only --train-layers trainable) or from scratch for comparison.
/// </summary>
public static class FinetuneCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var cmd = new Command("finetune", "Fine-tune a trained model on chosen classes (new head, frozen layers), or train one from scratch on them.");
        var from = new Option<string?>("--from") { Description = "Pre-trained checkpoint, a classifier or an embedding model (its embedding layer becomes the new head); without it the model is trained from scratch." };
        var model = new Option<string?>("--model", "-m") { Description = "Architecture when training from scratch (default lenet5)." };
        var classes = new Option<string>("--classes") { Description = "Dataset classes to learn, relabelled in order: 5-9 or 5,6,7.", Required = true };
        var perClass = new Option<int>("--per-class") { Description = "Training images per class, sampled with the seed (0: all)." };
        var layers = new Option<string[]>("--train-layers") { Description = "Layers left trainable (names or patterns: fc3, layer4, *.bias); default all.", AllowMultipleArgumentsPerToken = true };
        var layerLr = new Option<string[]>("--layer-lr") { Description = "PATTERN=LR: a learning rate of its own for some trainable layers (repeatable).", AllowMultipleArgumentsPerToken = true };
        var data = new Option<string?>("--data") { Description = "Folder with the four IDX files (default: the bundled data/fashion-mnist)." };
        var epochs = new Option<int>("--epochs", "-e") { Description = "Epochs.", DefaultValueFactory = _ => 10 };
        var batch = new Option<int>("--batch-size", "-b") { Description = "Images per batch.", DefaultValueFactory = _ => 64 };
        var optimizer = new Option<string>("--optimizer") { Description = "adam, adamw or sgd.", DefaultValueFactory = _ => "adam" };
        var augment = new Option<string>("--augment") { Description = "Training-set augmentation: none, flip, standard (random crop with padding 2 and horizontal flip) or strong (standard, then rotation within 10 degrees and random erasing).", DefaultValueFactory = _ => "none" };
        var lr = new Option<float>("--lr") { Description = "Learning rate of the trainable layers.", DefaultValueFactory = _ => 2e-3f };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the new weights, the sample and the shuffling.", DefaultValueFactory = _ => 1 };
        var testLimit = new Option<int>("--test-limit") { Description = "Evaluate on N random test images of the classes (0: all)." };
        var output = new Option<string?>("--out", "-o") { Description = "Checkpoint to write (default runs/finetune.safetensors)." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        foreach (var o in new Option[] { from, model, classes, perClass, layers, layerLr, data, epochs, batch, optimizer, augment, lr, seed, testLimit, output, json })
            cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var inv = CultureInfo.InvariantCulture;
            if (r.GetValue(model) is { } arch && !ModelZoo.Contains(arch))
                throw new CliUsageException($"--model: unknown model '{arch}'. Valid models: {string.Join(", ", ModelZoo.Names)}.");
            if (r.GetValue(perClass) < 0 || r.GetValue(testLimit) < 0) throw new CliUsageException("--per-class and --test-limit must be >= 0.");
            var rules = new List<(string, float)>();
            foreach (var rule in r.GetValue(layerLr) ?? [])
            {
                int eq = rule.LastIndexOf('=');
                if (eq < 1 || !float.TryParse(rule[(eq + 1)..], NumberStyles.Float, inv, out float v) || !(v > 0))
                    throw new CliUsageException($"--layer-lr: expected PATTERN=LR with a positive rate, got '{rule}'.");
                rules.Add((rule[..eq], v));
            }
            var source = r.GetValue(from) is { } f ? Checkpoint.Load(EvaluateCommand.CheckFile(f)) : null;
            string folder = DataLocator.Resolve(r.GetValue(data));
            var options = new FineTuneOptions
            {
                Classes = EmbeddingTrainCommand.ParseClasses(r.GetValue(classes)!, "--classes"),
                PerClass = r.GetValue(perClass),
                Model = r.GetValue(model),
                From = source,
                TrainLayers = (r.GetValue(layers) ?? []).SelectMany(l => l.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList(),
                LayerLrs = rules,
                Optimizer = Arguments.Parse(optimizer, r, Optim.OptimizerConfig.ParseKind),
                Augment = r.GetValue(augment)!.ToLowerInvariant(),
                Lr = r.GetValue(lr),
                Epochs = r.GetValue(epochs),
                BatchSize = r.GetValue(batch),
                Seed = r.GetValue(seed),
                TestLimit = r.GetValue(testLimit),
            };
            FineTuneRun run;
            try
            {
                run = new FineTuneRun(options, Datasets.LoadIdx(folder, train: true), Datasets.LoadIdx(folder, train: false));
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException(e.Message);
            }
            bool asJson = r.GetValue(json);
            var log = asJson ? stderr : stdout;
            string outPath = r.GetValue(output) ?? Path.Combine("runs", "finetune.safetensors");
            log.WriteLine($"{(source is null ? "training from scratch" : $"fine-tuning {r.GetValue(from)}")}: {run.Spec.Architecture} for classes {string.Join(",", options.Classes)} " +
                $"({string.Join(", ", run.TrainSet.ClassNames)}), {run.TrainSet.Count:N0} training images, {run.TrainableCount:N0} of {run.Model.ParameterCount():N0} parameters trainable");
            if (run.Report is { } rep)
                log.WriteLine($"loaded {rep.Loaded.Count} tensors; skipped {string.Join(", ", rep.Skipped.Select(s => $"{s.Key} ({s.Reason})"))}; fresh: {string.Join(", ", rep.Fresh)}");
            if (run.FrozenBatchNorms.Count > 0)
                log.WriteLine($"frozen batch norm (running statistics kept, also in training): {run.FrozenBatchNorms.Count} layers ({string.Join(", ", run.FrozenBatchNorms)})");
            var records = run.Run(e =>
            {
                stdout.WriteLine(asJson ? TrainingLog.ToJson(e)
                    : string.Create(inv, $"epoch {e.Epoch}/{options.Epochs}  train_loss {e.TrainLoss:F4}  train_acc {e.TrainAccuracy:P2}  test_loss {e.TestLoss:F4}  test_acc {e.TestAccuracy:P2}  {e.Seconds:F1} s"));
                stdout.Flush();
            });
            run.Save(outPath, options.Epochs);
            if (asJson)
                stdout.WriteLine(JsonSerializer.Serialize(new
                {
                    test_accuracy = records[^1].TestAccuracy,
                    trainable_parameters = run.TrainableCount,
                    frozen_batch_norms = run.FrozenBatchNorms,
                    skipped = run.Report?.Skipped.Select(s => new { key = s.Key, reason = s.Reason }),
                    saved = Path.GetFullPath(outPath),
                }));
            log.WriteLine(string.Create(inv, $"test accuracy on classes {string.Join(",", options.Classes)}: {records[^1].TestAccuracy:P2}; saved {Path.GetFullPath(outPath)}"));
            return 0;
        });
        return cmd;
    }
}
