using Striate.Ops;
using Striate.Tensors;

namespace Striate.Models;

/// <summary>
/// What <see cref="GoogLeNet.ForwardWithAux"/> returns: the main logits and, in training mode with the auxiliary
/// classifiers present, their logits too (after inception 4a and 4d); otherwise those are null.
/// </summary>
public sealed record GoogLeNetOutputs(Tensor Logits, Tensor? Aux1, Tensor? Aux2)
{
    /// <summary>
    /// The paper's training loss: the main cross-entropy plus <paramref name="auxWeight"/> (0.3 in the paper) times
    /// each auxiliary classifier's cross-entropy.
    /// </summary>
    public Tensor Loss(ReadOnlySpan<int> targets, float auxWeight = 0.3f)
    {
        var loss = F.CrossEntropy(Logits, targets);
        if (Aux1 is not null) loss = F.Add(loss, F.MulScalar(F.CrossEntropy(Aux1, targets), auxWeight));
        if (Aux2 is not null) loss = F.Add(loss, F.MulScalar(F.CrossEntropy(Aux2, targets), auxWeight));
        return loss;
    }
}
