namespace Striate.Models;

/// <summary>One module call of a <see cref="ModelSummary"/>: its name, type, output shape (batch dropped), every parameter under it and its depth.</summary>
public sealed record ModuleRow(string Name, string Type, IReadOnlyList<int> OutputShape, long Parameters, int Depth);
