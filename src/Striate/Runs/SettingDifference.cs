namespace Striate.Runs;

/// <summary>A setting given for a resumed run that differs from the one its checkpoint keeps (both as text).</summary>
/// <param name="Name">The setting as the command line names it, without "--" (lr, batch-size, ...).</param>
/// <param name="Given">The value given.</param>
/// <param name="Kept">The checkpoint's value.</param>
public sealed record SettingDifference(string Name, string Given, string Kept);
