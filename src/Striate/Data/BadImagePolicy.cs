namespace Striate.Data;

/// <summary>What an image-folder loader does with a file it cannot decode.</summary>
public enum BadImagePolicy
{
    /// <summary>Stop with an <see cref="InvalidDataException"/> that names the file.</summary>
    Fail,

    /// <summary>Report the file (path and reason) and leave it out.</summary>
    Skip,
}
