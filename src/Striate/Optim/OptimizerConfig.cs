using System.Text.Json;
using System.Text.Json.Serialization;
using Striate.Tensors;

namespace Striate.Optim;

/// <summary>An optimizer's name and settings, to build one from the command line or a checkpoint.</summary>
public sealed record OptimizerConfig(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("lr")] float Lr,
    [property: JsonPropertyName("momentum")] float Momentum = 0f,
    [property: JsonPropertyName("weight_decay")] float WeightDecay = 0f,
    [property: JsonPropertyName("nesterov")] bool Nesterov = false)
{
    /// <summary>The optimizer names <see cref="Create"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = ["adam", "adamw", "sgd"];

    /// <summary>Builds the optimizer over <paramref name="parameters"/>.</summary>
    /// <exception cref="ArgumentException">The name is unknown or a setting is invalid.</exception>
    public Optimizer Create(IEnumerable<Tensor> parameters) => Name switch
    {
        "adam" => new Adam(parameters, Lr, weightDecay: WeightDecay),
        "adamw" => new AdamW(parameters, Lr, weightDecay: WeightDecay),
        "sgd" => new Sgd(parameters, Lr, Momentum, weightDecay: WeightDecay, nesterov: Nesterov),
        _ => throw new ArgumentException($"Unknown optimizer '{Name}'. Valid optimizers: {string.Join(", ", Names)}."),
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
