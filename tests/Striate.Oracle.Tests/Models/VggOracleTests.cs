using Striate.Models;
using Striate.Tensors;
using Xunit.Abstractions;
using ST = Striate.Tensors.Tensor;

namespace Striate.Oracle.Tests.Models;

/// <summary>VGG-11 (with and without batch norm) against the same network written in TorchSharp with torchvision's numbering.</summary>
public class VggOracleTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Vgg11KeysFollowTorchvisionAndEvaluationMatchesTorch(bool batchNorm)
    {
        var gen = new Generator(11);
        var ours = Vgg.Vgg11(numClasses: 10, batchNorm: batchNorm, generator: gen);
        ModelOracle.Perturb(ours, gen);
        if (batchNorm) ModelOracle.TrainSteps(ours, gen, 2, 4, 3, 32, 32);
        // PyTorch's default initialisation of the three fully connected layers leaves logits near 0.05; scaled up,
        // they reach magnitude 1, where the tolerance is relative rather than absolute.
        foreach (var (key, tensor) in ours.StateDict())
        {
            if (!key.StartsWith("classifier.6.", StringComparison.Ordinal)) continue;
            var data = tensor.Data;
            for (int i = 0; i < data.Length; i++) data[i] *= 20f;
        }
        using var theirs = new TorchVgg11(10, batchNorm);

        ModelOracle.CopyState(ours, theirs);
        // At 32x32 the features end at 1x1, which the adaptive pooling repeats to 7x7.
        var (worst, scale) = ModelOracle.CompareEval(ours, theirs, ST.Normal(gen, 0f, 1f, 2, 3, 32, 32), 1e-4, "VGG-11 logits");
        output.WriteLine($"VGG-11 (batch norm {batchNorm}) largest relative error {worst:G3}, largest |logit| {scale:G3}");
    }
}
