using Striate.Models;
using Striate.Tensors;
using Xunit.Abstractions;
using ST = Striate.Tensors.Tensor;

namespace Striate.Oracle.Tests.Models;

/// <summary>ResNet-18 against the same network written in TorchSharp with torchvision's module names.</summary>
public class ResNetOracleTests(ITestOutputHelper output)
{
    [Fact]
    public void ResNet18KeysFollowTorchvisionAndEvaluationMatchesTorch()
    {
        var gen = new Generator(18);
        var ours = ResNet.ResNet18(numClasses: 10, generator: gen);
        ModelOracle.Perturb(ours, gen);
        ModelOracle.TrainSteps(ours, gen, 2, 2, 3, 64, 64);
        using var theirs = new TorchResNet18(10);

        ModelOracle.CopyState(ours, theirs);
        var (worst, scale) = ModelOracle.CompareEval(ours, theirs, ST.Normal(gen, 0f, 1f, 2, 3, 64, 64), 1e-4, "ResNet-18 logits");
        output.WriteLine($"ResNet-18 largest relative error {worst:G3}, largest |logit| {scale:G3}");
    }
}
