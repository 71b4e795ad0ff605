using System.Text.Json;
using System.Text.Json.Serialization;

namespace Striate.Models;

/// <summary>
/// What is needed to rebuild a model before its weights are loaded: the architecture name and its
/// hyper-parameters. Stored as JSON in a checkpoint's metadata.
/// </summary>
public sealed record ModelSpec(
    [property: JsonPropertyName("architecture")] string Architecture,
    [property: JsonPropertyName("num_classes")] int NumClasses,
    [property: JsonPropertyName("in_channels")] int InChannels,
    [property: JsonPropertyName("input_height")] int InputHeight,
    [property: JsonPropertyName("input_width")] int InputWidth,
    [property: JsonPropertyName("embedding_dim"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int EmbeddingDim = 0,
    [property: JsonPropertyName("l2_normalize"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool L2Normalize = false,
    [property: JsonPropertyName("projection_dim"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] int ProjectionDim = 0,
    [property: JsonPropertyName("flip_average"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool FlipAverage = false)
{
    /// <summary>True for an embedding model: the architecture's head gives <see cref="EmbeddingDim"/> outputs, not class scores.</summary>
    [JsonIgnore]
    public bool IsEmbedding => EmbeddingDim > 0;

    /// <summary>The most input channels a spec read from a file may ask for.</summary>
    public const int MaxChannels = 64;

    /// <summary>The largest input height or width a spec read from a file may ask for.</summary>
    public const int MaxImageSide = 4096;

    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>Parses a spec; a malformed one is an <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static ModelSpec FromJson(string json, string source)
    {
        ModelSpec? spec;
        try
        {
            spec = JsonSerializer.Deserialize<ModelSpec>(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: the model spec is not valid JSON ({e.Message}).");
        }
        if (spec is null || string.IsNullOrEmpty(spec.Architecture) || spec.NumClasses < 1 || spec.InChannels < 1 || spec.InputHeight < 1 || spec.InputWidth < 1 || spec.EmbeddingDim < 0 || spec.ProjectionDim < 0 || (spec.ProjectionDim > 0 && spec.EmbeddingDim == 0) || (spec.FlipAverage && spec.EmbeddingDim == 0))
            throw new InvalidDataException($"{source}: the model spec must name an architecture and positive num_classes, in_channels, input_height and input_width (and a non-negative embedding_dim, and a projection_dim or flip_average only with an embedding_dim); got {json}.");
        if (spec.InChannels > MaxChannels || spec.InputHeight > MaxImageSide || spec.InputWidth > MaxImageSide)
            throw new InvalidDataException($"{source}: the model spec asks for {spec.InChannels}x{spec.InputHeight}x{spec.InputWidth} images; at most {MaxChannels} channels and {MaxImageSide} pixels a side are read from a file; got {json}.");
        return spec;
    }
}
