using Striate.Tensors;

namespace Striate.Nn;

/// <summary>
/// A classifier with auxiliary heads that take part in training (GoogLeNet's two side classifiers): the
/// training loss is the main head's loss plus <see cref="AuxiliaryWeight"/> times each auxiliary head's.
/// </summary>
public interface IAuxiliaryClassifiers
{
    /// <summary>The weight of each auxiliary loss (0.3 in GoogLeNet).</summary>
    float AuxiliaryWeight { get; }

    /// <summary>The main logits first, then the auxiliary logits (none outside training mode).</summary>
    IReadOnlyList<Tensor> ForwardAll(Tensor input);
}
