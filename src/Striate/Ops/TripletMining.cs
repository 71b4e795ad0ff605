namespace Striate.Ops;

/// <summary>
/// How <see cref="F.TripletLoss(Tensors.Tensor, ReadOnlySpan{int}, float, TripletMining)"/> picks triplets from a
/// batch of embeddings and labels (online mining, FaceNet: "choose triplets that are hard to train on").
/// </summary>
public enum TripletMining
{
    /// <summary>Every valid (anchor, positive, negative); the loss is the mean over the triplets with a positive loss.</summary>
    BatchAll,

    /// <summary>For each anchor, its farthest positive and nearest negative (Hermans, Beyer and Leibe, 2017).</summary>
    BatchHard,

    /// <summary>
    /// For each (anchor, positive) pair, the nearest negative farther than the positive (Schroff et al., 2015);
    /// where none is, the farthest negative.
    /// </summary>
    SemiHard,
}
