using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Striate.Embeddings;
using Striate.Models;
using Striate.Ops;
using Striate.Runs;
using Striate.Tensors;
using Striate.Tests.Support;
using Striate.Training;

namespace Striate.Tests.Runs;

/// <summary>
/// The embedding-training options: a projection head the loss is taken on (the embedding read before it),
/// batch-all warm-up epochs before another mining strategy, and the instance term.
/// </summary>
public class EmbeddingTrainingOptionTests
{
    private static Tensor Images(int n, ulong seed) => Tensor.Uniform(new Generator(seed), -1f, 1f, n, 1, 28, 28);

    [Fact]
    public void AProjectionHeadIsTrainedThroughButTheEmbeddingIsReadBeforeIt()
    {
        var spec = new ModelSpec("lenet5", 7, 1, 28, 28, EmbeddingDim: 12, L2Normalize: true, ProjectionDim: 20);
        var net = (EmbeddingNet)ModelZoo.Create(spec, new Generator(6));
        Assert.NotNull(net.Projection);
        var x = Images(3, 7);
        var e = net.Forward(x);
        var z = net.Project(x);
        Assert.Equal(new Shape(3, 12), e.Shape);
        Assert.Equal(new Shape(3, 20), z.Shape);

        // Project = normalise(W2 relu(W1 h + b1) + b2) with h the raw backbone output, in float64.
        var h = net.Backbone.Forward(x).ToArray();
        var lin1 = (Striate.Nn.Linear)((Striate.Nn.Sequential)net.Projection!)[0];
        var lin2 = (Striate.Nn.Linear)((Striate.Nn.Sequential)net.Projection)[2];
        var expected = new double[3 * 20];
        for (int i = 0; i < 3; i++)
        {
            var hidden = new double[20];
            for (int j = 0; j < 20; j++)
            {
                double s = lin1.Bias!.Data[j];
                for (int k = 0; k < 12; k++) s += lin1.Weight.Data[j * 12 + k] * (double)h[i * 12 + k];
                hidden[j] = Math.Max(0, s);
            }
            double norm = 0;
            for (int j = 0; j < 20; j++)
            {
                double s = lin2.Bias!.Data[j];
                for (int k = 0; k < 20; k++) s += lin2.Weight.Data[j * 20 + k] * hidden[k];
                expected[i * 20 + j] = s;
                norm += s * s;
            }
            for (int j = 0; j < 20; j++) expected[i * 20 + j] /= Math.Sqrt(norm);
        }
        Check.Close(expected, z.Data, 1e-4, 1e-5, "projection head output");

        // A loss on the projection reaches the backbone and the head; the embedding itself is the backbone's.
        net.ZeroGrad(setToNull: true);
        F.TripletLoss(net.Project(Images(8, 8)), [0, 0, 1, 1, 2, 2, 3, 3], 0.2f, TripletMining.BatchAll).Backward();
        Assert.True(TensorPrimitives.Norm(lin1.Weight.Grad!.Data) > 0);
        Assert.True(TensorPrimitives.Norm(((LeNet5)net.Backbone).Conv1.Weight.Grad!.Data) > 0);

        string path = Path.Combine(Repo.TempDir(), "proj.safetensors");
        new Checkpoint { Spec = spec, Model = net, Mean = [0.5f], Std = [0.25f] }.Save(path);
        var loaded = Checkpoint.Load(path);
        Assert.Equal(spec, loaded.Spec);
        Check.Equal(net.Project(x).ToArray(), ((EmbeddingNet)loaded.Model).Project(x).Data, "projection after reload");
        Assert.Throws<InvalidDataException>(() => ModelSpec.FromJson("{\"architecture\":\"lenet5\",\"num_classes\":7,\"in_channels\":1,\"input_height\":28,\"input_width\":28,\"projection_dim\":5}", "test"));
    }

    [Fact]
    public void WithoutAHeadTheLossSeesTheEmbedding()
    {
        var net = EmbeddingNet.Create("lenet5", 8, normalize: true, 1, 28, 28, new Generator(3));
        Assert.Null(net.Projection);
        var x = Images(2, 4);
        Check.Equal(net.Forward(x).ToArray(), net.Project(x).Data, "Project without a head");
    }

    private static EmbeddingOptions Small => new() { Classes = [0, 1, 2, 3, 4, 5, 6], EmbeddingDim = 16, Epochs = 2, TrainLimit = 700, Seed = 4, ValidationPairs = 200, Lr = 1e-3f };

    [Fact]
    public void BatchHardAfterABatchAllWarmUpChangesOnlyTheLaterEpochs()
    {
        var warm = new EmbeddingRun(Small with { Mining = TripletMining.BatchHard, WarmupEpochs = 1 }, Repo.Train).Run();
        var all = new EmbeddingRun(Small with { Mining = TripletMining.BatchAll }, Repo.Train).Run();
        var hard = new EmbeddingRun(Small with { Mining = TripletMining.BatchHard }, Repo.Train).Run();
        // Epoch 1 of the warm-up run is batch-all, bit for bit; epoch 2 is batch-hard, whose loss differs.
        Assert.Equal(all[0].TrainLoss, warm[0].TrainLoss);
        Assert.NotEqual(hard[0].TrainLoss, warm[0].TrainLoss);
        Assert.NotEqual(all[1].TrainLoss, warm[1].TrainLoss);
        Assert.Equal("WarmupEpochs", Assert.Throws<SettingException>(() => new EmbeddingRun(Small with { WarmupEpochs = -1 }, Repo.Train)).Setting);
    }

    [Fact]
    public void TheInstanceTermAddsToTheLossAndIsChecked()
    {
        var plain = new EmbeddingRun(Small with { Epochs = 1 }, Repo.Train).Run();
        var with = new EmbeddingRun(Small with { Epochs = 1, InstanceWeight = 1f }, Repo.Train).Run();
        // The instance triplets are far from satisfied at first, so the term adds clearly to the loss.
        Assert.True(with[0].TrainLoss > plain[0].TrainLoss + 0.05, $"loss with the instance term {with[0].TrainLoss:F4}, without {plain[0].TrainLoss:F4}");
        Assert.True(with[0].ValidationAuc > 0.7, $"validation AUC with the instance term {with[0].ValidationAuc:F4}");
        Assert.Equal("InstanceWeight", Assert.Throws<SettingException>(() => new EmbeddingRun(Small with { InstanceWeight = -1f }, Repo.Train)).Setting);
        Assert.Throws<ArgumentException>(() => new EmbeddingRun(Small with { InstanceWeight = 1f, InstanceAugment = "none" }, Repo.Train));
        Assert.Throws<ArgumentException>(() => new EmbeddingRun(Small with { InstanceWeight = 1f, Task = "contrastive" }, Repo.Train));
    }
    [Fact]
    public void WeightDecayShrinksTheWeightsAndIsSavedWithTheModel()
    {
        static double SquaredNorm(EmbeddingRun run) => run.Final.Parameters().Sum(p => (double)TensorPrimitives.Dot(p.Data, p.Data));
        var options = Small with { Epochs = 1, InstanceWeight = 0.5f, InstanceMargin = 0.4f };
        var plain = new EmbeddingRun(options, Repo.Train);
        plain.Run();
        var decayed = new EmbeddingRun(options with { WeightDecay = 0.05f }, Repo.Train);
        decayed.Run();
        double a = SquaredNorm(plain), b = SquaredNorm(decayed);
        Assert.True(b < 0.9 * a, $"squared weight norm {b:F3} with weight decay 0.05, {a:F3} without");

        string path = Path.Combine(Repo.TempDir(), "decayed.safetensors");
        decayed.Save(path, 1);
        var loaded = Checkpoint.Load(path);
        Assert.Equal(0.05f, loaded.Optimizer!.WeightDecay);
        Assert.Equal("0.5", loaded.Extra["instance_weight"]);
        Assert.Equal("0.4", loaded.Extra["instance_margin"]);
        Assert.Throws<ArgumentException>(() => new EmbeddingRun(Small with { WeightDecay = -1f }, Repo.Train));
    }
    [Fact]
    public void APlateauScheduleWatchesTheValidationAuc()
    {
        // A rate too small to move the weights: the validation AUC cannot improve for long, so with patience 0
        // the rate is halved after such an epoch, and the halvings are saved.
        var run = new EmbeddingRun(Small with { Epochs = 4, Lr = 1e-6f, Schedule = Striate.Optim.ScheduleSpec.Parse("plateau:0.5:0") }, Repo.Train);
        var records = run.Run();
        Assert.True(run.Optimizer.Lr < 1e-6f * 0.75f, $"final rate {run.Optimizer.Lr}; AUCs {string.Join(", ", records.Select(r => r.ValidationAuc))}");
        string path = Path.Combine(Repo.TempDir(), "plateau.safetensors");
        run.Save(path, 4);
        string state = Checkpoint.Load(path).Extra["plateau_state"];
        double scale = double.Parse(state.Split(';')[3], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(scale, 0.01, 0.75); // the last epoch may halve it once more after its batches
    }

    [Fact]
    public void GivenNormalisationStatisticsReplaceTheSubsets()
    {
        var own = new EmbeddingRun(Small, Repo.Train);
        var given = new EmbeddingRun(Small with { Normalization = ([0.5f], [0.25f]) }, Repo.Train);
        Assert.NotEqual(0.5f, own.Mean[0]);
        Assert.Equal([0.5f], given.Mean);
        Assert.Equal([0.25f], given.Std);
        // The training images are normalised with them: (x - 0.5) / 0.25 of a raw pixel in [0, 1] lies in [-2, 2].
        var first = given.TrainSet.Image(0).ToArray();
        Assert.InRange(first.Min(), -2.0001f, 2.0001f);
        Assert.Contains(first, v => v < -1.9f);
        Assert.Contains("2 means", Assert.Throws<ArgumentException>(() => new EmbeddingRun(Small with { Normalization = ([0.5f, 0.5f], [1f, 1f]) }, Repo.Train)).Message);
    }

    [Theory]
    [InlineData("triplet", -0.1f, 200, 64, "margin must be >= 0")]
    [InlineData("contrastive", 0f, 200, 64, "margin must be > 0")]
    [InlineData("triplet", 0.2f, 1, 64, "the validation pairs must be >= 2")]
    [InlineData("triplet", 0.2f, 200, 640, "fewer than one batch of 640")]
    public void SettingsThatCannotTrainAreRefusedAtOnce(string task, float margin, int pairs, int batch, string expected)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new EmbeddingRun(Small with { Task = task, Margin = margin, ValidationPairs = pairs, BatchSize = batch }, Repo.Train));
        Assert.Contains(expected, e.Message);
    }
}
