namespace Striate.Bench;

/// <summary>Where scripts/fetch-models keeps the real models: $STRIATE_MODELS, or ~/.cache/striate/models.</summary>
public static class ModelCache
{
    public static string Folder { get; } = Environment.GetEnvironmentVariable("STRIATE_MODELS") is { Length: > 0 } c ? c
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "striate", "models");
}
