using Striate.Nn;

namespace Striate.Visualization;

/// <summary>Finds a layer of a model by its dotted name, with errors that list what could have been meant.</summary>
public static class LayerLookup
{
    /// <summary>The names of the model's convolution layers, in registration order.</summary>
    public static IReadOnlyList<string> ConvolutionNames(Module model) =>
        model.NamedModules().Where(m => m.Module is Conv2d).Select(m => m.Name).ToList();

    /// <summary>The names of every module below the root (the layers whose output can be drawn).</summary>
    public static IReadOnlyList<string> LayerNames(Module model) =>
        model.NamedModules().Where(m => m.Name.Length > 0).Select(m => m.Name).ToList();

    /// <summary>The module called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such layer; the message lists the layers that exist.</exception>
    public static Module Find(Module model, string name)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var (n, m) in model.NamedModules())
            if (n.Length > 0 && n == name) return m;
        throw new ArgumentException($"the model has no layer '{name}'. Layers: {string.Join(", ", LayerNames(model))}.");
    }

    /// <summary>The convolution called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such layer (the convolutions are listed), or the layer has no filters (it says what it is).</exception>
    public static Conv2d FindConvolution(Module model, string name)
    {
        ArgumentNullException.ThrowIfNull(model);
        var convs = ConvolutionNames(model);
        var found = model.NamedModules().FirstOrDefault(m => m.Name.Length > 0 && m.Name == name).Module;
        if (found is null)
            throw new ArgumentException($"the model has no layer '{name}'. Layers with filters: {string.Join(", ", convs)}.");
        if (found is not Conv2d conv)
            throw new ArgumentException($"layer '{name}' is a {found.GetType().Name}, which has no filters to draw. Layers with filters: {string.Join(", ", convs)}.");
        return conv;
    }
}
