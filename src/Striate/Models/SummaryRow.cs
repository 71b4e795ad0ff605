namespace Striate.Models;

/// <summary>
/// One layer of a <see cref="ModelSummary"/>: its name and type, output shape (per image, batch dropped),
/// parameters, multiply-accumulates, activation values it stores, and the receptive field and jump (product
/// of strides, in input pixels) at its output.
/// </summary>
public sealed record SummaryRow(
    string Name,
    string Type,
    IReadOnlyList<int> OutputShape,
    long Parameters,
    long Weights,
    long MultiplyAccumulates,
    long Activations,
    long ReceptiveField,
    long Jump,
    int DroppedRows,
    int DroppedColumns);
