using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;

namespace Striate.Serialization;

/// <summary>What a .pth file held: its tensors (state-dict keys, in the file's order) and what was done to reach them.</summary>
public sealed class PthContent
{
    internal PthContent(string format, IReadOnlyList<SafeTensorEntry> tensors, IReadOnlyList<string> notes)
    {
        Format = format;
        Tensors = tensors;
        Notes = notes;
    }

    /// <summary>"zip" (torch.save since PyTorch 1.6) or "legacy" (the stream format before it).</summary>
    public string Format { get; }

    /// <summary>The tensors, each in its own element type, contiguous.</summary>
    public IReadOnlyList<SafeTensorEntry> Tensors { get; }

    /// <summary>What was unwrapped or renamed: a state dict taken from a checkpoint's entry, a "module." prefix stripped, values skipped.</summary>
    public IReadOnlyList<string> Notes { get; }
}

/// <summary>
/// PyTorch's <c>torch.save</c> files, read without Python: the zip format (an archive whose one folder holds
/// <c>data.pkl</c> and the storages <c>data/N</c>, stored uncompressed) and the legacy stream format (magic number,
/// protocol version, system information, the pickled object, the storage keys, then each storage's element count and
/// bytes). The pickle runs in <see cref="Pickle"/>, whose globals come from an allow-list: OrderedDict, torch's tensor
/// and parameter rebuilders, the storage types and torch.Size, nothing else, never code. Storage offsets and strides
/// are honoured (a non-contiguous tensor is copied contiguous), one storage may back several tensors, and every
/// extent is checked against the storage before anything is copied.
/// </summary>
public static class PthFile
{
    /// <summary>The legacy format's first pickle.</summary>
    public static readonly BigInteger LegacyMagic = BigInteger.Parse("119547037146038801333356", System.Globalization.CultureInfo.InvariantCulture);

    private sealed record StorageType(string Name, SafeTensorDType DType, int ElementSize);

    private static readonly Dictionary<string, StorageType> s_storages = new[]
    {
        new StorageType("FloatStorage", SafeTensorDType.Float32, 4), new StorageType("DoubleStorage", SafeTensorDType.Float64, 8),
        new StorageType("HalfStorage", SafeTensorDType.Float16, 2), new StorageType("BFloat16Storage", SafeTensorDType.BFloat16, 2),
        new StorageType("LongStorage", SafeTensorDType.Int64, 8), new StorageType("IntStorage", SafeTensorDType.Int32, 4),
        new StorageType("ShortStorage", SafeTensorDType.Int16, 2), new StorageType("CharStorage", SafeTensorDType.Int8, 1),
        new StorageType("ByteStorage", SafeTensorDType.UInt8, 1), new StorageType("BoolStorage", SafeTensorDType.Bool, 1),
    }.ToDictionary(s => s.Name, StringComparer.Ordinal);

    // A storage named by a persistent id: its type, key and element count; a legacy view is the window of Numel
    // elements from Offset of the storage Key.
    private sealed record Storage(StorageType Type, string Key, long Numel, long Offset = 0);

    // A tensor as _rebuild_tensor_v2 describes it.
    private sealed record Tensor(Storage Storage, long Offset, long[] Size, long[] Stride);

    /// <summary>Reads the .pth file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a PyTorch file Striate reads; the message names what was found.</exception>
    public static PthContent Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"PyTorch file '{path}' does not exist.", path);
        return Read(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads a .pth file's bytes; <paramref name="name"/> names it in messages.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a PyTorch file Striate reads.</exception>
    public static PthContent Read(byte[] bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4) return ReadZip(bytes, name);
        if (bytes.Length >= 2 && bytes[0] == 0x80) return ReadLegacy(bytes, name);
        throw new InvalidDataException($"'{name}' is not a PyTorch file: expected a zip archive (torch.save) or a pickle (the legacy format), found bytes {Convert.ToHexString(bytes.AsSpan(0, Math.Min(8, bytes.Length)))}.");
    }

    private static PthContent ReadZip(byte[] bytes, string name)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(new MemoryStream(bytes, writable: false), ZipArchiveMode.Read);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
        {
            throw new InvalidDataException($"'{name}': the zip archive cannot be read ({e.Message}).", e);
        }
        using (zip)
        {
            var pkl = zip.Entries.Where(e => e.FullName == "data.pkl" || e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)).ToList();
            if (pkl.Count != 1) throw new InvalidDataException($"'{name}': expected one data.pkl in the archive, found {pkl.Count}.");
            string prefix = pkl[0].FullName[..^"data.pkl".Length];
            byte[] Entry(ZipArchiveEntry e)
            {
                if (e.Length > bytes.Length || e.Length < 0) throw new InvalidDataException($"'{name}': archive entry '{e.FullName}' claims {e.Length} bytes, more than the file's {bytes.Length}.");
                if (e.CompressedLength != e.Length) throw new InvalidDataException($"'{name}': archive entry '{e.FullName}' is compressed; PyTorch stores its entries uncompressed.");
                var buffer = new byte[e.Length];
                try
                {
                    using var s = e.Open();
                    s.ReadExactly(buffer);
                }
                catch (Exception x) when (x is InvalidDataException or IOException or EndOfStreamException)
                {
                    throw new InvalidDataException($"'{name}': archive entry '{e.FullName}' cannot be read ({x.Message}).", x);
                }
                return buffer;
            }
            var data = Entry(pkl[0]);
            var storages = new Dictionary<string, Storage>(StringComparer.Ordinal);
            var pickle = new Pickle(data, 0, data.Length, $"'{name}' ({pkl[0].FullName})")
            {
                Resolver = (module, global) => Resolve(module, global, name),
                Persistent = id => Persistent(id, storages, name, legacy: false),
            };
            var root = pickle.Load();
            var blobs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            byte[] Blob(Storage s)
            {
                if (blobs.TryGetValue(s.Key, out var b)) return b;
                var entry = zip.GetEntry(prefix + "data/" + s.Key) ?? throw new InvalidDataException($"'{name}': storage '{s.Key}' has no entry '{prefix}data/{s.Key}' in the archive.");
                return blobs[s.Key] = Entry(entry);
            }
            return Collect(root, name, "zip", Blob);
        }
    }

    private static PthContent ReadLegacy(byte[] bytes, string name)
    {
        int pos = 0;
        object? Next(string what, Func<string, string, object> resolver, Func<object?, object?>? persistent = null)
        {
            var p = new Pickle(bytes, pos, bytes.Length, $"'{name}' ({what})") { Resolver = resolver, Persistent = persistent ?? (id => throw new InvalidDataException($"'{name}': a persistent id in the {what}.")) };
            var v = p.Load();
            pos = p.Position;
            return v;
        }
        Func<string, string, object> none = (m, g) => throw new InvalidDataException($"'{name}': the legacy header refers to '{m}.{g}'.");
        if (Next("magic number", none) is not BigInteger magic || magic != LegacyMagic)
            throw new InvalidDataException($"'{name}' is a pickle but not a PyTorch file: its first value is not PyTorch's magic number (a file from pickle.dump, or not from torch.save).");
        if (Next("protocol version", none) is not long version || version != 1001)
            throw new InvalidDataException($"'{name}': legacy protocol version 1001 expected.");
        if (Next("system information", none) is PickleDict info && info.TryGet("little_endian", out var little) && little is false)
            throw new InvalidDataException($"'{name}' was written on a big-endian machine; Striate reads little-endian files.");
        var storages = new Dictionary<string, Storage>(StringComparer.Ordinal);
        var root = Next("object", (m, g) => Resolve(m, g, name), id => Persistent(id, storages, name, legacy: true));
        if (Next("storage keys", none) is not List<object?> keys || keys.Any(k => k is not string))
            throw new InvalidDataException($"'{name}': the storage keys are not a list of strings.");
        // Each storage in key order: its element count (int64), then its bytes.
        var blobs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string key in keys.Cast<string>())
        {
            if (!storages.TryGetValue(key, out var s)) throw new InvalidDataException($"'{name}': storage key '{key}' is listed but no tensor uses it.");
            if (bytes.Length - pos < 8) throw new InvalidDataException($"'{name}': the file ends before storage '{key}'.");
            long count = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(pos, 8));
            pos += 8;
            if (count < 0 || count > (bytes.Length - pos) / s.Type.ElementSize)
                throw new InvalidDataException($"'{name}': storage '{key}' claims {count} elements of {s.Type.ElementSize} bytes; {bytes.Length - pos} bytes remain.");
            blobs[key] = bytes.AsSpan(pos, (int)(count * s.Type.ElementSize)).ToArray();
            pos += (int)(count * s.Type.ElementSize);
        }
        return Collect(root, name, "legacy", s => blobs.TryGetValue(s.Key, out var b) ? b : throw new InvalidDataException($"'{name}': storage '{s.Key}' is not in the file's storage list."));
    }

    private static object Resolve(string module, string global, string name)
    {
        switch (module, global)
        {
            case ("collections", "OrderedDict"):
                return (Pickle.Callable)(args =>
                {
                    var d = new PickleDict();
                    if (args.Count > 0 && args[0] is List<object?> pairs)
                        foreach (var p in pairs)
                            if (p is PickleTuple { Count: 2 } kv) d.Set(kv[0], kv[1]);
                    return d;
                });
            case ("torch._utils", "_rebuild_tensor_v2"):
            case ("torch._utils", "_rebuild_tensor"):
                return (Pickle.Callable)(args =>
                {
                    if (args.Count < 4 || args[0] is not Storage s || args[1] is not long offset || args[2] is not PickleTuple size || args[3] is not PickleTuple stride)
                        throw new InvalidDataException($"'{name}': {global} expects (storage, offset, size, stride, ...), got {Describe(args)}.");
                    return new Tensor(s, offset, Longs(size, "size", name), Longs(stride, "stride", name));
                });
            case ("torch._utils", "_rebuild_parameter"):
            case ("torch._utils", "_rebuild_parameter_with_state"):
                return (Pickle.Callable)(args => args.Count >= 1 && args[0] is Tensor t ? t
                    : throw new InvalidDataException($"'{name}': {global} expects a tensor first, got {Describe(args)}."));
            case ("torch", "Size"):
                return (Pickle.Callable)(args => args.Count == 1 && args[0] is PickleTuple t ? t : throw new InvalidDataException($"'{name}': torch.Size expects a tuple."));
            case ("_codecs", "encode"):
                // Bytes pickled at protocol 2 by Python 3: encode(text, 'latin1').
                return (Pickle.Callable)(args => args.Count == 2 && args[0] is string text ? System.Text.Encoding.Latin1.GetBytes(text)
                    : throw new InvalidDataException($"'{name}': _codecs.encode expects (text, encoding)."));
            case ("torch", _) when s_storages.TryGetValue(global, out var type):
                return type;
        }
        bool model = module.StartsWith("torch.nn", StringComparison.Ordinal) || module == "__main__" || module.StartsWith("torchvision", StringComparison.Ordinal);
        throw new InvalidDataException($"'{name}' pickles '{module}.{global}', which Striate does not resolve" +
            (model ? ": the file holds a whole model (torch.save(model)), which unpickling would run as code; save model.state_dict() instead." :
            ". A state dict needs only collections.OrderedDict, torch._utils' tensor and parameter rebuilders, torch's storage types and torch.Size; Striate resolves nothing else and runs no code."));
    }

    private static long[] Longs(PickleTuple t, string what, string name) =>
        [.. t.Items.Select(v => v is long l ? l : throw new InvalidDataException($"'{name}': a tensor's {what} holds {v?.GetType().Name ?? "None"}, not an integer."))];

    private static string Describe(PickleTuple args) => $"({string.Join(", ", args.Items.Select(a => a?.GetType().Name ?? "None"))})";

    // ('storage', type, key, location, numel) in the zip format; the legacy format adds view metadata.
    private static Storage Persistent(object? id, Dictionary<string, Storage> storages, string name, bool legacy)
    {
        if (id is not PickleTuple { Count: >= 5 } t || t[0] is not "storage" || t[1] is not StorageType type || t[2] is not string key || t[4] is not long numel || numel < 0)
            throw new InvalidDataException($"'{name}': a persistent id is not ('storage', storage type, key, location, size).");
        if (storages.TryGetValue(key, out var known))
        {
            if (known.Type != type) throw new InvalidDataException($"'{name}': storage '{key}' is both {known.Type.Name} and {type.Name}.");
        }
        else storages[key] = known = new Storage(type, key, numel);
        // A legacy view: (view key, offset, view size) of the storage.
        if (legacy && t.Count >= 6 && t[5] is PickleTuple { Count: 3 } view)
        {
            if (view[0] is not string || view[1] is not long offset || view[2] is not long size || offset < 0 || size < 0 || offset + size > numel)
                throw new InvalidDataException($"'{name}': a view of storage '{key}' lies outside its {numel} elements.");
            return new Storage(type, key, size, offset);
        }
        return known;
    }

    // The state dict inside the unpickled root, its tensors made contiguous.
    private static PthContent Collect(object? root, string name, string format, Func<Storage, byte[]> blob)
    {
        var notes = new List<string>();
        if (root is not PickleDict dict)
            throw new InvalidDataException($"'{name}' holds {(root is Tensor ? "a single tensor" : root?.GetType().Name ?? "None")}, not a state dict (a dict of tensors).");
        if (!dict.Items.Any(kv => kv.Value is Tensor))
        {
            // A checkpoint that nests the state dict.
            var inner = dict.Items.FirstOrDefault(kv => kv.Key is "state_dict" or "model_state_dict" or "model" or "net" or "network" or "state" && kv.Value is PickleDict d && d.Items.Any(i => i.Value is Tensor));
            if (inner.Value is not PickleDict nested)
                throw new InvalidDataException($"'{name}' holds a dict without tensors (keys {string.Join(", ", dict.Items.Take(10).Select(kv => $"'{kv.Key}'"))}) and no state dict under 'state_dict', 'model_state_dict', 'model', 'net', 'network' or 'state'.");
            notes.Add($"took the state dict under '{inner.Key}'; the file's other entries ({string.Join(", ", dict.Items.Where(kv => !Equals(kv.Key, inner.Key)).Select(kv => $"'{kv.Key}'"))}) are not weights");
            dict = nested;
        }
        var skipped = dict.Items.Where(kv => kv.Value is not Tensor).Select(kv => $"'{kv.Key}'").ToList();
        if (skipped.Count > 0) notes.Add($"skipped {skipped.Count} entries that are not tensors: {string.Join(", ", skipped.Take(10))}");
        var items = dict.Items.Where(kv => kv.Value is Tensor).Select(kv => (Key: kv.Key as string ?? throw new InvalidDataException($"'{name}': a state-dict key is {kv.Key?.GetType().Name ?? "None"}, not a string."), Tensor: (Tensor)kv.Value!)).ToList();
        if (items.Count > 0 && items.All(i => i.Key.StartsWith("module.", StringComparison.Ordinal)))
        {
            notes.Add($"stripped the 'module.' prefix (DataParallel) from all {items.Count} keys");
            items = [.. items.Select(i => (i.Key["module.".Length..], i.Tensor))];
        }
        var entries = new List<SafeTensorEntry>(items.Count);
        foreach (var (key, t) in items) entries.Add(Contiguous(key, t, blob, name));
        return new PthContent(format, entries, notes);
    }

    private static SafeTensorEntry Contiguous(string key, Tensor t, Func<Storage, byte[]> blob, string name)
    {
        var s = t.Storage;
        int es = s.Type.ElementSize;
        if (t.Size.Length != t.Stride.Length) throw new InvalidDataException($"'{name}': tensor '{key}' has {t.Size.Length} sizes and {t.Stride.Length} strides.");
        if (t.Size.Any(d => d < 0) || t.Stride.Any(d => d < 0) || t.Offset < 0) throw new InvalidDataException($"'{name}': tensor '{key}' has a negative size, stride or offset.");
        long count = 1, last = t.Offset;
        foreach (var (size, stride) in t.Size.Zip(t.Stride))
        {
            count = size == 0 || count == 0 ? 0 : count <= int.MaxValue / size ? count * size : throw new InvalidDataException($"'{name}': tensor '{key}' of size [{string.Join(", ", t.Size)}] has too many elements.");
            if (size > 0) last = checked(last + (size - 1) * stride);
        }
        // The storage holds the elements its persistent id names (a legacy view: a window of them).
        byte[] bytes = blob(s);
        long held = bytes.Length / es;
        if (s.Offset + s.Numel > held)
            throw new InvalidDataException($"'{name}': storage '{s.Key}' holds {held} elements; its tensors were saved with {s.Offset + s.Numel}.");
        if (count > 0 && last >= s.Numel)
            throw new InvalidDataException($"'{name}': tensor '{key}' (size [{string.Join(", ", t.Size)}], stride [{string.Join(", ", t.Stride)}], offset {t.Offset}) reaches element {last} of storage '{s.Key}', which has {s.Numel}.");
        long baseOffset = s.Offset;
        bool rowMajor = true;
        for (long d = t.Size.Length - 1, expect = 1; d >= 0; expect *= t.Size[d], d--)
            if (t.Size[d] != 1 && t.Stride[d] != expect) rowMajor = false;
        // A row-major tensor is a window of its storage's bytes, shared rather than copied.
        ReadOnlyMemory<byte> data = rowMajor ? new ReadOnlyMemory<byte>(bytes, (int)((baseOffset + t.Offset) * es), (int)(count * es)) : Gather(t, bytes, baseOffset, count, es);
        try
        {
            return new SafeTensorEntry(key, s.Type.DType, t.Size, data);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{name}': tensor '{key}': {e.Message}", e);
        }
    }

    // The elements of a strided tensor, copied in row-major order.
    private static byte[] Gather(Tensor t, byte[] bytes, long baseOffset, long count, int es)
    {
        var data = new byte[count * es];
        if (count > 0)
        {
            int rank = t.Size.Length;
            var index = new long[rank];
            for (long i = 0; i < count; i++)
            {
                long at = baseOffset + t.Offset;
                for (int d = 0; d < rank; d++) at += index[d] * t.Stride[d];
                Buffer.BlockCopy(bytes, (int)(at * es), data, (int)(i * es), es);
                for (int d = rank - 1; d >= 0; d--)
                {
                    if (++index[d] < t.Size[d]) break;
                    index[d] = 0;
                }
            }
        }
        return data;
    }
}
