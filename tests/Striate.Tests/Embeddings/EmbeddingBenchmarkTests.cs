using Striate.Data;
using Striate.Embeddings;
using Striate.Ops;
using Striate.Tests.Support;
using Xunit.Abstractions;

namespace Striate.Tests.Embeddings;

/// <summary>
/// The verification benchmark, shortened: a LeNet-5 embedding trained with the triplet loss on Fashion-MNIST
/// classes 0-6 only must separate held-out pairs of those classes, and pairs of the never-seen classes 7-9 far
/// better than the raw-pixel distance does; one-shot identification must beat chance by far.
/// </summary>
[Collection(nameof(SerialCollection))]
public class EmbeddingBenchmarkTests(ITestOutputHelper output)
{
    [Fact]
    public void TripletEmbeddingsVerifyUnseenClassesBetterThanPixels()
    {
        const TripletMining mining = TripletMining.BatchAll;
        var run = new EmbeddingRun(new EmbeddingOptions { Classes = [0, 1, 2, 3, 4, 5, 6], EmbeddingDim = 32, Mining = mining, Epochs = 2, TrainLimit = 6000, Seed = 3, ValidationPairs = 1000 }, Repo.Train);
        var records = run.Run();
        var test = Repo.Test.Subset(Enumerable.Range(0, 3000).ToArray()).Normalize(run.Mean, run.Std);
        var emb = EmbeddingEvaluation.Embed(run.Model, test);
        var pixels = EmbeddingEvaluation.Pixels(test);
        double Auc(float[][] e, int[] classes)
        {
            var idx = Enumerable.Range(0, test.Count).Where(i => classes.Contains(test.Labels[i])).ToArray();
            var pairs = Verification.SamplePairs(idx.Select(i => test.Labels[i]).ToArray(), 2000, 7).Select(p => (idx[p.A], idx[p.B], p.Same)).ToArray();
            var (d, s) = EmbeddingEvaluation.Distances(e, pairs);
            return Verification.RocAuc(d, s);
        }
        double seen = Auc(emb, [0, 1, 2, 3, 4, 5, 6]), unseen = Auc(emb, [7, 8, 9]), pixelUnseen = Auc(pixels, [7, 8, 9]);
        var (top1, _) = EmbeddingEvaluation.OneShot(emb, test.Labels, 5, run.Tau, 1);
        output.WriteLine($"val auc {records[^1].ValidationAuc:F4} tau {run.Tau:F4}; seen auc {seen:F4}; unseen auc {unseen:F4}; pixel unseen auc {pixelUnseen:F4}; one-shot top-1 {top1:P2}");
        // Measured at these settings: seen 0.911, unseen 0.817 against 0.756 for pixels, one-shot top-1 0.55.
        Assert.True(seen >= 0.88, $"seen-class AUC {seen:F4}");
        Assert.True(unseen >= pixelUnseen + 0.04, $"unseen-class AUC {unseen:F4} vs pixels {pixelUnseen:F4}");
        Assert.True(top1 >= 0.45, $"one-shot top-1 {top1:P2} over 10 classes (chance 10%)");
    }
}
