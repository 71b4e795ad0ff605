using Striate.IO;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>
/// Weight initialisers (torch.nn.init), all drawing from an explicit or the default seeded generator.
/// fan_in = size(1) * receptive field, fan_out = size(0) * receptive field.
/// </summary>
public static class Init
{
    /// <summary>Fan-in and fan-out of a weight of rank 2 or more.</summary>
    public static (int FanIn, int FanOut) Fans(Tensor w)
    {
        if (w.Rank < 2)
            throw new ArgumentException($"Init: fan in and fan out need a weight of rank >= 2, got {w.Shape}.");
        int receptive = w.Numel / (w.Shape[0] * w.Shape[1] == 0 ? 1 : w.Shape[0] * w.Shape[1]);
        if (w.Shape[0] * w.Shape[1] == 0) receptive = 1;
        return (w.Shape[1] * receptive, w.Shape[0] * receptive);
    }

    /// <summary>The recommended gain of a nonlinearity (torch.nn.init.calculate_gain).</summary>
    public static float Gain(string nonlinearity, float param = 0.01f) => nonlinearity switch
    {
        "linear" or "conv2d" or "sigmoid" or "identity" => 1f,
        "tanh" => 5f / 3f,
        "relu" => MathF.Sqrt(2f),
        "leaky_relu" => MathF.Sqrt(2f / (1f + param * param)),
        "selu" => 0.75f,
        _ => throw new ArgumentException($"Init.Gain: unknown nonlinearity '{nonlinearity}' (expected linear, sigmoid, tanh, relu, leaky_relu or selu)."),
    };

    public static void Uniform(Tensor t, float low, float high, Generator? generator = null) =>
        (generator ?? Generator.Default).FillUniform(t.Data, low, high);

    public static void Normal(Tensor t, float mean, float std, Generator? generator = null) =>
        (generator ?? Generator.Default).FillNormal(t.Data, mean, std);

    public static void Constant(Tensor t, float value) => t.Data.Fill(value);

    public static void Zeros(Tensor t) => t.Data.Clear();

    public static void Ones(Tensor t) => t.Data.Fill(1f);

    /// <summary>He uniform: U(-b, b), b = gain * sqrt(3 / fan), gain from the nonlinearity with slope a.</summary>
    public static void KaimingUniform(Tensor t, float a = 0f, bool fanOut = false, string nonlinearity = "leaky_relu", Generator? generator = null)
    {
        var (fi, fo) = Fans(t);
        float bound = Gain(nonlinearity, a) * MathF.Sqrt(3f / (fanOut ? fo : fi));
        Uniform(t, -bound, bound, generator);
    }

    /// <summary>He normal: N(0, std^2), std = gain / sqrt(fan).</summary>
    public static void KaimingNormal(Tensor t, float a = 0f, bool fanOut = false, string nonlinearity = "leaky_relu", Generator? generator = null)
    {
        var (fi, fo) = Fans(t);
        Normal(t, 0f, Gain(nonlinearity, a) / MathF.Sqrt(fanOut ? fo : fi), generator);
    }

    /// <summary>Glorot uniform: U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)).</summary>
    public static void XavierUniform(Tensor t, float gain = 1f, Generator? generator = null)
    {
        var (fi, fo) = Fans(t);
        float bound = gain * MathF.Sqrt(6f / (fi + fo));
        Uniform(t, -bound, bound, generator);
    }

    /// <summary>Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).</summary>
    public static void XavierNormal(Tensor t, float gain = 1f, Generator? generator = null)
    {
        var (fi, fo) = Fans(t);
        Normal(t, 0f, gain * MathF.Sqrt(2f / (fi + fo)), generator);
    }

    /// <summary>
    /// PyTorch's default for Conv and Linear layers: Kaiming uniform with a = sqrt(5), which gives
    /// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weight, and the same bound for the bias.
    /// </summary>
    public static void DefaultLayer(Tensor weight, Tensor? bias, Generator? generator = null)
    {
        KaimingUniform(weight, MathF.Sqrt(5f), generator: generator);
        if (bias is null) return;
        var (fi, _) = Fans(weight);
        float bound = fi > 0 ? 1f / MathF.Sqrt(fi) : 0f;
        Uniform(bias, -bound, bound, generator);
    }

    /// <summary>The schemes <see cref="Apply(Module, InitScheme, Generator?)"/> knows, by name ("default", "zeros", "small", "xavier", "he").</summary>
    public static IReadOnlyList<string> Schemes { get; } = EnumText.Names<InitScheme>();

    /// <summary>The scheme named <paramref name="name"/> (any case).</summary>
    /// <exception cref="ArgumentException">Another name; the message lists the valid ones.</exception>
    public static InitScheme ParseScheme(string name) => EnumText.Parse<InitScheme>(name, "initialisation", "initialisations");

    /// <summary>Re-initialises every convolution and linear layer of <paramref name="model"/> with a scheme named as <see cref="Schemes"/>.</summary>
    /// <exception cref="ArgumentException">The scheme is unknown.</exception>
    public static void Apply(Module model, string scheme, Generator? generator = null) => Apply(model, ParseScheme(scheme), generator);

    /// <summary>
    /// Re-initialises every convolution and linear layer of <paramref name="model"/> (<see cref="InitScheme"/>); every
    /// scheme but <see cref="InitScheme.Default"/> sets the biases to 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a scheme.</exception>
    public static void Apply(Module model, InitScheme scheme, Generator? generator = null)
    {
        if (!Enum.IsDefined(scheme)) throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "not an initialisation scheme.");
        if (scheme == InitScheme.Default) return;
        foreach (var (_, m) in model.NamedModules())
        {
            var (weight, bias) = m switch
            {
                Conv2d c => (c.Weight, c.Bias),
                ConvTranspose2d t => (t.Weight, t.Bias),
                Linear l => (l.Weight, l.Bias),
                _ => (null, null),
            };
            if (weight is null) continue;
            switch (scheme)
            {
                case InitScheme.Zeros: Zeros(weight); break;
                case InitScheme.Small: Normal(weight, 0f, 0.01f, generator); break;
                case InitScheme.Xavier: XavierUniform(weight, 1f, generator); break;
                default: KaimingNormal(weight, 0f, nonlinearity: "relu", generator: generator); break;
            }
            if (bias is not null) Zeros(bias);
        }
    }
}

/// <summary>How <see cref="Init.Apply(Module, InitScheme, Generator?)"/> re-initialises convolution and linear layers.</summary>
public enum InitScheme
{
    /// <summary>Leave PyTorch's initialisation.</summary>
    Default,

    /// <summary>Weights 0.</summary>
    Zeros,

    /// <summary>Weights drawn from N(0, 0.01^2).</summary>
    Small,

    /// <summary>Glorot uniform, gain 1.</summary>
    Xavier,

    /// <summary>Kaiming normal for ReLU: std sqrt(2 / fan_in).</summary>
    He,
}
