using Striate.Data;
using Striate.Data.Transforms;
using Striate.Models;
using Striate.Optim;
using Striate.Tensors;
using Striate.Tests.Support;
using Striate.Training;

namespace Striate.Tests.Training;

/// <summary>Test-time augmentation of a LeNet-5 trained for one epoch on part of Fashion-MNIST.</summary>
public class TestTimeAugmentationTests
{
    private static readonly Lazy<(LeNet5 Model, ImageDataset Test, float Fill)> s_trained = new(() =>
    {
        var (mean, std) = Repo.Train.ChannelStatistics();
        float fill = -mean[0] / std[0];
        var train = Repo.Train.Subset(Enumerable.Range(0, 6000).ToArray()).Normalize(mean, std);
        var test = Repo.Test.Subset(Enumerable.Range(0, 2000).ToArray()).Normalize(mean, std);
        var model = new LeNet5(generator: new Generator(2));
        new Trainer(model, new Adam(model.Parameters(), 2e-3f)).TrainEpoch(new DataLoader(train, 64, shuffle: true, seed: 2, transform: Compose.Named("standard", fill)), 0);
        return (model, test, fill);
    });

    [Fact]
    public void OneViewIsPlainEvaluation()
    {
        var (model, test, _) = s_trained.Value;
        var plain = Trainer.Evaluate(model, new DataLoader(test, 500));
        var one = new TestTimeAugmentation(1, null).Evaluate(model, test, batchSize: 128);
        Assert.Equal(plain.Top1, one.Top1);
        Assert.Equal(plain.Top5, one.Top5);
        Assert.Equal(plain.Confusion, one.Confusion);
        Assert.Equal(plain.Loss, one.Loss, 5);
        Assert.True(plain.Top1 > 0.6, $"the model is not trained: {plain.Top1:P2}");
    }

    [Fact]
    public void AveragedViewsAreSeededAndStayNearPlainAccuracy()
    {
        var (model, test, fill) = s_trained.Value;
        var plain = Trainer.Evaluate(model, new DataLoader(test, 500));
        var tta = new TestTimeAugmentation(4, Compose.Named("standard", fill), seed: 5);
        var p = tta.PredictProbabilities(model, test, batchSize: 500);
        // The same views on every run, and whatever the batch size (up to the model's own rounding).
        Assert.Equal(p, tta.PredictProbabilities(model, test, batchSize: 500));
        var other = tta.PredictProbabilities(model, test, batchSize: 333);
        for (int i = 0; i < test.Count; i++)
            for (int c = 0; c < 10; c++) Assert.Equal(p[i, c], other[i, c], 5);
        for (int i = 0; i < test.Count; i += 97)
        {
            double rowSum = 0;
            for (int c = 0; c < 10; c++) rowSum += p[i, c];
            Assert.Equal(1.0, rowSum, 4);
        }
        // The views do change the predictions (the augmentation was applied) ...
        var single = new TestTimeAugmentation(1, null).PredictProbabilities(model, test);
        double moved = 0;
        for (int i = 0; i < test.Count; i++)
            for (int c = 0; c < 10; c++) moved += Math.Abs(p[i, c] - single[i, c]);
        Assert.True(moved / test.Count > 0.01, $"mean L1 change of the probabilities {moved / test.Count:G3}");
        Assert.NotEqual(p, new TestTimeAugmentation(4, Compose.Named("standard", fill), seed: 6).PredictProbabilities(model, test));
        // ... and averaging views of a model trained with the same augmentation keeps the accuracy close to plain.
        var r = tta.Evaluate(model, test);
        Assert.InRange(r.Top1, plain.Top1 - 0.02, plain.Top1 + 0.05);
        Assert.Equal(test.Count, r.Count);
    }

    [Fact]
    public void BadArgumentsAreRefused()
    {
        Assert.Contains("views must be >= 1, got 0", Assert.Throws<ArgumentOutOfRangeException>(() => new TestTimeAugmentation(0, null)).Message);
        Assert.Contains("3 views need an augmentation", Assert.Throws<ArgumentNullException>(() => new TestTimeAugmentation(3, null)).Message);
        var data = ImageDataset.FromFloats(new float[2 * 64], [0, 1], 1, 8, 8, ["a", "b"]);
        var model = new LeNet5(generator: new Generator(1));
        var e = Assert.Throws<ArgumentException>(() => new TestTimeAugmentation(2, new Resize(6, 6)).PredictProbabilities(model, data));
        Assert.Contains("keep the image shape 1x8x8", e.Message);
    }
}
