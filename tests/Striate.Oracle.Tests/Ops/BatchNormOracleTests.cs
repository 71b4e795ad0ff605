using Striate.Nn;
using TorchSharp;
using ST = Striate.Tensors.Tensor;

namespace Striate.Oracle.Tests.Ops;

/// <summary>Batch norm's running statistics and evaluation mode against torch.nn.BatchNorm2d.</summary>
public class BatchNormOracleTests
{
    [Fact]
    public void RunningStatisticsAndEvaluationMatchTorch()
    {
        using var scope = torch.NewDisposeScope();
        var gen = new Striate.Tensors.Generator(5);
        var ours = new BatchNorm2d(3);
        var theirs = torch.nn.BatchNorm2d(3);
        for (int step = 0; step < 3; step++)
        {
            var x = ST.Uniform(gen, 0, 3, 4, 3, 5, 7);
            ours.Forward(x);
            theirs.forward(TorchInterop.ToTensor(x.ToArray(), [4, 3, 5, 7]));
        }
        OracleAssert.Close(TorchInterop.ToArray(theirs.running_mean!), ours.RunningMean!.ToArray(), 1e-5, "running_mean");
        OracleAssert.Close(TorchInterop.ToArray(theirs.running_var!), ours.RunningVar!.ToArray(), 1e-5, "running_var (unbiased)");
        Assert.Equal(3L, theirs.num_batches_tracked!.item<long>());
        Assert.Equal(3f, ours.NumBatchesTracked!.Data[0]);

        ours.Eval();
        theirs.eval();
        var probe = ST.Uniform(gen, -1, 4, 2, 3, 4, 4);
        OracleAssert.Close(TorchInterop.ToArray(theirs.forward(TorchInterop.ToTensor(probe.ToArray(), [2, 3, 4, 4]))), ours.Forward(probe).ToArray(), 1e-5, "evaluation output");
    }

    [Fact]
    public void TheOracleCheckFailsOnAMismatch()
    {
        var wrong = new OracleCase("relu against leaky_relu", [[3, 4]], t => global::Striate.Ops.F.Relu(t[0]), t => torch.nn.functional.leaky_relu(t[0], 0.2));
        Assert.ThrowsAny<Exception>(() => wrong.Verify());
    }
}
