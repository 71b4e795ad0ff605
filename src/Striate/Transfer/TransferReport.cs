namespace Striate.Transfer;

/// <summary>What <see cref="FineTuning.LoadPretrained"/> did: keys loaded, keys skipped (with reasons), model keys left fresh.</summary>
public sealed record TransferReport(IReadOnlyList<string> Loaded, IReadOnlyList<SkippedKey> Skipped, IReadOnlyList<string> Fresh);
