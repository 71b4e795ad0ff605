using Striate.Nn;
using Striate.Tensors;

namespace Striate.Models;

/// <summary>The models the command line and checkpoints know by name.</summary>
public static class ModelZoo
{
    private static readonly Dictionary<string, (string Description, Func<ModelSpec, Generator?, Module> Build)> s_models = new(StringComparer.Ordinal)
    {
        ["lenet5"] = ("LeNet-5 with ReLU and max pooling, for 28x28 inputs", (s, g) => new LeNet5(s.NumClasses, s.InChannels, classic: false, g)),
        ["lenet5-classic"] = ("LeNet-5 as in the 1998 paper: sigmoid and average pooling, for 28x28 inputs", (s, g) => new LeNet5(s.NumClasses, s.InChannels, classic: true, g)),
    };

    /// <summary>The known architecture names, sorted.</summary>
    public static IReadOnlyList<string> Names => s_models.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>A one-line description of an architecture.</summary>
    public static string Describe(string name) => s_models.TryGetValue(name, out var m) ? m.Description : throw Unknown(name);

    /// <summary>True if <paramref name="name"/> is a known architecture.</summary>
    public static bool Contains(string name) => s_models.ContainsKey(name);

    /// <summary>Builds the model a spec describes, with fresh weights from <paramref name="generator"/>.</summary>
    /// <exception cref="ArgumentException">The architecture is unknown.</exception>
    public static Module Create(ModelSpec spec, Generator? generator = null)
    {
        if (!s_models.TryGetValue(spec.Architecture, out var m)) throw Unknown(spec.Architecture);
        return m.Build(spec, generator);
    }

    private static ArgumentException Unknown(string name) =>
        new($"Unknown model '{name}'. Valid models: {string.Join(", ", Names)}.");
}
