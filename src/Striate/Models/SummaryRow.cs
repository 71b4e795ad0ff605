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

/// <summary>
/// A skip connection in a <see cref="ModelSummary"/>: <see cref="From"/>'s output (per-image shape, and the part used
/// when it was centre-cropped) joined at <see cref="Into"/> (concatenated or added), the joined shape, and the
/// receptive field at the source.
/// </summary>
public sealed record SkipRow(
    string Into,
    string From,
    IReadOnlyList<int> FromShape,
    IReadOnlyList<int> UsedShape,
    IReadOnlyList<int> JoinedShape,
    string How,
    long FromReceptiveField);
