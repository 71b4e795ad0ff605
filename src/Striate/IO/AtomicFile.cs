namespace Striate.IO;

/// <summary>
/// Writes a whole file atomically, the one way Striate writes files: the bytes go to a temporary file in the target's
/// folder (created when missing), <c>.NAME.PID.GUID.tmp</c>, which is flushed to disk and then renamed over the target,
/// so a reader sees the old file or the complete new one, never a part, and a failed write leaves no temporary file.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// The environment variable that makes every write stop in the temporary-file window until the process is killed,
    /// for tests of a kill during a write: <c>writing:SIGNAL</c> stops after the first 4 KiB of data reach the temporary
    /// file, <c>renaming:SIGNAL</c> after the whole file is flushed and before the rename; both first create the file
    /// SIGNAL. Unset, writes never stop.
    /// </summary>
    public const string PauseVariable = "STRIATE_PAUSE_IN_WRITE";

    private enum PausePhase { Writing, Renaming }

    private sealed record PauseSetting(PausePhase Phase, string Signal);

    private static readonly PauseSetting? s_pause = Environment.GetEnvironmentVariable(PauseVariable) is not { } pause ? null
        : pause.StartsWith("writing:", StringComparison.Ordinal) ? new PauseSetting(PausePhase.Writing, pause["writing:".Length..])
        : pause.StartsWith("renaming:", StringComparison.Ordinal) ? new PauseSetting(PausePhase.Renaming, pause["renaming:".Length..])
        : null;

    private static void Pause(string signal)
    {
        File.WriteAllText(signal, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        while (true) Thread.Sleep(1000);
    }

    // Passes writes through to the temporary file and stops for good once 4 KiB have reached it.
    private sealed class PausingStream(FileStream inner, string signal) : Stream
    {
        private long _written;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            inner.Write(buffer);
            _written += buffer.Length;
            if (_written >= 4096)
            {
                inner.Flush(flushToDisk: true);
                Pause(signal);
            }
        }
    }

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
            WriteFile(probe, _ => { }, pausable: false);
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
    public static void Write(string path, Action<Stream> write) => WriteFile(path, write, pausable: true);

    // A probe of CheckWritable never stops for the pause variable: only the real write does.
    private static void WriteFile(string path, Action<Stream> write, bool pausable)
    {
        var pause = pausable ? s_pause : null;
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
                write(pause?.Phase == PausePhase.Writing ? new PausingStream(f, pause.Signal) : f);
                f.Flush(flushToDisk: true); // on disk before the rename makes it the file
            }
            if (pause?.Phase == PausePhase.Renaming) Pause(pause.Signal);
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            throw;
        }
    }
}
