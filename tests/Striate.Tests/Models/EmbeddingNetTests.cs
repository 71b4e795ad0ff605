using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Striate.Embeddings;
using Striate.Models;
using Striate.Ops;
using Striate.Tensors;
using Striate.Tests.Support;
using Striate.Training;

namespace Striate.Tests.Models;

public class EmbeddingNetTests
{
    private static Tensor Images(int n, ulong seed) => Tensor.Uniform(new Generator(seed), -1f, 1f, n, 1, 28, 28);

    [Theory]
    [InlineData("lenet5", 16)]
    [InlineData("resnet8-small", 8)]
    public void AnyBackboneGivesNormalisedEmbeddingsOfTheChosenSize(string arch, int dim)
    {
        var net = EmbeddingNet.Create(arch, dim, normalize: true, 1, 28, 28, new Generator(1));
        var e = net.Forward(Images(3, 2));
        Assert.Equal(new Shape(3, dim), e.Shape);
        for (int i = 0; i < 3; i++)
            Assert.InRange(TensorPrimitives.Norm(e.Data.Slice(i * dim, dim)), 0.99999f, 1.00001f);
        var raw = EmbeddingNet.Create(arch, dim, normalize: false, 1, 28, 28, new Generator(1)).Forward(Images(3, 2));
        var norms = Enumerable.Range(0, 3).Select(i => TensorPrimitives.Norm(raw.ToArray().AsSpan(i * dim, dim))).ToList();
        Assert.Contains(norms, v => MathF.Abs(v - 1) > 0.01f);
    }

    [Fact]
    public void ASiamesePairSharesWeightsAndSumsTheGradientsOfBothBranches()
    {
        var net = EmbeddingNet.Create("lenet5", 8, normalize: true, 1, 28, 28, new Generator(3));
        Tensor x1 = Images(2, 4), x2 = Images(2, 5);
        float[] Grad(Func<Tensor> loss)
        {
            net.ZeroGrad(setToNull: true);
            loss().Backward();
            return ((LeNet5)net.Backbone).Conv1.Weight.Grad!.ToArray();
        }
        var g1 = Grad(() => F.Sum(F.Mul(net.Forward(x1), Tensor.Full(new Shape(2, 8), 0.3f))));
        var g2 = Grad(() => F.Sum(F.Mul(net.Forward(x2), Tensor.Full(new Shape(2, 8), -0.7f))));
        var both = Grad(() => F.Add(F.Sum(F.Mul(net.Forward(x1), Tensor.Full(new Shape(2, 8), 0.3f))), F.Sum(F.Mul(net.Forward(x2), Tensor.Full(new Shape(2, 8), -0.7f)))));
        Check.Close(g1.Zip(g2, (a, b) => (double)a + b).ToArray(), both, 1e-4, 1e-6, "conv1 gradient of the pair");
        // The contrastive loss of the pair reaches the shared weights through both branches.
        net.ZeroGrad(setToNull: true);
        F.ContrastiveLoss(net.Forward(x1), net.Forward(x2), [true, false], 1f).Backward();
        Assert.True(TensorPrimitives.Norm(((LeNet5)net.Backbone).Conv1.Weight.Grad!.Data) > 0);
    }

    [Fact]
    public void AnEmbeddingCheckpointRebuildsTheSameModel()
    {
        var spec = new ModelSpec("lenet5", 7, 1, 28, 28, EmbeddingDim: 12, L2Normalize: true);
        var net = (EmbeddingNet)ModelZoo.Create(spec, new Generator(6));
        string path = Path.Combine(Repo.TempDir(), "emb.safetensors");
        new Checkpoint { Spec = spec, Model = net, Mean = [0.5f], Std = [0.25f] }.Save(path);
        var loaded = Checkpoint.Load(path);
        Assert.Equal(spec, loaded.Spec);
        var x = Images(2, 7);
        Check.Equal(net.Embed(x).SelectMany(r => r).ToArray(), ((EmbeddingNet)loaded.Model).Embed(x).SelectMany(r => r).ToArray(), "embeddings after reload");
        // A classifier spec is written as before, without the embedding fields.
        Assert.DoesNotContain("embedding_dim", new ModelSpec("lenet5", 10, 1, 28, 28).ToJson());
        Assert.Equal(new ModelSpec("lenet5", 10, 1, 28, 28), ModelSpec.FromJson("{\"architecture\":\"lenet5\",\"num_classes\":10,\"in_channels\":1,\"input_height\":28,\"input_width\":28}", "test"));
    }
}
