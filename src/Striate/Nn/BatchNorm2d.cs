using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>Batch normalisation of [N, C, H, W] inputs, per channel.</summary>
public sealed class BatchNorm2d : BatchNorm
{
    public BatchNorm2d(int numFeatures, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
        : base(numFeatures, eps, momentum, affine, trackRunningStats)
    {
    }

    protected override bool AcceptsRank(int rank) => rank == 4;

    protected override string ExpectedInput => "a 4-D input [N, C, H, W]";
}
