namespace Striate.Backends;

/// <summary>
/// A slot for a form of one convolution's weights that a backend derives before it multiplies, kept by the weights'
/// owner between calls so it is derived once rather than on every call. What the form is belongs to the backend (the
/// CPU backend keeps the Winograd transform of 3x3 weights); the owner sees only its size. The backend fills the slot
/// on first use and trusts it afterwards: the owner calls <see cref="Clear"/> when the weights change
/// (<see cref="Nn.InferenceSession"/> does).
/// </summary>
public sealed class ConvWeightCache
{
    private DerivedWeights? _form;

    /// <summary>Bytes held by the derived form.</summary>
    public long Bytes => Volatile.Read(ref _form)?.Bytes ?? 0;

    /// <summary>Drops the derived form; the next call derives it again.</summary>
    public void Clear() => Volatile.Write(ref _form, null);

    /// <summary>The form kept, when it is a <typeparamref name="T"/> (a backend reads back its own type), else null.</summary>
    public T? Get<T>() where T : DerivedWeights => Volatile.Read(ref _form) as T;

    /// <summary>Keeps <paramref name="form"/>, written whole: a reader on another thread sees the old form or the new one.</summary>
    public void Set(DerivedWeights form) => Volatile.Write(ref _form, form ?? throw new ArgumentNullException(nameof(form)));
}
