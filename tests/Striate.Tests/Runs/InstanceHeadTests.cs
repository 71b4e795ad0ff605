using Striate.Embeddings;
using Striate.Models;
using Striate.Runs;
using Striate.Tensors;
using Striate.Tests.Support;

namespace Striate.Tests.Runs;

/// <summary>The instance term taken on the projection head alone, the class loss on the embedding.</summary>
public class InstanceHeadTests
{
    [Fact]
    public void OneBackbonePassGivesTheEmbeddingAndTheProjection()
    {
        var net = (EmbeddingNet)ModelZoo.Create(new ModelSpec("lenet5", 7, 1, 28, 28, EmbeddingDim: 12, L2Normalize: true, ProjectionDim: 9), new Generator(2));
        var x = Tensor.Uniform(new Generator(3), -1f, 1f, 3, 1, 28, 28);
        var (e, z) = net.ForwardWithProjection(x);
        Check.Equal(net.Forward(x).ToArray(), e.Data, "embedding");
        Check.Equal(net.Project(x).ToArray(), z.Data, "projection");
        var plain = EmbeddingNet.Create("lenet5", 12, normalize: true, 1, 28, 28, new Generator(2));
        Assert.Throws<InvalidOperationException>(() => plain.ForwardWithProjection(x));
    }

    [Fact]
    public void TheClassLossMovesToTheEmbeddingAndANetWithoutAHeadIsRefused()
    {
        var options = new EmbeddingOptions { Classes = [0, 1, 2, 3, 4, 5, 6], EmbeddingDim = 16, ProjectionDim = 16, InstanceWeight = 0.5f, Epochs = 1, TrainLimit = 400, Seed = 4, ValidationPairs = 200, Lr = 1e-3f };
        // With a negligible instance weight the split run trains the embedding by the class loss alone, as a run
        // without head or instance term does (same initial backbone, same batches); the shared-head run does not.
        var faint = new EmbeddingRun(options with { InstanceOnProjection = true, InstanceWeight = 1e-7f }, Repo.Train).Run();
        var classOnly = new EmbeddingRun(options with { ProjectionDim = 0, InstanceWeight = 0 }, Repo.Train).Run();
        var faintShared = new EmbeddingRun(options with { InstanceWeight = 1e-7f }, Repo.Train).Run();
        Assert.True(Math.Abs(faint[0].TrainLoss - classOnly[0].TrainLoss) < 1e-4, $"class loss on the embedding {faint[0].TrainLoss:F6}, without a head {classOnly[0].TrainLoss:F6}");
        Assert.True(Math.Abs(faintShared[0].TrainLoss - classOnly[0].TrainLoss) > 1e-3, $"class loss on the head {faintShared[0].TrainLoss:F6}, without a head {classOnly[0].TrainLoss:F6}");
        var e = Assert.Throws<ArgumentException>(() => new EmbeddingRun(options with { ProjectionDim = 0, InstanceOnProjection = true }, Repo.Train));
        Assert.Contains("projection head", e.Message);
    }
}
