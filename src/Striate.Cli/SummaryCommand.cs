using System.CommandLine;
using System.Globalization;
using Striate.Models;
using Striate.Training;

namespace Striate.Cli;

/// <summary><c>striate summary MODEL --input CxHxW</c>: the layer table of a zoo model or a checkpoint.</summary>
public static class SummaryCommand
{
    public static Command Create(TextWriter stdout)
    {
        var cmd = new Command("summary", "Layer-by-layer output shapes, parameters, multiply-accumulates, activation memory and receptive fields.");
        var model = new Argument<string>("MODEL") { Description = $"A model name ({string.Join(", ", ModelZoo.Names)}; segmentation: {string.Join(", ", Runs.SegmentationModels.Names)}) or a checkpoint file." };
        var input = new Option<string?>("--input", "-i") { Description = "Input size CxHxW, e.g. 3x224x224 (default: the checkpoint's, or 1x28x28)." }.Choice(Arguments.Chw);
        var classes = new Option<int?>("--classes") { Description = "Number of classes of a zoo model (default: ImageNet's 1000 for the networks torchvision defines, 10 for the others)." }.Within(1, Arguments.MaxClasses);
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        cmd.Arguments.Add(model);
        var weights = new Option<string?>("--weights") { Description = "State dict (.pth or .safetensors) for the zoo model: its class count and input channels come from the file." };
        foreach (var o in new Option[] { input, classes, json, weights }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            string name = r.GetValue(model)!;
            if (Directory.Exists(name)) throw new CliUsageException(Arguments.FolderNotFile(name));
            if (r.GetValue(weights) is not null && File.Exists(name))
                throw new CliUsageException($"--weights loads into a zoo model; '{name}' is a file, which holds its own weights.");
            if (OnnxFiles.IsOnnx(name) && File.Exists(name))
            {
                if (r.GetValue(classes) is not null || r.GetValue(input) is not null)
                    throw new CliUsageException($"--classes and --input build a zoo model; '{name}' is an ONNX file, whose graph fixes both.");
                WriteOnnx(Onnx.OnnxModel.Load(name), name, r.GetValue(json), stdout);
                return 0;
            }
            Striate.Nn.Module m;
            (int C, int H, int W) size;
            if (Runs.SegmentationModels.Names.Contains(name) && !File.Exists(name) || SegmentTask.IsSegmentationFile(name))
            {
                if (r.GetValue(weights) is not null) throw new CliUsageException("--weights loads into the zoo's classifiers; a segmentation model's weights are in the file striate train --task segment writes.");
                if (File.Exists(name))
                {
                    if (r.GetValue(classes) is not null) throw new CliUsageException($"--classes builds a model; '{name}' is a segmentation model whose classes are fixed.");
                    var (net, modelName, channels, _) = Runs.SegmentationFile.Load(name);
                    (m, name) = (net, modelName);
                    size = (channels, 64, 64);
                }
                else
                {
                    size = Runs.SegmentationModels.DefaultInput(name);
                    if (r.GetValue(input) is { } text) size = Arguments.Chw(text);
                    m = Runs.SegmentationModels.Create(name, size.C, r.GetValue(classes) ?? Runs.SegmentationModels.DefaultClasses(name));
                }
            }
            else if (File.Exists(name))
            {
                if (r.GetValue(classes) is not null)
                    throw new CliUsageException($"--classes builds a zoo model; '{name}' is a checkpoint, whose class count ({Checkpoint.Load(name).Spec.NumClasses}) is fixed.");
                var ck = Checkpoint.Load(name);
                m = ck.Model;
                size = (ck.Spec.InChannels, ck.Spec.InputHeight, ck.Spec.InputWidth);
                name = ck.Spec.Architecture;
            }
            else
            {
                try
                {
                    name = ModelZoo.Check(name);
                }
                catch (ArgumentException e)
                {
                    throw new CliUsageException($"{e.Message} (No file '{name}' either.)");
                }
                size = r.GetValue(input) is { } text ? Arguments.Chw(text) : (1, 28, 28);
                int n = r.GetValue(classes) ?? ModelZoo.DefaultClasses(name);
                if (r.GetValue(weights) is { } w)
                {
                    if (r.GetValue(classes) is not null) throw new CliUsageException("--classes and --weights: the weights fix the class count.");
                    var loaded = WeightsFiles.Zoo(name, w, (size.H, size.W), r.GetValue(input) is null ? null : size.C);
                    m = loaded.Model;
                    size = (loaded.Spec.InChannels, size.H, size.W);
                }
                else try
                {
                    m = ModelZoo.Create(new ModelSpec(name, n, size.C, size.H, size.W));
                }
                catch (ArgumentException e)
                {
                    throw new CliUsageException($"{name} cannot be built for {n} classes and a {size.C}x{size.H}x{size.W} input: {e.Message}");
                }
            }
            if (r.GetValue(input) is { } given) size = Arguments.Chw(given);
            ModelSummary s;
            try
            {
                s = ModelSummary.Of(m, size.C, size.H, size.W, name);
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException($"{name} cannot take a {size.C}x{size.H}x{size.W} input: {e.Message}");
            }
            if (!r.GetValue(json) && r.GetValue(input) is { } written && Arguments.Sizes(written) is { } v && Arguments.IsChannelsLast(v))
                stdout.WriteLine($"reading --input {written} as {size.C} channel{(size.C == 1 ? "" : "s")} of {size.H}x{size.W} (summary writes sizes as CxHxW)");
            stdout.WriteLine(r.GetValue(json) ? s.ToJson() : s.ToString());
            return 0;
        });
        return cmd;
    }

    // An ONNX file's summary: where it came from, its inputs and outputs, its operators and how many weights it holds.
    private static void WriteOnnx(Onnx.OnnxModel model, string path, bool json, TextWriter stdout)
    {
        var g = model.Graph;
        var initializers = g.Initializers.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        string Shape(Onnx.OnnxValueInfo v) => v.Shape is null ? "?" : string.Join("x", v.Shape.Select(d => d.Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? d.Param ?? "?"));
        var inputs = g.Inputs.Where(i => !initializers.Contains(i.Name)).Select(i => new { name = i.Name, shape = Shape(i) }).ToArray();
        var outputs = g.Outputs.Select(o => new { name = o.Name, shape = Shape(o) }).ToArray();
        var ops = g.Nodes.GroupBy(n => n.Domain.Length == 0 ? n.OpType : $"{n.Domain}.{n.OpType}").OrderByDescending(x => x.Count()).ThenBy(x => x.Key, StringComparer.Ordinal)
            .Select(x => new { op = x.Key, count = x.Count() }).ToArray();
        long weights = g.Initializers.Where(t => t.Type == Onnx.OnnxDataType.Float).Sum(t => t.Count);
        if (json)
        {
            Output.Json(stdout, new { file = path, producer = $"{model.ProducerName} {model.ProducerVersion}".Trim(), ir_version = model.IrVersion, opset = model.Opset,
                inputs, outputs, nodes = g.Nodes.Count, operators = ops, parameters = weights });
            return;
        }
        stdout.WriteLine($"{path}: ONNX IR {model.IrVersion}, opset {model.Opset}{(model.ProducerName.Length > 0 ? $", written by {model.ProducerName} {model.ProducerVersion}".TrimEnd() : "")}");
        foreach (var i in inputs) stdout.WriteLine($"input   {i.name}: {i.shape}");
        foreach (var o in outputs) stdout.WriteLine($"output  {o.name}: {o.shape}");
        stdout.WriteLine($"{g.Nodes.Count} nodes: {string.Join(", ", ops.Select(o => $"{o.op} x{o.count}"))}");
        stdout.WriteLine($"{weights:N0} parameters in {g.Initializers.Count} initializers");
    }
}
