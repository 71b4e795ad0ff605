using Striate.Tensors;

namespace Striate.Optim;

/// <summary>
/// Base of the optimizers: parameter groups, a step counter, per-parameter state tensors (kept outside any
/// scope, saved in checkpoints), and <see cref="Step"/> / <see cref="ZeroGrad"/>. Parameters without a
/// gradient are skipped, as in PyTorch.
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<Tensor, Dictionary<string, Tensor>> _state = new(ReferenceEqualityComparer.Instance);

    protected Optimizer(IEnumerable<ParamGroup> groups, string name)
    {
        Groups = groups.ToList();
        if (Groups.Count == 0 || Groups.All(g => g.Parameters.Count == 0))
            throw new ArgumentException($"{name}: got an empty parameter list.");
        foreach (var g in Groups)
        {
            if (!(g.Lr >= 0)) throw new ArgumentException($"{name}: learning rate must be >= 0, got {g.Lr}.");
            if (!(g.WeightDecay >= 0)) throw new ArgumentException($"{name}: weight decay must be >= 0, got {g.WeightDecay}.");
        }
    }

    public IReadOnlyList<ParamGroup> Groups { get; }

    /// <summary>The learning rate of the first group (setting it sets every group's).</summary>
    public float Lr
    {
        get => Groups[0].Lr;
        set
        {
            foreach (var g in Groups) g.Lr = value;
        }
    }

    /// <summary>Applies one update to every parameter that has a gradient.</summary>
    public void Step()
    {
        using var _ = Autograd.NoGrad();
        foreach (var g in Groups)
            foreach (var p in g.Parameters)
                if (p.Grad is not null) Update(g, p, p.Data, p.Grad.Data);
    }

    /// <summary>Updates one parameter in place from its gradient.</summary>
    protected abstract void Update(ParamGroup group, Tensor parameter, Span<float> w, ReadOnlySpan<float> grad);

    /// <summary>Zeroes every parameter's gradient (or drops it).</summary>
    public void ZeroGrad(bool setToNull = false)
    {
        foreach (var g in Groups)
            foreach (var p in g.Parameters) p.ZeroGrad(setToNull);
    }

    /// <summary>A named state tensor of a parameter, created (zeroed, outside any scope) on first use.</summary>
    protected Tensor State(Tensor parameter, string name, out bool created)
    {
        if (!_state.TryGetValue(parameter, out var d)) _state[parameter] = d = new Dictionary<string, Tensor>();
        created = !d.TryGetValue(name, out var t);
        if (created) d[name] = t = Tensor.Persistent(name == "step" ? new Shape() : parameter.Shape);
        return t!;
    }

    /// <summary>
    /// The state of every parameter, keyed "&lt;parameter index&gt;.&lt;name&gt;" with parameters numbered
    /// across groups in order, for checkpoints.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> StateDict()
    {
        var list = new List<KeyValuePair<string, Tensor>>();
        int i = 0;
        foreach (var g in Groups)
            foreach (var p in g.Parameters)
            {
                if (_state.TryGetValue(p, out var d))
                    foreach (var (n, t) in d.OrderBy(kv => kv.Key, StringComparer.Ordinal)) list.Add(new($"{i}.{n}", t));
                i++;
            }
        return list;
    }

    /// <summary>Restores state saved by <see cref="StateDict"/> (shapes are checked).</summary>
    public void LoadStateDict(IEnumerable<KeyValuePair<string, Tensor>> state)
    {
        var ps = Groups.SelectMany(g => g.Parameters).ToList();
        foreach (var (key, value) in state)
        {
            int dot = key.IndexOf('.');
            if (dot < 1 || !int.TryParse(key.AsSpan(0, dot), out int idx) || idx < 0 || idx >= ps.Count)
                throw new ArgumentException($"{GetType().Name}.LoadStateDict: key '{key}' does not name one of the {ps.Count} parameters.");
            var t = State(ps[idx], key[(dot + 1)..], out _);
            if (!t.Shape.Equals(value.Shape))
                throw new ArgumentException($"{GetType().Name}.LoadStateDict: '{key}' has shape {value.Shape}, expected {t.Shape}.");
            value.Data.CopyTo(t.Data);
        }
    }
}
