using System.Text.Json;
using Striate.Models;
using Striate.Nn;
using Striate.Optim;
using Striate.Serialization;
using Striate.Tensors;

namespace Striate.Training;

/// <summary>
/// A training checkpoint in one safetensors file: the model's state dict under its PyTorch keys
/// (num_batches_tracked as I64), the optimizer's state under "optimizer.&lt;index&gt;.&lt;name&gt;", and in the
/// metadata the model spec, the epoch count, the class names, the input normalisation, the optimizer's
/// settings and the random streams. Written to a temporary file and renamed, so an existing file is only
/// ever replaced by a complete new one.
/// </summary>
public sealed class Checkpoint
{
    public const string Format = "striate-checkpoint";
    private const string OptimizerPrefix = "optimizer.";

    public required ModelSpec Spec { get; init; }
    public required Module Model { get; init; }

    /// <summary>Epochs completed.</summary>
    public int Epoch { get; init; }

    public IReadOnlyList<string> ClassNames { get; init; } = [];
    public float[] Mean { get; init; } = [];
    public float[] Std { get; init; } = [];

    /// <summary>The optimizer's settings (name, learning rate, ...), as written by <see cref="OptimizerConfig"/>.</summary>
    public OptimizerConfig? Optimizer { get; init; }

    /// <summary>Optimizer state tensors as returned by <see cref="Optim.Optimizer.StateDict"/>.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> OptimizerState { get; init; } = [];

    /// <summary>The seed the run was started with (weights, shuffling).</summary>
    public ulong Seed { get; init; }

    /// <summary>Extra string metadata (free-form, e.g. the command line).</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The first 16 hex digits of SHA-256 over <paramref name="model"/>'s state dict (names, shapes and values, in
    /// order): two trained models of one architecture differ in it, the same weights give the same digest.
    /// </summary>
    public static string WeightsDigest(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var (name, tensor) in model.StateDict())
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes($"{name}:{tensor.Shape};"));
            sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(tensor.Data));
        }
        return Convert.ToHexString(sha.GetHashAndReset())[..16].ToLowerInvariant();
    }

    /// <summary>The metadata key that marks a checkpoint without optimizer state (<see cref="WeightsOnly"/>).</summary>
    public const string WeightsOnlyKey = "weights_only";

    /// <summary>True when the checkpoint was written without its optimizer's state: it runs, but cannot resume training.</summary>
    public bool IsWeightsOnly => Extra.ContainsKey(WeightsOnlyKey);

    /// <summary>
    /// This checkpoint without the optimizer's state, marked so: for deployment (Adam keeps two values per weight). The
    /// model is shared, not copied.
    /// </summary>
    public Checkpoint WeightsOnly() => new()
    {
        Spec = Spec, Model = Model, Epoch = Epoch, ClassNames = ClassNames, Mean = Mean, Std = Std, Optimizer = Optimizer, Seed = Seed,
        Extra = new Dictionary<string, string>(Extra) { [WeightsOnlyKey] = "true" },
    };

    /// <summary>What this checkpoint says of itself, as <see cref="ReadHeader"/> reads it from a file.</summary>
    public CheckpointHeader Header => new(Spec, Epoch, ClassNames, Mean, Std, Optimizer, Seed, Extra);

    /// <summary>Writes the checkpoint atomically.</summary>
    public void Save(string path)
    {
        var entries = new List<SafeTensorEntry>();
        foreach (var (key, t) in Model.StateDict())
            entries.Add(StateDictFile.ToEntry(key, t));
        foreach (var (key, t) in OptimizerState)
            entries.Add(SafeTensorEntry.FromFloat32(OptimizerPrefix + key, StateDictFile.Dims(t), t.Data));
        var meta = new Dictionary<string, string>(Extra)
        {
            ["format"] = Format,
            ["format_version"] = "1",
            ["model_spec"] = Spec.ToJson(),
            ["epoch"] = Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["class_names"] = JsonSerializer.Serialize(ClassNames),
            ["normalization"] = JsonSerializer.Serialize(new { mean = Mean, std = Std }),
            ["seed"] = Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (Optimizer is not null) meta["optimizer"] = Optimizer.ToJson();
        var dropout = Model.NamedModules().Where(m => m.Module is Dropout).ToDictionary(m => m.Name, m => ((Dropout)m.Module).Generator.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (dropout.Count > 0) meta["rng"] = JsonSerializer.Serialize(dropout);
        SafeTensors.Write(path, entries, meta);
    }

    /// <summary>
    /// Reads what a checkpoint says about itself (spec, epoch, class names, normalisation, optimizer settings, seed, the
    /// run's settings) from its header only: no tensor data is read and no model is built. For resume checks and reports.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a valid Striate checkpoint.</exception>
    public static CheckpointHeader ReadHeader(string path) => ParseHeader(SafeTensors.ReadHeader(path).Metadata, path);

    /// <summary>Reads a checkpoint, rebuilds its model from the zoo and loads the weights (strictly).</summary>
    /// <exception cref="InvalidDataException">The file is not a valid Striate checkpoint, or its model is not in the zoo.</exception>
    public static Checkpoint Load(string path) => Load(path, null);

    /// <summary>
    /// Reads a checkpoint of a model of your own: <paramref name="factory"/> builds the module for the stored spec
    /// (architecture name, classes, input size), then the weights are loaded into it (strictly). With a null factory
    /// the zoo builds it.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a valid Striate checkpoint, or the module's state-dict keys or shapes differ from the file's.</exception>
    public static Checkpoint Load(string path, Func<ModelSpec, Module>? factory)
    {
        var content = SafeTensors.Read(path);
        var header = ParseHeader(content.Metadata, path);
        var spec = header.Spec;
        // The model must match the file's tensors exactly, so building it may take about what they hold (with room for
        // buffers and construction); a spec that asks for more is refused before it allocates.
        long held = content.Tensors.Sum(t => t.Shape.Aggregate(1L, (a, d) => a * d));
        Module model;
        try
        {
            using var _ = AllocationLimit.Open(2 * held + (1 << 24));
            model = factory is null ? ModelZoo.Create(spec) : factory(spec) ?? throw new ArgumentException("the factory returned no module.");
        }
        catch (ArgumentException) when (factory is null && !ModelZoo.Contains(spec.Architecture))
        {
            throw new InvalidDataException($"Checkpoint '{path}': its model '{spec.Architecture}' is not in the zoo ({string.Join(", ", ModelZoo.Names)}); " +
                "a checkpoint of a module of your own loads with Checkpoint.Load(path, spec => new YourModule(...)).");
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Checkpoint '{path}': {e.Message}");
        }
        catch (AllocationLimitExceededException)
        {
            throw new InvalidDataException($"Checkpoint '{path}': its model spec {spec.ToJson()} builds a model far larger than the {held:N0} values the file holds.");
        }
        var state = new List<KeyValuePair<string, Tensor>>();
        var optState = new List<KeyValuePair<string, Tensor>>();
        foreach (var e in content.Tensors)
        {
            var t = StateDictFile.ToTensor(e, $"Checkpoint '{path}'");
            if (e.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) optState.Add(new(e.Name[OptimizerPrefix.Length..], t));
            else state.Add(new(e.Name, t));
        }
        try
        {
            model.LoadStateDict(state, strict: true);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Checkpoint '{path}': {e.Message}");
        }
        if (header.Extra.TryGetValue("rng", out var rng))
        {
            var offsets = ParseJson<Dictionary<string, string>>(rng, path, "rng");
            foreach (var (name, module) in model.NamedModules())
                if (module is Dropout d && offsets.TryGetValue(name, out var o) && ulong.TryParse(o, out var off))
                    d.Generator.Offset = off;
        }
        return new Checkpoint
        {
            Spec = spec,
            Model = model,
            Epoch = header.Epoch,
            ClassNames = header.ClassNames,
            Mean = header.Mean,
            Std = header.Std,
            Optimizer = header.Optimizer,
            OptimizerState = optState,
            Seed = header.Seed,
            Extra = header.Extra,
        };
    }

    // The metadata of a checkpoint, checked: everything but the tensors.
    private static CheckpointHeader ParseHeader(IReadOnlyDictionary<string, string> m, string path)
    {
        string Need(string key) => m.TryGetValue(key, out var v) ? v
            : throw new InvalidDataException($"Checkpoint '{path}': the metadata has no '{key}' entry; is this a Striate checkpoint?");
        if (!m.TryGetValue("format", out var f) || f != Format)
            throw new InvalidDataException($"Checkpoint '{path}': expected format '{Format}' in the metadata, found '{f ?? "none"}'.");
        // Version 1 is the only one; a checkpoint without a version predates the field and is version 1.
        if (m.TryGetValue("format_version", out var version) && version != "1")
            throw new InvalidDataException($"Checkpoint '{path}' has format version '{version}'; this Striate reads version 1 (a newer Striate wrote it?).");
        var spec = ModelSpec.FromJson(Need("model_spec"), $"Checkpoint '{path}'");
        var norm = ParseJson<Normalization>(Need("normalization"), path, "normalization");
        float[] mean = norm.mean ?? [], std = norm.std ?? [];
        if (mean.Length != std.Length || (mean.Length != 0 && mean.Length != spec.InChannels)
            || mean.Any(v => !float.IsFinite(v)) || std.Any(v => !(v > 0) || !float.IsFinite(v)))
            throw new InvalidDataException($"Checkpoint '{path}': the normalisation needs {spec.InChannels} finite means and {spec.InChannels} positive finite deviations; found means [{string.Join(", ", mean)}] and deviations [{string.Join(", ", std)}].");
        var classNames = ParseJson<string[]>(Need("class_names"), path, "class_names");
        if (classNames.Any(n => n is null))
            throw new InvalidDataException($"Checkpoint '{path}': class_names holds a null; expected {spec.NumClasses} strings.");
        if (classNames.Length != 0 && classNames.Length != spec.NumClasses)
            throw new InvalidDataException($"Checkpoint '{path}': class_names lists {classNames.Length} names for {spec.NumClasses} classes.");
        return new CheckpointHeader(
            spec,
            int.TryParse(Need("epoch"), out int ep) && ep >= 0 ? ep : throw new InvalidDataException($"Checkpoint '{path}': epoch '{m["epoch"]}' is not a non-negative integer."),
            classNames, mean, std,
            m.TryGetValue("optimizer", out var o2) ? OptimizerConfig.FromJson(o2, path) : null,
            ulong.TryParse(Need("seed"), out var seed) ? seed : throw new InvalidDataException($"Checkpoint '{path}': seed '{m["seed"]}' is not an unsigned integer."),
            m);
    }

    private sealed record Normalization(float[]? mean, float[]? std);

    private static T ParseJson<T>(string json, string path, string key)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json) ?? throw new InvalidDataException($"Checkpoint '{path}': metadata '{key}' is null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Checkpoint '{path}': metadata '{key}' is not valid JSON ({e.Message}).");
        }
    }
}
