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

    /// <summary>Reads every tensor of a safetensors file as float32, by key, in the file's order.</summary>
    /// <exception cref="InvalidDataException">The file is not safetensors, or a tensor is neither F32 nor I64 or has an unusable shape.</exception>
    public static IReadOnlyList<KeyValuePair<string, Tensor>> Read(string path) => Read(SafeTensors.Read(path), $"'{path}'");

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
    /// <exception cref="InvalidDataException">The entry is neither F32 nor I64, or its shape cannot be a tensor's.</exception>
    public static Tensor ToTensor(SafeTensorEntry e, string source)
    {
        ArgumentNullException.ThrowIfNull(e);
        var shape = e.Shape.Select(d => d > int.MaxValue ? throw new InvalidDataException($"{source}: tensor '{e.Name}' is too large.") : (int)d).ToArray();
        float[] values = e.DType switch
        {
            SafeTensorDType.Float32 => e.ToFloat32Array(),
            SafeTensorDType.Int64 => e.ToInt64Array().Select(v => (float)v).ToArray(),
            _ => throw new InvalidDataException($"{source}: tensor '{e.Name}' has dtype {e.DType}; expected F32 (or I64 for counters)."),
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
