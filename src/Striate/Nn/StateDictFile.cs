using Striate.Serialization;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>
/// A state dict as safetensors: float32 tensors under their state-dict keys (a batch norm's num_batches_tracked as
/// int64, as PyTorch keeps it), so the files are what <c>safetensors.torch.save_file(model.state_dict(), ...)</c>
/// writes and reads. <see cref="Module.Save"/> and <see cref="Module.Load"/> use it, and so do checkpoints.
/// </summary>
public static class StateDictFile
{
    /// <summary>Writes <paramref name="state"/> to <paramref name="path"/> atomically, with optional string metadata.</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> state, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        SafeTensors.Write(path, state.Select(kv => ToEntry(kv.Key, kv.Value)).ToList(), metadata);
    }

    /// <summary>
    /// Reads every tensor of a safetensors file, or of a PyTorch .pth file (told apart by their first bytes; see
    /// <see cref="PthFile"/>), as float32, by key, in the file's order.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is neither, or a tensor is not of a float or integer type or has an unusable shape.</exception>
    public static IReadOnlyList<KeyValuePair<string, Tensor>> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (IsPth(path))
            return PthFile.Read(path).Tensors.Select(e => new KeyValuePair<string, Tensor>(e.Name, ToTensor(e, $"'{path}'"))).ToList();
        return Read(SafeTensors.Read(path), $"'{path}'");
    }

    /// <summary>Whether the file at <paramref name="path"/> is a PyTorch file (a zip archive, or a pickle) rather than safetensors.</summary>
    public static bool IsPth(string path)
    {
        if (!File.Exists(path)) return false;
        Span<byte> head = stackalloc byte[4];
        using var f = File.OpenRead(path);
        int n = f.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        return (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) || (n >= 2 && head[0] == 0x80 && head[1] is >= 2 and <= 5);
    }

    /// <summary>The tensors of read safetensors content as float32, by key; <paramref name="source"/> begins each error.</summary>
    /// <exception cref="InvalidDataException">A tensor is neither F32 nor I64, or has an unusable shape.</exception>
    public static IReadOnlyList<KeyValuePair<string, Tensor>> Read(SafeTensorsContent content, string source)
    {
        ArgumentNullException.ThrowIfNull(content);
        return content.Tensors.Select(e => new KeyValuePair<string, Tensor>(e.Name, ToTensor(e, source))).ToList();
    }

    /// <summary>One tensor as a safetensors entry: float32, or int64 for a batch norm's counter.</summary>
    public static SafeTensorEntry ToEntry(string key, Tensor t)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(t);
        return key.EndsWith("num_batches_tracked", StringComparison.Ordinal)
            ? SafeTensorEntry.FromInt64(key, Dims(t), t.ToArray().Select(v => (long)v).ToArray())
            : SafeTensorEntry.FromFloat32(key, Dims(t), t.Data);
    }

    /// <summary>A tensor's shape as safetensors writes it.</summary>
    public static long[] Dims(Tensor t) => t.Shape.Dims.ToArray().Select(d => (long)d).ToArray();

    /// <summary>One safetensors entry as a float32 tensor; <paramref name="source"/> (the file) begins each error.</summary>
    /// <exception cref="InvalidDataException">The entry is not of a float or integer type, or its shape cannot be a tensor's.</exception>
    public static Tensor ToTensor(SafeTensorEntry e, string source)
    {
        ArgumentNullException.ThrowIfNull(e);
        var shape = e.Shape.Select(d => d > int.MaxValue ? throw new InvalidDataException($"{source}: tensor '{e.Name}' is too large.") : (int)d).ToArray();
        // Other libraries' files: half, bfloat16 and double tensors load converted to float32, integer buffers as values.
        float[] values = e.DType switch
        {
            SafeTensorDType.Float32 => e.ToFloat32Array(),
            SafeTensorDType.Float16 or SafeTensorDType.BFloat16 or SafeTensorDType.Float64 or SafeTensorDType.Int64 or SafeTensorDType.Int32
                or SafeTensorDType.Int16 or SafeTensorDType.Int8 or SafeTensorDType.UInt8 or SafeTensorDType.Bool => e.ToFloat32Converted(),
            _ => throw new InvalidDataException($"{source}: tensor '{e.Name}' has dtype {SafeTensors.DTypeCode(e.DType)}; expected a float (F16, BF16, F32, F64) or integer tensor."),
        };
        try
        {
            return Tensor.Wrap(values, shape);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"{source}: tensor '{e.Name}' has an unusable shape [{string.Join(", ", e.Shape)}] ({ex.Message}).");
        }
    }
}
