namespace Striate.IO;

/// <summary>
/// Writes a whole file atomically: the bytes go to a temporary file in the target's folder (created when missing),
/// which is then renamed over the target, so a reader sees the old file or the complete new one, never a part.
/// </summary>
public static class AtomicFile
{
    /// <exception cref="IOException">The folder cannot be created or the file cannot be written.</exception>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot create the folder '{folder}' for '{path}': {e.Message}", e);
        }
        string tmp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var f = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                f.Write(bytes);
                f.Flush(flushToDisk: true); // on disk before the rename makes it the file
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }
}
