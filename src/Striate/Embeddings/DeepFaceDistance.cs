namespace Striate.Embeddings;

/// <summary>The per-dimension comparison of a <see cref="DeepFaceSimilarity"/> head.</summary>
public enum DeepFaceDistance
{
    /// <summary>|a_i - b_i|.</summary>
    WeightedL1,

    /// <summary>(a_i - b_i)^2 / (a_i + b_i), for non-negative embeddings.</summary>
    ChiSquared,
}
