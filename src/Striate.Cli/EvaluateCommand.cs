using System.CommandLine;
using System.Globalization;
using System.Text;
using Striate.Data;
using Striate.Training;

namespace Striate.Cli;

/// <summary><c>striate evaluate</c>: accuracy, per-class accuracy and confusion matrix of a checkpoint on a test set.</summary>
public static class EvaluateCommand
{
    public static Command Create(TextWriter stdout)
    {
        var cmd = new Command("evaluate", "Evaluate a saved model on the test images of a --data folder (IDX, CIFAR or an image folder): accuracy, per-class accuracy and the confusion matrix.");
        var model = new Option<string>("--model", "-m") { Description = "Checkpoint (.safetensors) written by striate train, an .onnx classifier, or a zoo model's name with --weights.", Required = true };
        var weights = new Option<string?>("--weights") { Description = "State dict (.pth or .safetensors, written by PyTorch or Striate) for the zoo model --model names." };
        var data = new Option<string?>("--data") { Description = "Folder with the IDX files (default: the bundled data/fashion-mnist)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var tta = new Option<int>("--tta") { Description = "Test-time augmentation: average the predicted probabilities over N views, the first the plain image.", DefaultValueFactory = _ => 1 }.Within(1, 100, " (1 for no test-time augmentation)");
        var ttaAugment = new Option<string>("--tta-augment") { Description = "Augmentation of the views after the first: standard or strong.", DefaultValueFactory = _ => "standard" }.Choice(ViewAugmentation);
        var seed = new Option<ulong>("--seed") { Description = "Seed of the test-time augmentation views.", DefaultValueFactory = _ => 1 };
        var classes = new Option<string?>("--classes") { Description = "Evaluate on these dataset classes only, relabelled in order (0-4 or 5,6,7); default: the classes a fine-tuned checkpoint names, else all." }.ClassList();
        var scenes = new Option<int?>("--scenes") { Description = "Segmentation models: test scenes to draw from the test images (seeded by --seed, as striate train --task segment draws them; default 1000)." }.Within(1, 1_000_000);
        var sceneSize = new Option<int?>("--scene-size") { Description = "Segmentation models: the scenes' side in pixels (default 64)." }.Within(32, 1024);
        foreach (var o in new Option[] { model, weights, data, json, tta, ttaAugment, seed, classes, scenes, sceneSize }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            if (r.GetValue(weights) is null && SegmentTask.IsSegmentationFile(r.GetValue(model)!))
            {
                foreach (var o in new Option[] { tta, ttaAugment, classes })
                    if (r.Given(o)) throw new CliUsageException($"{o.Name} is for classifiers; '{r.GetValue(model)}' is a segmentation model.");
                return SegmentTask.Evaluate(r.GetValue(model)!, r.GetValue(data), r.GetValue(scenes), r.GetValue(sceneSize), r.GetValue(seed), r.GetValue(json), stdout);
            }
            foreach (var o in new Option[] { scenes, sceneSize })
                if (r.Given(o)) throw new CliUsageException($"{o.Name} is for segmentation models (striate train --task segment).");
            int views = r.GetValue(tta);
            string ttaName = ViewAugmentation(r.GetValue(ttaAugment)!);
            var ckpt = r.GetValue(weights) is { } w ? WeightsFiles.Zoo(r.GetValue(model)!, w, (28, 28)) : Arguments.Classifier(r.GetValue(model)!, "evaluate");
            string folder = DataLocator.Resolve(r.GetValue(data));
            var spec = ckpt.Spec;
            var test = Datasets.LoadTestFor(ckpt, folder, r.GetValue(classes) is { } chosen ? Arguments.Classes(chosen, "--classes") : null);
            if (test.ClassCount > ckpt.Spec.NumClasses)
                throw new CliUsageException($"the data has {test.ClassCount} classes but the model predicts {ckpt.Spec.NumClasses}; choose {ckpt.Spec.NumClasses} of them with --classes.");
            var normalized = test.Normalize(ckpt.Mean, ckpt.Std);
            var result = views == 1 ? Trainer.Evaluate(ckpt.Model, new DataLoader(normalized, 500))
                : new TestTimeAugmentation(views, Data.Transforms.Compose.Named(ttaName, -ckpt.Mean[0] / ckpt.Std[0]), r.GetValue(seed)).Evaluate(ckpt.Model, normalized);
            var names = ckpt.ClassNames.Count == test.ClassCount ? ckpt.ClassNames : test.ClassNames;
            if (r.GetValue(json))
            {
                int k = result.Confusion.GetLength(0);
                var confusion = Enumerable.Range(0, k).Select(i => Enumerable.Range(0, k).Select(j => result.Confusion[i, j]).ToArray()).ToArray();
                Output.Json(stdout, new
                {
                    images = result.Count,
                    tta_views = views,
                    loss = result.Loss,
                    accuracy = result.Top1,
                    // Top-5 says something only with more than five classes.
                    top5_accuracy = k > 5 ? result.Top5 : (double?)null,
                    balanced_accuracy = result.BalancedAccuracy,
                    // A class without test images has no accuracy: null, not NaN (which JSON cannot hold).
                    per_class_accuracy = names.Select((n, i) => new { @class = n, accuracy = double.IsNaN(result.PerClassAccuracy[i]) ? (double?)null : result.PerClassAccuracy[i] }),
                    confusion_matrix = confusion,
                    class_names = names,
                });
                return 0;
            }
            if (views > 1) stdout.WriteLine($"test-time augmentation: {views} views ({ttaName}, seed {r.GetValue(seed)})");
            stdout.WriteLine(Format(result, names));
            return 0;
        });
        return cmd;
    }

    // The augmentation of the views after the first: any named one but none.
    private static string ViewAugmentation(string text)
    {
        string name = text.ToLowerInvariant();
        var valid = Data.Transforms.Compose.Names.Where(n => n != "none").ToList();
        return valid.Contains(name) ? name : throw new ArgumentException($"unknown augmentation '{text}'. Valid augmentations: {string.Join(", ", valid)}.");
    }

    /// <summary>
    /// A confusion matrix as text under <paramref name="title"/>: numbered rows and columns, each row also naming its
    /// class, cells at least <paramref name="minCell"/> characters wide.
    /// </summary>
    public static void AppendConfusion(StringBuilder sb, string title, IReadOnlyList<string> names, Func<int, int, long> at, int minCell)
    {
        var inv = CultureInfo.InvariantCulture;
        int k = names.Count, width = names.Max(n => n.Length), label = k.ToString(inv).Length;
        int cell = Math.Max(minCell, 1 + Enumerable.Range(0, k).SelectMany(i => Enumerable.Range(0, k).Select(j => at(i, j).ToString(inv).Length)).DefaultIfEmpty(0).Max());
        sb.AppendLine(title);
        sb.Append("  ").Append(new string(' ', label + 1 + width));
        for (int j = 0; j < k; j++) sb.Append(j.ToString(inv).PadLeft(cell));
        sb.AppendLine();
        for (int i = 0; i < k; i++)
        {
            sb.Append("  ").Append(i.ToString(inv).PadLeft(label)).Append(' ').Append(names[i].PadRight(width));
            for (int j = 0; j < k; j++) sb.Append(at(i, j).ToString(inv).PadLeft(cell));
            sb.AppendLine();
        }
    }

    /// <summary>The text report: accuracy (and top-5 with more than five classes), per-class accuracy, and the confusion matrix with numbered rows and columns.</summary>
    public static string Format(EvaluationResult r, IReadOnlyList<string> names)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        int k = r.Confusion.GetLength(0);
        sb.AppendLine(string.Create(inv, $"{r.Count} test images: accuracy {r.Top1:P2}{(k > 5 ? $", top-5 {r.Top5:P2}" : "")}, loss {r.Loss:F4}"));
        sb.AppendLine("per-class accuracy:");
        int width = names.Max(n => n.Length);
        for (int i = 0; i < names.Count; i++)
            sb.AppendLine(double.IsNaN(r.PerClassAccuracy[i]) ? $"  {names[i].PadRight(width)}  (no test images)"
                : string.Create(inv, $"  {names[i].PadRight(width)}  {r.PerClassAccuracy[i]:P1}"));
        AppendConfusion(sb, "confusion matrix (rows: true class, columns: predicted class):", [.. names.Take(k)], (i, j) => r.Confusion[i, j], 6);
        return sb.ToString().TrimEnd();
    }
}
