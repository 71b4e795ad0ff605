namespace Striate.Embeddings;

/// <summary>How <see cref="Verification.ChooseThreshold"/> picks the decision threshold tau on validation pairs.</summary>
public enum ThresholdCriterion
{
    /// <summary>The tau with the highest accuracy of "distance &lt;= tau means same".</summary>
    BestAccuracy,

    /// <summary>The tau where the false-accept and false-reject rates are closest (the equal error rate).</summary>
    EqualErrorRate,
}
