namespace Striate.Transfer;

/// <summary>A key of pre-trained weights that was not loaded, and why.</summary>
public sealed record SkippedKey(string Key, string Reason);
