using System.Text.Json;
using System.Text.Json.Serialization;
using Striate.IO;
using Striate.Tensors;

namespace Striate.Optim;

/// <summary>The optimizers a run can use; checkpoints and the command line name them in lower case ("adamw").</summary>
public enum OptimizerKind
{
    /// <summary><see cref="Optim.Adam"/>.</summary>
    Adam,

    /// <summary><see cref="Optim.AdamW"/>: decoupled weight decay.</summary>
    AdamW,

    /// <summary><see cref="Optim.Sgd"/>, with momentum.</summary>
    Sgd,
}

/// <summary>An optimizer's kind and settings, to build one from the command line or a checkpoint.</summary>
public sealed record OptimizerConfig(
    [property: JsonPropertyName("name"), JsonConverter(typeof(EnumText.JsonConverter<OptimizerKind>))] OptimizerKind Name,
    [property: JsonPropertyName("lr")] float Lr,
    [property: JsonPropertyName("momentum")] float Momentum = 0f,
    [property: JsonPropertyName("weight_decay")] float WeightDecay = 0f,
    [property: JsonPropertyName("nesterov")] bool Nesterov = false)
{
    /// <summary>The optimizer names, as the command line and checkpoints write them.</summary>
    public static IReadOnlyList<string> Names { get; } = EnumText.Names<OptimizerKind>();

    /// <summary>The optimizer named <paramref name="name"/> (any case).</summary>
    /// <exception cref="ArgumentException">Another name; the message lists the valid ones.</exception>
    public static OptimizerKind ParseKind(string name) => EnumText.Parse<OptimizerKind>(name, "optimizer", "optimizers");

    /// <summary>Builds the optimizer over <paramref name="parameters"/>.</summary>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    public Optimizer Create(IEnumerable<Tensor> parameters) => Create([new ParamGroup(parameters, Lr, WeightDecay)]);

    /// <summary>
    /// Builds the optimizer over parameter groups, each with its learning rate and weight decay (this record's
    /// <see cref="Lr"/> and <see cref="WeightDecay"/> are not used).
    /// </summary>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    public Optimizer Create(IReadOnlyList<ParamGroup> groups) => Name switch
    {
        OptimizerKind.Adam => new Adam(groups),
        OptimizerKind.AdamW => new AdamW(groups),
        OptimizerKind.Sgd => new Sgd(groups, Momentum, nesterov: Nesterov),
        _ => throw new ArgumentOutOfRangeException(nameof(Name), Name, "not an optimizer."),
    };

    public string ToJson() => JsonSerializer.Serialize(this);

    public static OptimizerConfig FromJson(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<OptimizerConfig>(json) ?? throw new InvalidDataException($"{source}: the optimizer settings are null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: the optimizer settings are not valid JSON ({e.Message}).");
        }
    }
}
