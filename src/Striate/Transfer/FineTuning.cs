using Striate.Nn;
using Striate.Optim;
using Striate.Tensors;

namespace Striate.Transfer;

/// <summary>
/// Transfer learning on a <see cref="Module"/>: freeze and unfreeze parameters by name pattern or by module
/// (a frozen parameter has RequiresGrad false, so backward computes no gradient for it and optimizers skip
/// it), build parameter groups with learning rates of their own, and load pre-trained weights non-strictly.
/// Patterns follow <see cref="ParameterPattern"/>.
/// </summary>
public static class FineTuning
{
    /// <summary>Freezes every parameter matched by one of <paramref name="patterns"/>; returns the keys frozen.</summary>
    /// <exception cref="ArgumentException">A pattern matches no parameter (the message lists the model's modules).</exception>
    public static IReadOnlyList<string> Freeze(Module model, params string[] patterns) => Set(model, patterns, false);

    /// <summary>Unfreezes every parameter matched by one of <paramref name="patterns"/>; returns the keys unfrozen.</summary>
    /// <exception cref="ArgumentException">A pattern matches no parameter.</exception>
    public static IReadOnlyList<string> Unfreeze(Module model, params string[] patterns) => Set(model, patterns, true);

    /// <summary>Freezes every parameter of <paramref name="module"/> and its children.</summary>
    public static void Freeze(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var p in module.Parameters()) Detach(p, false);
    }

    /// <summary>Unfreezes every parameter of <paramref name="module"/> and its children.</summary>
    public static void Unfreeze(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var p in module.Parameters()) Detach(p, true);
    }

    /// <summary>
    /// Freezes the whole model, then unfreezes what <paramref name="patterns"/> match: "train only the head".
    /// Returns the keys left trainable.
    /// </summary>
    public static IReadOnlyList<string> TrainOnly(Module model, params string[] patterns)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (patterns.Length == 0) throw new ArgumentException("TrainOnly: give at least one layer pattern.");
        Freeze(model);
        return Unfreeze(model, patterns);
    }

    /// <summary>
    /// Sets <see cref="BatchNorm.UseRunningStats"/> on every batch-norm layer whose parameters are all frozen
    /// (and that tracks running statistics), so a frozen backbone computes the same features in training mode as
    /// in evaluation and its running statistics stay the pre-trained ones. Layers with a trainable parameter, and
    /// non-affine layers (which have no parameter to tell), are left as they are. Call it after freezing.
    /// Returns the module paths of the layers set.
    /// </summary>
    public static IReadOnlyList<string> FreezeBatchNormStatistics(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var set = new List<string>();
        foreach (var (name, m) in model.NamedModules())
        {
            if (m is not BatchNorm bn || bn.RunningMean is null) continue;
            var ps = bn.Parameters().ToList();
            if (ps.Count == 0 || ps.Any(p => p.RequiresGrad)) continue;
            bn.UseRunningStats = true;
            set.Add(name);
        }
        return set;
    }

    /// <summary>The trainable (unfrozen) parameters with their keys.</summary>
    public static IReadOnlyList<(string Name, Tensor Parameter)> Trainable(Module model) =>
        model.NamedParameters().Where(p => p.Parameter.RequiresGrad).ToList();

    /// <summary>
    /// Parameter groups over the trainable parameters: each goes to the first rule whose pattern matches it
    /// (with that rule's learning rate), the rest to a group at <paramref name="defaultLr"/>. Empty groups are
    /// dropped; frozen parameters are in no group.
    /// </summary>
    /// <exception cref="ArgumentException">A rule matches no trainable parameter, or nothing is trainable.</exception>
    public static IReadOnlyList<ParamGroup> Groups(Module model, float defaultLr, IReadOnlyList<(string Pattern, float Lr)> rules, float weightDecay = 0f)
    {
        var trainable = Trainable(model);
        if (trainable.Count == 0) throw new ArgumentException("FineTuning: every parameter is frozen; unfreeze some layers to train.");
        var buckets = rules.Select(_ => new List<Tensor>()).ToList();
        var rest = new List<Tensor>();
        foreach (var (name, p) in trainable)
        {
            int r = -1;
            for (int i = 0; i < rules.Count && r < 0; i++)
                if (ParameterPattern.Matches(name, rules[i].Pattern)) r = i;
            (r < 0 ? rest : buckets[r]).Add(p);
        }
        var groups = new List<ParamGroup>();
        for (int i = 0; i < rules.Count; i++)
        {
            if (buckets[i].Count == 0)
                throw new ArgumentException($"FineTuning: the learning-rate rule '{rules[i].Pattern}' matches no trainable parameter. Trainable modules: {ModuleList(trainable.Select(t => t.Name))}.");
            groups.Add(new ParamGroup(buckets[i], rules[i].Lr, weightDecay));
        }
        if (rest.Count > 0) groups.Add(new ParamGroup(rest, defaultLr, weightDecay));
        return groups;
    }

    /// <summary>
    /// Copies pre-trained values into <paramref name="model"/> by key, skipping keys under
    /// <paramref name="skipPrefixes"/> (the old head), keys the model lacks and keys whose shapes differ.
    /// Every skipped key is reported with its reason; the model's keys left at their fresh values are listed.
    /// </summary>
    public static TransferReport LoadPretrained(Module model, IEnumerable<KeyValuePair<string, Tensor>> state, IReadOnlyList<string>? skipPrefixes = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(state);
        var own = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        var take = new List<KeyValuePair<string, Tensor>>();
        var skipped = new List<SkippedKey>();
        foreach (var (key, t) in state)
        {
            if (skipPrefixes is not null && ModelHeads.IsHeadKey(key, skipPrefixes)) skipped.Add(new(key, "head"));
            else if (!own.TryGetValue(key, out var mine)) skipped.Add(new(key, "not in the model"));
            else if (!mine.Shape.Equals(t.Shape)) skipped.Add(new(key, $"shape {t.Shape}, the model has {mine.Shape}"));
            else take.Add(new(key, t));
        }
        var result = model.LoadStateDict(take, strict: false);
        return new TransferReport(take.Select(kv => kv.Key).ToList(), skipped, result.MissingKeys);
    }

    private static IReadOnlyList<string> Set(Module model, string[] patterns, bool trainable)
    {
        ArgumentNullException.ThrowIfNull(model);
        var all = model.NamedParameters().ToList();
        var hit = new List<string>();
        foreach (var pattern in patterns)
        {
            var matched = all.Where(p => ParameterPattern.Matches(p.Name, pattern)).ToList();
            if (matched.Count == 0)
                throw new ArgumentException($"no parameter matches '{pattern}'. The model's modules: {ModuleList(all.Select(p => p.Name))}.");
            foreach (var (name, p) in matched)
            {
                Detach(p, trainable);
                if (!hit.Contains(name)) hit.Add(name);
            }
        }
        return hit;
    }

    private static void Detach(Tensor p, bool trainable)
    {
        p.RequiresGrad = trainable;
        // A frozen parameter keeps no stale gradient for an optimizer to apply.
        if (!trainable) p.Grad = null;
    }

    // "conv1, conv2, fc1, fc2, fc3": each parameter's module path, once, in order.
    private static string ModuleList(IEnumerable<string> keys) =>
        string.Join(", ", keys.Select(k => k.LastIndexOf('.') is int i and > 0 ? k[..i] : k).Distinct());
}
