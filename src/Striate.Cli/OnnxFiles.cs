using System.Text.Json;
using Striate.Models;
using Striate.Onnx;
using Striate.Training;

namespace Striate.Cli;

/// <summary>
/// An .onnx file where a verb takes a model: the graph as a module (<see cref="OnnxModule"/>) inside a checkpoint-like
/// record, with the input size from the graph's input, the classes from its output, and the class names and
/// normalisation from the metadata <c>striate export</c> writes (without them, classes are numbered and pixels taken
/// as they are, in [0, 1]).
/// </summary>
public static class OnnxFiles
{
    /// <summary>The metadata key of the dataset classes a classifier was trained on (as <see cref="Runs.TrainedClasses"/> formats them).</summary>
    public const string ClassesKey = "striate.classes";

    /// <summary>True when <paramref name="path"/> names an ONNX file.</summary>
    public static bool IsOnnx(string path) => path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);

    /// <summary>The model of the ONNX file at <paramref name="path"/> as a checkpoint (no optimizer, no epochs).</summary>
    /// <exception cref="CliUsageException">The graph's input is not an image [batch, C, H, W] with a fixed size, or its output not [batch, classes].</exception>
    public static Checkpoint Load(string path)
    {
        OnnxModule module;
        try
        {
            module = OnnxModule.Load(path);
        }
        catch (NotSupportedException e)
        {
            throw new CliUsageException(e.Message);
        }
        var input = module.InputInfo;
        if (module.Inputs.Count != 1 || input.Shape is not { Count: 4 } dims || dims.Skip(1).Any(d => d.Value is not (>= 1 and <= 4096)))
            throw new CliUsageException($"'{path}': the graph's input '{input.Name}' is {Describe(input)}; the verbs take a model of one image input [batch, C, H, W] with fixed C, H and W.");
        int c = (int)dims[1].Value!.Value, h = (int)dims[2].Value!.Value, w = (int)dims[3].Value!.Value;
        var output = module.Model.Graph.Outputs[0];
        if (output.Shape is not { Count: 2 } outDims || outDims[1].Value is not (>= 1 and <= 1_000_000))
            throw new CliUsageException($"'{path}': the graph's output '{output.Name}' is {Describe(output)}; the verbs take a classifier whose output is [batch, classes].");
        var meta = module.Model.Metadata;
        string[] names = meta.TryGetValue("striate.class_names", out var json) ? Read<string[]>(json, path, "striate.class_names") ?? [] : [];
        int classes = (int)outDims[1].Value!.Value;
        if (names.Length != 0 && names.Length != classes)
            throw new CliUsageException($"'{path}': its metadata names {names.Length} classes; the output has {classes}.");
        float[] mean = [.. Enumerable.Repeat(0f, c)], std = [.. Enumerable.Repeat(1f, c)];
        if (meta.TryGetValue("striate.normalization", out var norm) && Read<Normalization>(norm, path, "striate.normalization") is { mean: { } m, std: { } s })
        {
            if (m.Length != c || s.Length != c || s.Any(v => !(v > 0)))
                throw new CliUsageException($"'{path}': its normalisation needs {c} means and {c} positive deviations.");
            (mean, std) = (m, s);
        }
        module.Eval();
        return new Checkpoint
        {
            Spec = new ModelSpec("onnx", classes, c, h, w),
            Model = module,
            ClassNames = names,
            Mean = mean,
            Std = std,
            Extra = meta.TryGetValue(ClassesKey, out var trained) ? new Dictionary<string, string> { [Runs.TrainedClasses.Key] = trained } : new Dictionary<string, string>(),
        };
    }

    /// <summary>
    /// An ONNX file as the source of <c>finetune --from</c>: a classifier <c>striate export</c> wrote, whose metadata
    /// names its zoo architecture and whose weights (initializers named by the state-dict keys) are that
    /// architecture's, so fine-tuning rebuilds the network and takes every weight but the head, as from its checkpoint.
    /// </summary>
    /// <exception cref="CliUsageException">The file names no zoo architecture, or its weights are not that architecture's.</exception>
    public static Checkpoint LoadForFineTuning(string path)
    {
        var ck = Load(path);
        var module = (OnnxModule)ck.Model;
        if (!module.Model.Metadata.TryGetValue("striate.architecture", out var arch) || ModelZoo.Names.All(n => n != arch))
            throw new CliUsageException($"'{path}' does not name a Striate architecture in its metadata ('striate.architecture' is {(arch is null ? "missing" : $"'{arch}'")}): " +
                "finetune --from takes a checkpoint, an .onnx classifier striate export wrote, or a network without Striate's metadata as a backbone (docs/ONNX.md).");
        var spec = ck.Spec with { Architecture = arch };
        var expected = ModelZoo.Create(spec).StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
        foreach (var (key, t) in module.StateDict())
            if (!expected.TryGetValue(key, out var shape) || !shape.Equals(t.Shape))
                throw new CliUsageException($"'{path}': weight '{key}' {t.Shape} is not one of a {arch} classifier of {spec.NumClasses} classes " +
                    $"({(shape is null ? "no such key" : $"which has {shape}")}); finetune --from takes an .onnx classifier striate export wrote.");
        return new Checkpoint { Spec = spec, Model = module, ClassNames = ck.ClassNames, Mean = ck.Mean, Std = ck.Std };
    }

    private sealed record Normalization(float[]? mean, float[]? std);

    private static T? Read<T>(string json, string path, string key)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json);
        }
        catch (JsonException e)
        {
            throw new CliUsageException($"'{path}': metadata '{key}' is not valid JSON ({e.Message}).");
        }
    }

    private static string Describe(OnnxValueInfo v) =>
        v.Shape is null ? "of unknown shape" : $"[{string.Join(", ", v.Shape.Select(d => d.Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? d.Param ?? "?"))}]";
}
