using Striate.Nn;
using TorchSharp;
using ST = Striate.Tensors.Tensor;

namespace Striate.Oracle.Tests.Ops;

/// <summary>Batch norm's running statistics and evaluation mode against torch.nn.BatchNorm2d (float64, float32 reported).</summary>
public class BatchNormOracleTests
{
    [Fact]
    public void RunningStatisticsAndEvaluationMatchTorch()
    {
        var gen = new Striate.Tensors.Generator(5);
        var ours = new BatchNorm2d(3);
        var inputs = new float[3][];
        for (int step = 0; step < 3; step++)
        {
            var x = ST.Uniform(gen, 0, 3, 4, 3, 5, 7);
            inputs[step] = x.ToArray();
            ours.Forward(x);
        }
        ours.Eval();
        var probe = ST.Uniform(gen, -1, 4, 2, 3, 4, 4);
        float[] ourOutput = ours.Forward(probe).ToArray();

        var results = new Dictionary<torch.ScalarType, (float[] Mean, float[] Var, float[] Output)>();
        foreach (var dtype in TorchInterop.Precisions)
        {
            using var scope = torch.NewDisposeScope();
            var theirs = torch.nn.BatchNorm2d(3, dtype: dtype);
            foreach (var x in inputs)
                theirs.forward(TorchInterop.ToTensor(x, [4, 3, 5, 7], dtype: dtype));
            Assert.Equal(3L, theirs.num_batches_tracked!.to_type(torch.ScalarType.Int64).item<long>());
            theirs.eval();
            var output = theirs.forward(TorchInterop.ToTensor(probe.ToArray(), [2, 3, 4, 4], dtype: dtype));
            TorchInterop.RequireDType(output, dtype, "batch norm's output");
            results[dtype] = (TorchInterop.ToArray(theirs.running_mean!), TorchInterop.ToArray(theirs.running_var!), TorchInterop.ToArray(output));
        }
        var (f64, f32) = (results[torch.ScalarType.Float64], results[torch.ScalarType.Float32]);
        Float32Report.Run.Record("BatchNorm2d running statistics and evaluation", 1e-5,
            ("running_mean", f64.Mean, f32.Mean), ("running_var", f64.Var, f32.Var), ("evaluation output", f64.Output, f32.Output));
        OracleAssert.Close(f64.Mean, ours.RunningMean!.ToArray(), 1e-5, "running_mean");
        OracleAssert.Close(f64.Var, ours.RunningVar!.ToArray(), 1e-5, "running_var (unbiased)");
        OracleAssert.Close(f64.Output, ourOutput, 1e-5, "evaluation output");
        Assert.Equal(3f, ours.NumBatchesTracked!.Data[0]);
    }
}
