namespace Striate.IO;

/// <summary>
/// Writes a whole file atomically, the one way Striate writes files: the bytes go to a temporary file in the target's
/// folder (created when missing), <c>.NAME.PID.GUID.tmp</c>, which is flushed to disk and then renamed over the target,
/// so a reader sees the old file or the complete new one, never a part, and a failed write leaves no temporary file.
/// </summary>
public static class AtomicFile
{
    /// <exception cref="IOException">The folder cannot be created or the file cannot be written.</exception>
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Write(path, stream => stream.Write(bytes));
    }

    /// <summary>
    /// Checks, before a long computation, that <paramref name="path"/> can be written the way <see cref="Write"/> will:
    /// creates its folder and writes and deletes an empty temporary file there. The target itself is not touched.
    /// </summary>
    /// <exception cref="IOException">The path is a folder, or the folder cannot be created or written.</exception>
    public static void CheckWritable(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path)) throw new IOException($"'{path}' is a folder; give a file name.");
        try
        {
            string probe = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.probe");
            Write(probe, _ => { });
            File.Delete(probe);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    /// <summary>Writes what <paramref name="write"/> puts into the stream it is given, then renames it into place.</summary>
    /// <exception cref="IOException">The folder cannot be created or the file cannot be written; anything
    /// <paramref name="write"/> throws passes through, and the target is left as it was.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
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
            using (var f = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(f);
                f.Flush(flushToDisk: true); // on disk before the rename makes it the file
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            throw;
        }
    }
}
