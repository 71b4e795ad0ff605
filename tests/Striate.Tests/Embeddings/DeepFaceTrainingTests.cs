using Striate.Embeddings;

namespace Striate.Tests.Embeddings;

/// <summary>
/// The DeepFace head trained on fixed embeddings: where only a few values carry the identity and the others are
/// noise, the learned weighting beats the plain distance and puts its weight on those values; chi-squared reads
/// unit-norm embeddings through (e + 1) / 2; bad input is refused by name.
/// </summary>
public class DeepFaceTrainingTests
{
    // 8 identities of 40 examples: values 0-3 are the identity's centre plus small noise, values 4-15 are large noise.
    private static (float[][] Embeddings, int[] Labels) Identities(int seed, bool unitNorm)
    {
        var rng = new Random(seed);
        var centres = Enumerable.Range(0, 8).Select(_ => Enumerable.Range(0, 4).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var embeddings = new List<float[]>();
        var labels = new List<int>();
        for (int id = 0; id < 8; id++)
            for (int k = 0; k < 40; k++)
            {
                var e = new float[16];
                for (int i = 0; i < 16; i++) e[i] = i < 4 ? centres[id][i] + (float)(rng.NextDouble() - 0.5) * 0.2f : (float)(rng.NextDouble() * 2 - 1) * 1.5f;
                if (unitNorm)
                {
                    float norm = MathF.Sqrt(e.Sum(v => v * v));
                    for (int i = 0; i < 16; i++) e[i] /= norm;
                }
                embeddings.Add(e);
                labels.Add(id);
            }
        return (embeddings.ToArray(), labels.ToArray());
    }

    [Theory]
    [InlineData(DeepFaceDistance.WeightedL1, false)]
    [InlineData(DeepFaceDistance.ChiSquared, true)]
    public void TheLearnedWeightingBeatsThePlainDistanceWhereFewValuesCarryTheIdentity(DeepFaceDistance distance, bool unitNorm)
    {
        var (train, trainLabels) = Identities(1, unitNorm);
        var (test, testLabels) = Identities(2, unitNorm);
        var losses = new List<double>();
        var head = DeepFaceTraining.Train(train, trainLabels, distance, epochs: 8, pairsPerEpoch: 4000, batchSize: 128, lr: 0.05f, seed: 3,
            onEpoch: (_, loss) => losses.Add(loss));
        Assert.Equal(8, losses.Count);
        Assert.True(losses[^1] < 0.8 * losses[0], $"loss {losses[0]:F4} -> {losses[^1]:F4}");

        var pairs = Verification.SamplePairs(testLabels, 4000, 9);
        double learned = Verification.RocAuc(DeepFaceTraining.Scores(head, test, pairs).Select(s => -s).ToArray(), pairs.Select(p => p.Same).ToArray());
        double plain = Verification.RocAuc(pairs.Select(p => Verification.SquaredDistance(test[p.A], test[p.B])).ToArray(), pairs.Select(p => p.Same).ToArray());
        Assert.True(learned > plain + 0.1, $"{distance}: learned AUC {learned:F4}, plain distance {plain:F4}");
        Assert.True(learned > 0.95, $"{distance}: learned AUC {learned:F4}");

        // A larger difference in an identity value means less alike: those weights end far more negative than the noise's.
        var w = head.Weight.Data.ToArray();
        Assert.True(w.Take(4).Max() < w.Skip(4).Min(), $"weights {string.Join(", ", w.Select(v => v.ToString("F3")))}");
    }

    [Fact]
    public void TheSameSeedGivesTheSameHead()
    {
        var (train, labels) = Identities(4, false);
        var one = DeepFaceTraining.Train(train, labels, DeepFaceDistance.WeightedL1, epochs: 2, pairsPerEpoch: 500, seed: 5);
        var two = DeepFaceTraining.Train(train, labels, DeepFaceDistance.WeightedL1, epochs: 2, pairsPerEpoch: 500, seed: 5);
        var other = DeepFaceTraining.Train(train, labels, DeepFaceDistance.WeightedL1, epochs: 2, pairsPerEpoch: 500, seed: 6);
        Assert.Equal(one.Weight.Data.ToArray(), two.Weight.Data.ToArray());
        Assert.Equal(one.Bias.Data.ToArray(), two.Bias.Data.ToArray());
        Assert.NotEqual(one.Weight.Data.ToArray(), other.Weight.Data.ToArray());
    }

    [Fact]
    public void ChiSquaredReadsUnitNormEmbeddingsInZeroToOne()
    {
        Assert.Equal([0f, 0.5f, 1f, 0.75f], DeepFaceTraining.HeadInput([-1f, 0f, 1f, 0.5f], DeepFaceDistance.ChiSquared));
        Assert.Equal([-1f, 0f, 1f, 0.5f], DeepFaceTraining.HeadInput([-1f, 0f, 1f, 0.5f], DeepFaceDistance.WeightedL1));
    }

    [Fact]
    public void BadInputIsRefusedByName()
    {
        float[][] two = [[1f, 2f], [3f, 4f]];
        Assert.Contains("2 embeddings but 3 labels", Assert.Throws<ArgumentException>(() => DeepFaceTraining.Train(two, [0, 1, 1], DeepFaceDistance.WeightedL1)).Message);
        Assert.Contains("embedding 1 has 1 values", Assert.Throws<ArgumentException>(() => DeepFaceTraining.Train([[1f, 2f], [3f]], [0, 1], DeepFaceDistance.WeightedL1)).Message);
        Assert.Contains("two labels", Assert.Throws<ArgumentException>(() => DeepFaceTraining.Train(two, [0, 0], DeepFaceDistance.WeightedL1)).Message);
        Assert.Contains("epochs >= 1", Assert.Throws<ArgumentException>(() => DeepFaceTraining.Train(two, [0, 1], DeepFaceDistance.WeightedL1, epochs: 0)).Message);
        var head = new DeepFaceSimilarity(2);
        Assert.Contains("reads 2-value embeddings, got one of 3", Assert.Throws<ArgumentException>(() => DeepFaceTraining.Scores(head, [[1f, 2f, 3f], [1f, 2f, 3f]], [(0, 1, true)])).Message);
    }
}
