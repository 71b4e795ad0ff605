using System.CommandLine;
using System.Globalization;
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
        var from = new Option<string?>("--from") { Description = "Pre-trained checkpoint, a classifier or an embedding model (its embedding layer becomes the new head), an .onnx classifier striate export wrote, or another .onnx network (such as an ImageNet feature extractor) as a backbone; without it the model is trained from scratch." };
        var model = new Option<string?>("--model", "-m") { Description = "Architecture when training from scratch (default lenet5), or the one --weights fits." }.Choice(ModelZoo.Check);
        var weights = new Option<string?>("--weights") { Description = "Pre-trained state dict (.pth or .safetensors, written by PyTorch or Striate) of the zoo model --model names, in place of --from." };
        var classes = new Option<string>("--classes") { Description = "Dataset classes to learn, relabelled in order: 5-9 or 5,6,7.", Required = true }.ClassList();
        var perClass = new Option<int>("--per-class") { Description = "Training images per class, sampled with the seed (0: all)." }.AtLeast(0);
        var layers = new Option<string[]>("--train-layers") { Description = "Layers left trainable (names or patterns: fc3, layer4, *.bias); default all. With an .onnx backbone: last (its last stage) or after:VALUE; default none (frozen).", AllowMultipleArgumentsPerToken = true };
        var layerLr = new Option<string[]>("--layer-lr") { Description = "PATTERN=LR: a learning rate of its own for some trainable layers (repeatable).", AllowMultipleArgumentsPerToken = true }.Choice(LayerRate);
        var shared = new RunOptions(10, "Folder with the four IDX files (default: the bundled data/fashion-mnist).", "Checkpoint to write (default runs/finetune.safetensors).",
            "Seed of the new weights, the sample and the shuffling.").AddTo(cmd);
        var backbone = new BackboneFinetune();
        foreach (var o in new Option[] { from, model, weights, classes, perClass, layers, layerLr }.Concat(backbone.All))
            cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            shared.ApplyThreads(r);
            if (r.GetValue(from) is { } fromPath && BackboneFinetune.Foreign(fromPath) is { } network)
                return backbone.Run(r, shared, classes, perClass, layers, layerLr, model, weights, fromPath, network, stdout, stderr, cmd);
            backbone.RefuseWithout(r);
            var rules = (r.GetValue(layerLr) ?? []).Select(LayerRate).ToList();
            string outPath = r.GetValue(shared.Out) ?? Path.Combine("runs", "finetune.safetensors");
            Output.CheckWritable(outPath, "--out");
            if (r.GetValue(weights) is not null && (r.GetValue(from) is not null || r.GetValue(model) is null))
                throw new CliUsageException("--weights loads a state dict into the zoo model --model names; give --model, and not --from.");
            var source = r.GetValue(weights) is { } w ? WeightsFiles.Zoo(r.GetValue(model)!, w, (28, 28))
                : r.GetValue(from) is { } f ? OnnxFiles.IsOnnx(f) ? OnnxFiles.LoadForFineTuning(Arguments.ExistingFile(f)) : Checkpoint.Load(Arguments.ExistingFile(f)) : null;
            string folder = DataLocator.Resolve(r.GetValue(shared.Data));
            var options = new FineTuneOptions
            {
                Classes = Arguments.Classes(r.GetValue(classes)!, "--classes"),
                PerClass = r.GetValue(perClass),
                Model = r.GetValue(model) is { } m ? ModelZoo.Check(m) : null,
                From = source,
                TrainLayers = (r.GetValue(layers) ?? []).SelectMany(l => l.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList(),
                LayerLrs = rules,
                Optimizer = shared.OptimizerKind(r),
                Augment = shared.AugmentName(r),
                Lr = shared.LearningRate(r),
                Epochs = r.GetValue(shared.Epochs),
                BatchSize = r.GetValue(shared.BatchSize),
                Seed = r.GetValue(shared.Seed),
                TestLimit = r.GetValue(shared.TestLimit),
                Output = outPath,
            };
            FineTuneRun run;
            try
            {
                run = new FineTuneRun(options, Datasets.LoadIdx(folder, train: true), Datasets.LoadIdx(folder, train: false));
            }
            catch (ArgumentException e)
            {
                throw Arguments.Refused(e, cmd);
            }
            bool asJson = r.GetValue(shared.Json);
            var log = asJson ? stderr : stdout;
            log.WriteLine($"{(source is null ? "training from scratch" : $"fine-tuning {r.GetValue(from) ?? r.GetValue(weights)}")}: {run.Spec.Architecture} for classes {string.Join(",", options.Classes)} " +
                $"({string.Join(", ", run.TrainSet.ClassNames)}), {run.TrainSet.Count:N0} training images, {run.TrainableCount:N0} of {run.Model.ParameterCount():N0} parameters trainable");
            if (run.Report is { } rep)
                log.WriteLine($"loaded {rep.Loaded.Count} tensors; skipped {string.Join(", ", rep.Skipped.Select(s => $"{s.Key} ({s.Reason})"))}; fresh: {string.Join(", ", rep.Fresh)}");
            if (run.FrozenBatchNorms.Count > 0)
                log.WriteLine($"frozen batch norm (running statistics kept, also in training): {run.FrozenBatchNorms.Count} layers ({string.Join(", ", run.FrozenBatchNorms)})");
            var records = run.Run(e =>
            {
                stdout.WriteLine(asJson ? TrainingLog.ToJson(e)
                    : string.Create(CultureInfo.InvariantCulture, $"epoch {e.Epoch}/{options.Epochs}  train_loss {e.TrainLoss:F4}  train_acc {e.TrainAccuracy:P2}  test_loss {e.TestLoss:F4}  test_acc {e.TestAccuracy:P2}  {e.Seconds:F1} s"));
                stdout.Flush();
            });
            if (asJson)
                Output.Json(stdout, new
                {
                    test_accuracy = records[^1].TestAccuracy,
                    trainable_parameters = run.TrainableCount,
                    frozen_batch_norms = run.FrozenBatchNorms,
                    skipped = run.Report?.Skipped.Select(s => new { key = s.Key, reason = s.Reason }),
                    saved = Path.GetFullPath(outPath),
                });
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"test accuracy on classes {string.Join(",", options.Classes)}: {records[^1].TestAccuracy:P2}; saved {Path.GetFullPath(outPath)}"));
            return 0;
        });
        return cmd;
    }

    // PATTERN=LR with a positive rate.
    private static (string Pattern, float Lr) LayerRate(string rule)
    {
        int eq = rule.LastIndexOf('=');
        if (eq < 1 || !float.TryParse(rule[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !(v > 0) || !float.IsFinite(v))
            throw new CliUsageException($"--layer-lr: expected PATTERN=LR with a positive rate, got '{rule}'.");
        return (rule[..eq], v);
    }
}
