namespace Striate.Embeddings;

/// <summary>
/// The answer of <see cref="EnrollmentDatabase.Identify"/>: the identity (null for "unknown"), the nearest
/// enrolled name and its squared distance.
/// </summary>
public sealed record Identification(string? Identity, string Nearest, double Distance);
