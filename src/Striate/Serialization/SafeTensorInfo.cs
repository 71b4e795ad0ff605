namespace Striate.Serialization;

/// <summary>One tensor of a safetensors header: its name, dtype and shape (no data).</summary>
public sealed record SafeTensorInfo(string Name, SafeTensorDType DType, IReadOnlyList<long> Shape)
{
    /// <summary>The number of elements.</summary>
    public long Count => Shape.Aggregate(1L, (a, d) => a * d);
}
