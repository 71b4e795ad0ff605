using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>Batch normalisation of [N, C] or [N, C, L] inputs.</summary>
public sealed class BatchNorm1d : BatchNorm
{
    public BatchNorm1d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
        : base(numFeatures, eps, momentum, affine, trackRunningStats)
    {
    }

    protected override bool AcceptsRank(int rank) => rank is 2 or 3;

    protected override string ExpectedInput => "a 2-D [N, C] or 3-D [N, C, L] input";
}
