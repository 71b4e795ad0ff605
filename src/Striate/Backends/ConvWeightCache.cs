namespace Striate.Backends;

/// <summary>
/// Forms of one convolution's weights that a backend derives before it multiplies, kept by their owner between calls
/// so they are derived once rather than on every call. The CPU backend keeps the Winograd transform of 3x3 weights
/// (16 or 36 x out x in floats, for F(2x2, 3x3) or F(4x4, 3x3)). The backend fills the cache on first use and trusts it afterwards: the owner calls
/// <see cref="Clear"/> when the weights change (<see cref="Nn.InferenceSession"/> does).
/// </summary>
public sealed class ConvWeightCache
{
    private WinogradForm? _winograd;

    /// <summary>Bytes held by the derived forms.</summary>
    public long Bytes => (long)(_winograd?.U.Length ?? 0) * sizeof(float);

    /// <summary>Drops every derived form; the next call derives them again.</summary>
    public void Clear() => Volatile.Write(ref _winograd, null);

    // The transformed weights as `matrices` x outChannels x inChannels, or null. Written whole, so a reader on another
    // thread sees either nothing or a finished transform.
    internal float[]? Winograd(int matrices, int outChannels, int inChannels) =>
        Volatile.Read(ref _winograd) is { } f && f.Matrices == matrices && f.Out == outChannels && f.In == inChannels ? f.U : null;

    internal void StoreWinograd(int matrices, int outChannels, int inChannels, float[] u) =>
        Volatile.Write(ref _winograd, new WinogradForm(matrices, outChannels, inChannels, u));

    private sealed record WinogradForm(int Matrices, int Out, int In, float[] U);
}
