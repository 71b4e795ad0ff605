using Striate.Models;
using Striate.Tensors;
using Xunit.Abstractions;
using ST = Striate.Tensors.Tensor;

namespace Striate.Oracle.Tests.Models;

/// <summary>GoogLeNet's inception3a block in torchvision's form against the same block written in TorchSharp.</summary>
public class InceptionOracleTests(ITestOutputHelper output)
{
    [Fact]
    public void Inception3aKeysFollowTorchvisionAndEvaluationMatchesTorch()
    {
        var gen = new Generator(3);
        var ours = new Inception(192, 64, 96, 128, 16, 32, 32, batchNorm: true, branch3Kernel: 3, generator: gen);
        ModelOracle.Perturb(ours, gen);
        ModelOracle.TrainSteps(ours, gen, 2, 2, 192, 7, 9);
        using var theirs = new TorchInception(192, 64, 96, 128, 16, 32, 32);

        ModelOracle.CopyState(ours, theirs);
        // A 7x9 map, not square, with negative inputs, so the pooling branch's padding matters at the borders (ceil
        // mode changes no size at stride 1).
        var (worst, scale) = ModelOracle.CompareEval(ours, theirs, ST.Normal(gen, 0f, 1f, 2, 192, 7, 9), 1e-4, "inception3a output");
        output.WriteLine($"inception3a largest relative error {worst:G3}, largest |output| {scale:G3}");
    }
}
