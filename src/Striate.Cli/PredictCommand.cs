using System.CommandLine;
using System.Globalization;
using Striate.Tensors;
using Striate.Training;
using Striate.Imaging;

namespace Striate.Cli;

/// <summary><c>striate predict</c>: the top-5 classes of images (PNG, JPEG, BMP) or of dataset images by index.</summary>
public static class PredictCommand
{
    public static Command Create(TextWriter stdout)
    {
        var cmd = new Command("predict", "Top-5 classes with probabilities for image files or test images of the dataset.");
        var model = new Option<string>("--model", "-m") { Description = "Checkpoint (.safetensors) written by striate train, an .onnx classifier, or a zoo model's name with --weights.", Required = true };
        var weights = new Option<string?>("--weights") { Description = "State dict (.pth or .safetensors, written by PyTorch or Striate) for the zoo model --model names." };
        var index = new Option<int[]>("--index") { Description = "Index of a test image of the dataset (repeatable).", AllowMultipleArgumentsPerToken = true };
        var data = new Option<string?>("--data") { Description = "Folder with the IDX files, for --index (default: the bundled data)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per image." };
        var images = new Argument<string[]>("IMAGE") { Description = ImageInputs.Help + ".", Arity = ArgumentArity.ZeroOrMore };
        foreach (var o in new Option[] { model, weights, index, data, json }) cmd.Options.Add(o);
        cmd.Arguments.Add(images);
        cmd.SetAction(r =>
        {
            var ckpt = r.GetValue(weights) is { } w ? WeightsFiles.Zoo(r.GetValue(model)!, w, (28, 28)) : Arguments.Classifier(r.GetValue(model)!, "predict");
            var spec = ckpt.Spec;
            // The true class of a test image is named by the data's classes, which need not be the model's.
            var inputs = new List<(string Name, float[] Pixels, string? Label)>();
            foreach (var path in r.GetValue(images) ?? [])
            {
                var image = ImageInputs.Load(path, spec.InChannels).Resize(spec.InputHeight, spec.InputWidth);
                inputs.Add((path, image.Pixels, null));
            }
            var indices = r.GetValue(index) ?? [];
            if (indices.Length > 0)
            {
                string folder = DataLocator.Resolve(r.GetValue(data));
                var test = Datasets.LoadTestFor(ckpt, folder);
                foreach (int i in indices)
                {
                    if (i < 0 || i >= test.Count) throw new CliUsageException($"--index {i} is out of range: the test set has {test.Count} images (0 to {test.Count - 1}).");
                    inputs.Add(($"test[{i}]", test.Image(i).ToArray(), test.ClassNames[test.Labels[i]]));
                }
            }
            if (inputs.Count == 0) throw new CliUsageException("give at least one IMAGE file or --index N.");
            int size = spec.InChannels * spec.InputHeight * spec.InputWidth, plane = spec.InputHeight * spec.InputWidth;
            var batch = Tensor.Persistent(new Shape(inputs.Count, spec.InChannels, spec.InputHeight, spec.InputWidth));
            for (int n = 0; n < inputs.Count; n++)
                for (int c = 0; c < spec.InChannels; c++)
                    for (int p = 0; p < plane; p++)
                        batch.Data[n * size + c * plane + p] = (inputs[n].Pixels[c * plane + p] - ckpt.Mean[c]) / ckpt.Std[c];
            var probs = Trainer.PredictProbabilities(ckpt.Model, batch);
            int k = probs.Shape[1];
            var inv = CultureInfo.InvariantCulture;
            for (int n = 0; n < inputs.Count; n++)
            {
                var row = probs.Data.Slice(n * k, k).ToArray();
                var top = Enumerable.Range(0, k).OrderByDescending(j => row[j]).ThenBy(j => j).Take(5).ToArray();
                string Name(int j) => j < ckpt.ClassNames.Count ? ckpt.ClassNames[j] : j.ToString(inv);
                if (r.GetValue(json))
                {
                    Output.Json(stdout, new
                    {
                        input = inputs[n].Name,
                        label = inputs[n].Label,
                        top5 = top.Select(j => new { @class = Name(j), index = j, probability = row[j] }),
                    });
                    continue;
                }
                stdout.WriteLine(inputs[n].Label is { } lab ? $"{inputs[n].Name} (true class: {lab})" : inputs[n].Name);
                foreach (int j in top) stdout.WriteLine(string.Create(inv, $"  {row[j],8:P2}  {Name(j)}"));
            }
            return 0;
        });
        return cmd;
    }
}
