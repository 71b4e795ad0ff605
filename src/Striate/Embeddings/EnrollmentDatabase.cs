using System.Text.Json;
using Striate.Serialization;

namespace Striate.Embeddings;

/// <summary>
/// A one-shot recognition database: K identities, each enrolled from one example as a name and an embedding.
/// Identification answers the nearest identity, or "unknown" when its squared distance exceeds tau. Stored as
/// a safetensors file (tensor "embeddings" [K, D]; names, model and format in the metadata), read with the
/// bounds-checked reader and written atomically: a failed write leaves the old file as it was.
/// </summary>
public sealed class EnrollmentDatabase
{
    /// <summary>The metadata "format" value that marks an enrolment database.</summary>
    public const string Format = "striate-enrollment";

    private readonly List<string> _names = new();
    private readonly List<float[]> _embeddings = new();

    /// <summary>
    /// An empty database for embeddings of <paramref name="embeddingDim"/> values from <paramref name="model"/> (a
    /// description of its architecture) with the weights <paramref name="weights"/> identifies (a digest).
    /// </summary>
    public EnrollmentDatabase(int embeddingDim, string model = "", string weights = "")
    {
        if (embeddingDim < 1) throw new ArgumentException($"EnrollmentDatabase: embeddingDim must be >= 1, got {embeddingDim}.");
        EmbeddingDim = embeddingDim;
        Model = model ?? "";
        Weights = weights ?? "";
    }

    public int EmbeddingDim { get; }

    /// <summary>A description of the model the embeddings come from (its spec), to catch mixing models.</summary>
    public string Model { get; }

    /// <summary>
    /// A digest of the trained weights the embeddings come from, to catch mixing two models of one architecture; empty in
    /// databases written before it was recorded.
    /// </summary>
    public string Weights { get; }

    public int Count => _names.Count;

    public IReadOnlyList<string> Names => _names;

    /// <summary>The enrolled embedding of <paramref name="name"/>.</summary>
    public ReadOnlySpan<float> Embedding(string name)
    {
        int i = _names.IndexOf(name);
        if (i < 0) throw new KeyNotFoundException($"'{name}' is not enrolled.");
        return _embeddings[i];
    }

    /// <summary>Enrols <paramref name="name"/>; enrolling an enrolled name again needs <paramref name="replace"/>.</summary>
    /// <exception cref="ArgumentException">The name is empty, already enrolled (without replace), or the embedding has the wrong size or a non-finite value.</exception>
    public void Enroll(string name, ReadOnlySpan<float> embedding, bool replace = false)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("enroll: the name is empty.");
        CheckEmbedding(embedding, $"the embedding of '{name}'");
        int i = _names.IndexOf(name);
        if (i >= 0 && !replace) throw new ArgumentException($"'{name}' is already enrolled; pass --replace to replace its embedding.");
        if (i >= 0) _embeddings[i] = embedding.ToArray();
        else
        {
            _names.Add(name);
            _embeddings.Add(embedding.ToArray());
        }
    }

    /// <summary>The nearest identity to <paramref name="query"/>, or unknown (null) when its squared distance exceeds <paramref name="tau"/>.</summary>
    /// <exception cref="InvalidOperationException">The database is empty.</exception>
    public Identification Identify(ReadOnlySpan<float> query, double tau)
    {
        if (Count == 0) throw new InvalidOperationException("identify: the database has no enrolled identities.");
        CheckEmbedding(query, "the query embedding");
        int best = 0;
        double bestD = double.PositiveInfinity;
        for (int i = 0; i < Count; i++)
        {
            double d = Verification.SquaredDistance(query, _embeddings[i]);
            if (d < bestD)
            {
                bestD = d;
                best = i;
            }
        }
        return new Identification(bestD <= tau ? _names[best] : null, _names[best], bestD);
    }

    /// <summary>Writes the database atomically (through AtomicFile: a temporary file, then a rename; the folder created if needed).</summary>
    public void Save(string path)
    {
        var flat = new float[Count * EmbeddingDim];
        for (int i = 0; i < Count; i++) _embeddings[i].CopyTo(flat.AsSpan(i * EmbeddingDim));
        var meta = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["format_version"] = "1",
            ["names"] = JsonSerializer.Serialize(_names),
            ["model"] = Model,
        };
        if (Weights.Length > 0) meta["weights"] = Weights;
        SafeTensors.Write(path, [SafeTensorEntry.FromFloat32("embeddings", [Count, EmbeddingDim], flat)], meta);
    }

    /// <summary>The largest embedding size a database file may declare.</summary>
    public const int MaxEmbeddingDim = 1 << 20;

    /// <summary>
    /// Takes the write lock of the database at <paramref name="path"/> (the file <c>PATH.lock</c>, created exclusively and
    /// deleted on release), so that two processes enrolling into one database do not each load it, add a name and
    /// overwrite the other's. Waits up to <paramref name="wait"/> for another holder to finish.
    /// </summary>
    /// <exception cref="IOException">The lock file is still there after the wait: another writer is running, or one
    /// was interrupted and left it (the message says to delete it then).</exception>
    public static IDisposable Lock(string path, TimeSpan wait)
    {
        string full = Path.GetFullPath(path), lockPath = full + ".lock";
        string? dir = Path.GetDirectoryName(full);
        if (dir is not null) Directory.CreateDirectory(dir);
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20); // held by another writer (or released just now): try again
            }
            catch (IOException e) when (File.Exists(lockPath))
            {
                throw new IOException($"enrolment database '{path}' is locked by '{lockPath}': another enrolment is writing it, or one was interrupted; if none is running, delete the lock file.", e);
            }
        }
    }

    /// <summary>Reads a database written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The file is empty, corrupt, or not an enrolment database; the message says which.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static EnrollmentDatabase Load(string path)
    {
        if (Directory.Exists(path)) throw new InvalidDataException($"enrolment database '{path}' is a folder; give the database file.");
        if (!File.Exists(path)) throw new FileNotFoundException($"enrolment database '{path}' does not exist.", path);
        if (new FileInfo(path).Length == 0) throw new InvalidDataException($"enrolment database '{path}' is empty (0 bytes); it is not a database.");
        SafeTensorsContent content;
        try
        {
            content = SafeTensors.Read(path);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new InvalidDataException($"enrolment database '{path}' is corrupt: {e.Message}", e);
        }
        var m = content.Metadata;
        if (!m.TryGetValue("format", out var f) || f != Format)
            throw new InvalidDataException($"'{path}' is not an enrolment database: expected format '{Format}' in its metadata, found '{f ?? "none"}'.");
        if (m.TryGetValue("format_version", out var version) && version != "1")
            throw new InvalidDataException($"enrolment database '{path}' has format version '{version}'; this Striate reads version 1 (a newer Striate wrote it?).");
        if (!content.TryGetTensor("embeddings", out var t) || t.DType != SafeTensorDType.Float32 || t.Shape.Count != 2)
            throw new InvalidDataException($"enrolment database '{path}': expected an F32 tensor 'embeddings' [K, D].");
        if (t.Shape[1] < 1 || t.Shape[1] > MaxEmbeddingDim)
            throw new InvalidDataException($"enrolment database '{path}': expected embeddings of 1 to {MaxEmbeddingDim} values, found {t.Shape[1]}.");
        string[] names;
        try
        {
            names = JsonSerializer.Deserialize<string[]>(m.GetValueOrDefault("names") ?? "") ?? [];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"enrolment database '{path}': the names are not a JSON list of strings ({e.Message}).");
        }
        if (Array.FindIndex(names, n => n is null) is int missing and >= 0)
            throw new InvalidDataException($"enrolment database '{path}': name {missing} is null; every identity needs a name.");
        if (names.Length != t.Shape[0])
            throw new InvalidDataException($"enrolment database '{path}' lists {names.Length} names for {t.Shape[0]} embeddings.");
        if (names.CountBy(n => n).FirstOrDefault(g => g.Value > 1) is { Value: > 1 } twice)
            throw new InvalidDataException($"enrolment database '{path}' lists the name '{twice.Key}' {twice.Value} times; each identity must appear once.");
        var db = new EnrollmentDatabase((int)t.Shape[1], m.GetValueOrDefault("model") ?? "", m.GetValueOrDefault("weights") ?? "");
        var flat = t.ToFloat32Array();
        try
        {
            for (int i = 0; i < names.Length; i++) db.Enroll(names[i], flat.AsSpan(i * db.EmbeddingDim, db.EmbeddingDim));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"enrolment database '{path}': {e.Message}");
        }
        return db;
    }

    private void CheckEmbedding(ReadOnlySpan<float> e, string what)
    {
        if (e.Length != EmbeddingDim) throw new ArgumentException($"{what} has {e.Length} values; the database holds embeddings of {EmbeddingDim}.");
        foreach (float v in e)
            if (!float.IsFinite(v)) throw new ArgumentException($"{what} holds a non-finite value ({v}).");
    }
}
