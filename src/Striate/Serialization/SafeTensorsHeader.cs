namespace Striate.Serialization;

/// <summary>What <see cref="SafeTensors.ReadHeader"/> gives: the tensors' layout, in file order, and the metadata.</summary>
public sealed record SafeTensorsHeader(IReadOnlyList<SafeTensorInfo> Tensors, IReadOnlyDictionary<string, string> Metadata);
