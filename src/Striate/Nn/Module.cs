using System.Text;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>
/// Base of every layer and model: named parameters, buffers and child modules registered explicitly with
/// PyTorch's state-dict keys, a training flag, <see cref="OnForward"/> (the computation) and <see cref="Forward"/> (the call). Layers hold parameters, never
/// activations, so a module can appear twice in one graph (siamese networks) or run on two threads.
/// </summary>
public abstract class Module
{
    private readonly List<(string Name, Tensor? Tensor)> _parameters = new();
    private readonly List<(string Name, Tensor? Tensor, bool Persistent)> _buffers = new();
    private readonly List<(string Name, Module Module)> _children = new();
    private readonly HashSet<string> _names = new();

    /// <summary>True in training mode (dropout active, batch norm on batch statistics).</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>The module's path in its model (e.g. "features.3"); set when it is registered.</summary>
    public string? Path { get; private set; }

    /// <summary>
    /// The module's computation, PyTorch's <c>forward</c>: a module of one's own overrides it and runs its children
    /// with their <see cref="Forward"/>.
    /// </summary>
    protected abstract Tensor OnForward(Tensor input);

    /// <summary>
    /// Runs the module on <paramref name="input"/>: what user code calls on a model and a parent module calls on a
    /// child (PyTorch's <c>module(x)</c>, hooks included). An active <see cref="ForwardTrace"/> (summaries, layer
    /// lookups, visualisations) sees the call, its input and its output, an export's <see cref="ModuleTrace"/> records it, and an inference
    /// session runs the fused form of the blocks it knows; otherwise it is <see cref="OnForward"/>.
    /// </summary>
    public Tensor Forward(Tensor input) =>
        ModuleTrace.Current is { } recorder ? recorder.Run(this, input, RunOnForward)
        : ForwardTrace.Current is { } trace ? trace.Run(this, input)
        : InferenceFusion.TryRun(this, input, out var fused) ? fused
        : OnForward(input);

    /// <summary>The same as <see cref="Forward"/>.</summary>
    public Tensor Call(Tensor input) => Forward(input);

    // The computation alone, for the trace that has already recorded the call.
    internal Tensor RunOnForward(Tensor input) => OnForward(input);

    /// <summary>Registers a trainable tensor under <paramref name="name"/> (a null parameter, such as an absent bias, is kept as a name only).</summary>
    protected Tensor? RegisterParameter(string name, Tensor? parameter)
    {
        Claim(name);
        if (parameter is not null) parameter.RequiresGrad = true;
        _parameters.Add((name, parameter));
        return parameter;
    }

    /// <summary>Registers a non-trainable state tensor (running statistics); <paramref name="persistent"/> puts it in the state dict.</summary>
    protected Tensor? RegisterBuffer(string name, Tensor? buffer, bool persistent = true)
    {
        Claim(name);
        _buffers.Add((name, buffer, persistent));
        return buffer;
    }

    /// <summary>Registers a child; its parameters appear under "name.".</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        Claim(name);
        _children.Add((name, module));
        module.SetPath(Path is null ? name : $"{Path}.{name}");
        return module;
    }

    private void Claim(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"{GetType().Name}: invalid name '{name}' (must be non-empty and contain no '.').");
        if (!_names.Add(name))
            throw new ArgumentException($"{GetType().Name}: the name '{name}' is already registered.");
    }

    private void SetPath(string path)
    {
        Path = path;
        foreach (var (n, m) in _children) m.SetPath($"{path}.{n}");
    }

    /// <summary>The direct children, in registration order.</summary>
    public IEnumerable<(string Name, Module Module)> Children() => _children;

    /// <summary>Every module in the tree with its dotted name, this one first (name "").</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (n, m) in _children)
            foreach (var x in m.NamedModules(prefix.Length == 0 ? n : $"{prefix}.{n}"))
                yield return x;
    }

    /// <summary>Every parameter with its state-dict key, in registration order.</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(string prefix = "")
    {
        foreach (var (n, p) in _parameters)
            if (p is not null) yield return (Join(prefix, n), p);
        foreach (var (n, m) in _children)
            foreach (var x in m.NamedParameters(Join(prefix, n)))
                yield return x;
    }

    /// <summary>Every parameter, in registration order.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>Every buffer with its state-dict key.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "", bool persistentOnly = false)
    {
        foreach (var (n, b, persistent) in _buffers)
            if (b is not null && (persistent || !persistentOnly)) yield return (Join(prefix, n), b);
        foreach (var (n, m) in _children)
            foreach (var x in m.NamedBuffers(Join(prefix, n), persistentOnly))
                yield return x;
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";

    /// <summary>Number of trainable elements.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.Numel);

    /// <summary>
    /// Parameters and persistent buffers by key, in PyTorch's order (each module's parameters, then its
    /// buffers, then its children). The tensors are the live ones, not copies.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> StateDict()
    {
        var list = new List<KeyValuePair<string, Tensor>>();
        AddState("", list);
        return list;
    }

    private void AddState(string prefix, List<KeyValuePair<string, Tensor>> list)
    {
        foreach (var (n, p) in _parameters)
            if (p is not null) list.Add(new(Join(prefix, n), p));
        foreach (var (n, b, persistent) in _buffers)
            if (b is not null && persistent) list.Add(new(Join(prefix, n), b));
        foreach (var (n, m) in _children) m.AddState(Join(prefix, n), list);
    }

    /// <summary>
    /// Copies values by key into this module's parameters and buffers. With <paramref name="strict"/>, a
    /// missing or unexpected key is an error; a key whose shape differs is always an error. Nothing is
    /// copied unless every check passes.
    /// </summary>
    /// <returns>The keys that were missing from <paramref name="state"/> and the keys it had that this module lacks.</returns>
    public LoadResult LoadStateDict(IEnumerable<KeyValuePair<string, Tensor>> state, bool strict = true)
    {
        var own = StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        var given = new Dictionary<string, Tensor>();
        foreach (var kv in state) given[kv.Key] = kv.Value;
        var missing = own.Keys.Where(k => !given.ContainsKey(k)).ToList();
        var unexpected = given.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var wrong = given.Where(kv => own.TryGetValue(kv.Key, out var t) && !t.Shape.Equals(kv.Value.Shape))
            .Select(kv => $"{kv.Key}: expected {own[kv.Key].Shape}, got {kv.Value.Shape}").ToList();
        var problems = new List<string>();
        if (wrong.Count > 0) problems.Add("wrongly shaped keys: " + string.Join("; ", wrong));
        if (strict && missing.Count > 0) problems.Add("missing keys: " + string.Join(", ", missing));
        if (strict && unexpected.Count > 0) problems.Add("unexpected keys: " + string.Join(", ", unexpected));
        if (problems.Count > 0)
            throw new ArgumentException($"LoadStateDict into {GetType().Name}: " + string.Join(". ", problems) + ".");
        foreach (var (k, t) in own)
            if (given.TryGetValue(k, out var src)) src.Data.CopyTo(t.Data);
        return new LoadResult(missing, unexpected);
    }

    /// <summary>
    /// Writes this module's state dict (parameters and persistent buffers under PyTorch's keys) to a safetensors file,
    /// atomically. Any module saves, built-in or not; the file holds weights only, no architecture.
    /// </summary>
    public void Save(string path) => StateDictFile.Write(path, StateDict());

    /// <summary>
    /// Loads weights written by <see cref="Save"/> (or by <c>safetensors.torch.save_file(model.state_dict())</c>, or a
    /// PyTorch <c>torch.save(model.state_dict())</c> .pth file) into this module, as <see cref="LoadStateDict"/> does: by
    /// key, every shape checked, nothing copied unless all pass. Half, bfloat16 and double tensors convert to float32.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is neither safetensors nor a PyTorch file, or holds a tensor of another type.</exception>
    /// <exception cref="ArgumentException">A key is missing, unexpected (with <paramref name="strict"/>) or wrongly shaped.</exception>
    public LoadResult Load(string path, bool strict = true) => LoadStateDict(StateDictFile.Read(path), strict);

    /// <summary>Switches this module and its children to training mode.</summary>
    public Module Train(bool mode = true)
    {
        IsTraining = mode;
        foreach (var (_, m) in _children) m.Train(mode);
        return this;
    }

    /// <summary>Switches this module and its children to evaluation mode.</summary>
    public Module Eval() => Train(false);

    /// <summary>Zeroes every parameter's gradient (keeping its memory), or drops it with <paramref name="setToNull"/>.</summary>
    public void ZeroGrad(bool setToNull = false)
    {
        foreach (var p in Parameters()) p.ZeroGrad(setToNull);
    }

    /// <summary>
    /// The per-image cost of this layer for an input and output shape (batch first). Layers with children
    /// report nothing of their own; their children do.
    /// </summary>
    public virtual LayerCost Cost(Shape input, Shape output) => default;

    /// <summary>The settings that differ from the defaults, as PyTorch's repr shows them (e.g. "3, 64, kernel_size=(3, 3)").</summary>
    protected virtual string ExtraRepr() => "";

    public override string ToString()
    {
        var sb = new StringBuilder();
        Repr(sb, 0);
        return sb.ToString();
    }

    private void Repr(StringBuilder sb, int indent)
    {
        sb.Append(GetType().Name).Append('(').Append(ExtraRepr());
        if (_children.Count > 0)
        {
            sb.Append('\n');
            foreach (var (n, m) in _children)
            {
                sb.Append(' ', indent + 2).Append('(').Append(n).Append("): ");
                m.Repr(sb, indent + 2);
                sb.Append('\n');
            }
            sb.Append(' ', indent);
        }
        sb.Append(')');
    }
}

/// <summary>What <see cref="Module.LoadStateDict"/> did not match.</summary>
public sealed record LoadResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);
