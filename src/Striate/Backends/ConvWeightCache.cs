namespace Striate.Backends;

/// <summary>
/// Forms of one convolution's weights that a backend derives before it multiplies, kept by their owner between calls
/// so they are derived once rather than on every call. The CPU backend keeps the Winograd transform of 3x3 weights
/// (16 x out x in floats). The backend fills the cache on first use and trusts it afterwards: the owner calls
/// <see cref="Clear"/> when the weights change (<see cref="Nn.InferenceSession"/> does).
/// </summary>
public sealed class ConvWeightCache
{
    private WinogradForm? _winograd;

    /// <summary>Bytes held by the derived forms.</summary>
    public long Bytes => (long)(_winograd?.U.Length ?? 0) * sizeof(float);

    /// <summary>Drops every derived form; the next call derives them again.</summary>
    public void Clear() => Volatile.Write(ref _winograd, null);

    // The transformed weights for outChannels x inChannels, or null. Written whole, so a reader on another thread sees
    // either nothing or a finished transform.
    internal float[]? Winograd(int outChannels, int inChannels) =>
        Volatile.Read(ref _winograd) is { } f && f.Out == outChannels && f.In == inChannels ? f.U : null;

    internal void StoreWinograd(int outChannels, int inChannels, float[] u) =>
        Volatile.Write(ref _winograd, new WinogradForm(outChannels, inChannels, u));

    private sealed record WinogradForm(int Out, int In, float[] U);
}
