namespace Striate.Backends;

/// <summary>A backend's own form of a convolution's weights, kept in a <see cref="ConvWeightCache"/>.</summary>
public abstract class DerivedWeights
{
    /// <summary>Bytes the form holds.</summary>
    public abstract long Bytes { get; }
}
