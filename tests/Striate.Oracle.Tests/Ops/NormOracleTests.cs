using Striate.Ops;
using TF = TorchSharp.torch.nn.functional;

namespace Striate.Oracle.Tests.Ops;

/// <summary>
/// BatchNorm (training: batch statistics, and the running mean and unbiased running variance moved by the
/// momentum; evaluation: the running statistics) and LocalResponseNorm against torch.nn.functional.
/// </summary>
public class NormOracleTests
{
    // Inputs: x [N, C, ...], running_mean [C], running_var [C], then weight [C] and bias [C] when affine.
    // The running statistics get no gradient and are compared after the call; with running false neither
    // library is given them (training then only normalises).
    private static OpOracle BatchNorm(string name, int[] x, bool training, bool affine = true, bool running = true,
        float momentum = 0.1f, float eps = 1e-5f)
    {
        int[] c = [x[1]];
        return OpOracle.Case(name, affine ? [x, c, c, c, c] : [x, c, c],
            t => F.BatchNorm(t[0], running ? t[1] : null, running ? t[2] : null, affine ? t[3] : null, affine ? t[4] : null,
                training, momentum, eps),
            t => TF.batch_norm(t[0], running ? t[1] : null, running ? t[2] : null, affine ? t[3] : null, affine ? t[4] : null,
                training, momentum, eps))
            .In(0, -1f, 3f).In(1, -0.5f, 0.5f).In(2, 0.5f, 1.5f) with { NoGrad = [1, 2], Mutated = [1, 2] };
    }

    private static OpOracle Lrn(string name, int[] x, int size, float alpha, float beta, float k) =>
        OpOracle.Case(name, [x],
            t => F.LocalResponseNorm(t[0], size, alpha, beta, k),
            t => TF.local_response_norm(t[0], size, alpha, beta, k)) with { Range = (-2, 2) };

    internal static readonly OpOracle[] Table =
    [
        BatchNorm("batch_norm train 4x5x7x9", [4, 5, 7, 9], training: true),
        BatchNorm("batch_norm train batch 1 3x29x31", [1, 3, 29, 31], training: true),
        BatchNorm("batch_norm train 2-D 8x7", [8, 7], training: true),
        BatchNorm("batch_norm train 3-D 3x6x11", [3, 6, 11], training: true),
        BatchNorm("batch_norm train no affine", [2, 5, 7, 9], training: true, affine: false),
        BatchNorm("batch_norm train momentum 0.3 eps 1e-3", [3, 13, 7, 9], training: true, momentum: 0.3f, eps: 1e-3f),
        BatchNorm("batch_norm train without running stats", [2, 5, 7, 9], training: true, running: false),
        BatchNorm("batch_norm train 2-D batch 2", [2, 7], training: true),
        BatchNorm("batch_norm train inputs offset by 50", [3, 5, 7, 9], training: true).In(0, 49f, 51f),
        BatchNorm("batch_norm eval 4x5x7x9", [4, 5, 7, 9], training: false),
        BatchNorm("batch_norm eval 2-D 8x7 no affine", [8, 7], training: false, affine: false),
        BatchNorm("batch_norm eval batch 1 eps 1e-3", [1, 13, 7, 9], training: false, eps: 1e-3f),

        Lrn("lrn size 5 AlexNet constants", [2, 7, 9, 11], 5, 1e-4f, 0.75f, 2f),
        Lrn("lrn size 5 alpha 0.5", [2, 7, 9, 11], 5, 0.5f, 0.75f, 1f),
        Lrn("lrn even size 4", [2, 6, 7, 9], 4, 0.3f, 0.5f, 1f),
        Lrn("lrn even size 2 k 1.5", [1, 5, 7, 9], 2, 1f, 0.75f, 1.5f),
        Lrn("lrn size 3 rank-3 input", [2, 7, 11], 3, 0.6f, 0.75f, 1f),
        Lrn("lrn size 9 wider than 5 channels", [2, 5, 4, 3], 9, 0.8f, 0.6f, 1f),
        Lrn("lrn size 1", [2, 3, 5, 5], 1, 0.5f, 0.75f, 1f),
    ];

    public static TheoryData<string> Cases => OpOracle.Names(Table);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesLibTorch(string name) => OpOracle.Check(Table, name);
}
