using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>Applies its children in order; children are named "0", "1", ... unless names are given.</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _layers = new();

    public Sequential(params Module[] layers)
    {
        foreach (var l in layers) Add(l);
    }

    public Sequential(params (string Name, Module Module)[] layers)
    {
        foreach (var (n, m) in layers) Add(n, m);
    }

    /// <summary>Appends a layer named by its position.</summary>
    public Sequential Add(Module layer) => Add(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer);

    /// <summary>Appends a named layer.</summary>
    public Sequential Add(string name, Module layer)
    {
        RegisterModule(name, layer);
        _layers.Add(layer);
        return this;
    }

    public int Count => _layers.Count;

    public Module this[int index] => _layers[index];

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<Module> Layers => _layers;

    protected override Tensor OnForward(Tensor input)
    {
        var x = input;
        foreach (var l in _layers) x = l.Call(x);
        return x;
    }
}
