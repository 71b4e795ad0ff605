using System.CommandLine;
using Striate.Training;

namespace Striate.Cli;

/// <summary>
/// <c>striate export --model M -o model.onnx [--opset N]</c>: the model as ONNX, with its class names and normalisation
/// in the metadata; <c>striate export --model M --weights-only -o OUT.safetensors</c>: a checkpoint for deployment,
/// without the optimizer's state (Adam keeps two values per weight, so a checkpoint that can resume training is three
/// times the size of the model).
/// </summary>
public static class ExportCommand
{
    public static Command Create(TextWriter stdout)
    {
        var cmd = new Command("export", "Write a trained model for deployment: to ONNX (-o model.onnx), which ONNX Runtime and other engines run, or with --weights-only a checkpoint without the optimizer's state (every verb reads it; it cannot resume training).");
        var model = new Option<string>("--model", "-m") { Description = "Checkpoint written by striate train or finetune.", Required = true };
        var weightsOnly = new Option<bool>("--weights-only") { Description = "Drop the optimizer's state (.safetensors output)." };
        var opset = new Option<int>("--opset") { Description = $"ONNX operator set to write ({Onnx.OnnxExport.MinOpset} to {Onnx.OnnxExport.MaxOpset}).", DefaultValueFactory = _ => Onnx.OnnxExport.DefaultOpset }
            .Within(Onnx.OnnxExport.MinOpset, Onnx.OnnxExport.MaxOpset);
        var output = new Option<string>("--out", "-o") { Description = "File to write: .onnx, or .safetensors with --weights-only (its folder is created).", Required = true };
        foreach (var o in new Option[] { model, weightsOnly, opset, output }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            string path = Arguments.ExistingFile(r.GetValue(model)!), outPath = r.GetValue(output)!;
            bool onnx = outPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);
            if (onnx && r.GetValue(weightsOnly))
                throw new CliUsageException("--weights-only writes a .safetensors checkpoint; an .onnx file always holds the weights alone.");
            if (!onnx && r.GetResult(opset) is { Implicit: false })
                throw new CliUsageException($"--opset applies to ONNX export; '{outPath}' is not an .onnx file.");
            if (!onnx && !r.GetValue(weightsOnly))
                throw new CliUsageException($"--out '{outPath}': give an .onnx file to export to ONNX, or --weights-only for a .safetensors checkpoint without the optimizer's state.");
            if (!onnx && !outPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                throw new CliUsageException($"--out '{outPath}': a weights-only checkpoint is a .safetensors file.");
            Output.CheckWritable(outPath, "--out");
            if (SegmentTask.IsSegmentationFile(path))
            {
                var (net, name, channels, classes) = Runs.SegmentationFile.Load(path);
                if (!onnx)
                {
                    long size = new FileInfo(path).Length;
                    Runs.SegmentationFile.Save(outPath, name, net, channels, classes);
                    stdout.WriteLine($"wrote {Path.GetFullPath(outPath)}: {new FileInfo(outPath).Length:N0} bytes ({size:N0} with the optimizer's state)");
                    return 0;
                }
                try
                {
                    Runs.SegmentationFile.ToOnnx(net, name, channels, classes, opset: r.GetValue(opset)).Save(outPath);
                }
                catch (NotSupportedException e)
                {
                    throw new CliUsageException(e.Message);
                }
                stdout.WriteLine($"wrote {Path.GetFullPath(outPath)}: {new FileInfo(outPath).Length:N0} bytes, ONNX opset {r.GetValue(opset)}, input [batch, {channels}, height, width] (sides multiples of {Runs.SegmentationModels.SizeMultiple(name)}, pixels in [0, 1]), scores [batch, {classes.Count}, height, width]");
                return 0;
            }
            var ck = Checkpoint.Load(path);
            long before = new FileInfo(path).Length;
            if (onnx)
            {
                var spec = ck.Spec;
                var meta = new Dictionary<string, string>
                {
                    ["striate.architecture"] = spec.Architecture,
                    ["striate.class_names"] = System.Text.Json.JsonSerializer.Serialize(ck.ClassNames),
                    ["striate.normalization"] = System.Text.Json.JsonSerializer.Serialize(new { mean = ck.Mean, std = ck.Std }),
                    ["striate.input"] = $"{spec.InChannels}x{spec.InputHeight}x{spec.InputWidth}",
                };
                try
                {
                    Onnx.OnnxExport.Export(ck.Model, outPath, (spec.InChannels, spec.InputHeight, spec.InputWidth), r.GetValue(opset), metadata: meta);
                }
                catch (NotSupportedException e)
                {
                    throw new CliUsageException(e.Message);
                }
                stdout.WriteLine($"wrote {Path.GetFullPath(outPath)}: {new FileInfo(outPath).Length:N0} bytes, ONNX opset {r.GetValue(opset)}, input [batch, {spec.InChannels}, {spec.InputHeight}, {spec.InputWidth}] normalised by the mean and std in its metadata");
                return 0;
            }
            ck.WeightsOnly().Save(outPath);
            stdout.WriteLine($"wrote {Path.GetFullPath(outPath)}: {new FileInfo(outPath).Length:N0} bytes ({before:N0} with the optimizer's state)");
            return 0;
        });
        return cmd;
    }
}
