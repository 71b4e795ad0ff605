using Striate.Ops;
using Striate.Optim;
using Striate.Tensors;

namespace Striate.Embeddings;

/// <summary>
/// Trains a <see cref="DeepFaceSimilarity"/> head on the fixed embeddings of a trained network, as DeepFace trains its
/// siamese similarity once the network is trained: balanced same/different pairs drawn afresh every epoch, binary
/// cross-entropy on the head's logit, Adam. The head then scores a pair by a learned weighting of its per-value
/// differences instead of the plain distance.
/// </summary>
public static class DeepFaceTraining
{
    /// <summary>
    /// What the head reads for one embedding: the embedding itself for weighted L1; for chi-squared, which needs
    /// non-negative values, (e + 1) / 2, mapping a unit-norm embedding's values from [-1, 1] into [0, 1] as DeepFace's
    /// normalised features are.
    /// </summary>
    public static float[] HeadInput(ReadOnlySpan<float> embedding, DeepFaceDistance distance)
    {
        var input = embedding.ToArray();
        if (distance == DeepFaceDistance.ChiSquared)
            for (int i = 0; i < input.Length; i++) input[i] = (input[i] + 1f) * 0.5f;
        return input;
    }

    /// <summary>The pairs drawn per epoch when the caller names none.</summary>
    public const int PairsPerEpoch = 20000;

    /// <summary>The pairs per Adam step when the caller names none.</summary>
    public const int BatchSize = 256;

    /// <summary>
    /// Trains a new head of <paramref name="distance"/> on <paramref name="embeddings"/> with their identity
    /// <paramref name="labels"/>: <paramref name="epochs"/> epochs of <paramref name="pairsPerEpoch"/> pairs (half same,
    /// half different, <see cref="Verification.SamplePairs"/>), in batches of <paramref name="batchSize"/>.
    /// <paramref name="onEpoch"/> gets each epoch's number (from 1) and mean loss.
    /// </summary>
    /// <exception cref="ArgumentException">The counts differ, the embeddings are empty or ragged, a setting is out of range,
    /// or the labels do not give both kinds of pair.</exception>
    public static DeepFaceSimilarity Train(IReadOnlyList<float[]> embeddings, IReadOnlyList<int> labels, DeepFaceDistance distance,
        int epochs = 10, int pairsPerEpoch = PairsPerEpoch, int batchSize = BatchSize, float lr = 0.01f, ulong seed = 1, Action<int, double>? onEpoch = null)
    {
        int dim = Check(embeddings, labels);
        if (epochs < 1 || pairsPerEpoch < 2 || batchSize < 1 || !(lr > 0) || !float.IsFinite(lr))
            throw new ArgumentException($"DeepFaceTraining: needs epochs >= 1, pairsPerEpoch >= 2, batchSize >= 1 and a positive lr; got {epochs}, {pairsPerEpoch}, {batchSize}, {lr}.");
        var inputs = embeddings.Select(e => HeadInput(e, distance)).ToArray();
        var head = new DeepFaceSimilarity(dim, distance);
        var optimizer = new Adam(head.Parameters(), lr);
        var objective = new HeadObjective(head, inputs, labels, pairsPerEpoch, batchSize, seed);
        new EpochLoop<(int Epoch, double Loss)>(new StepLoop(optimizer)).Run(objective, 0, epochs, r => onEpoch?.Invoke(r.Epoch, r.Loss));
        return head;
    }

    // The head's objective: binary cross-entropy of its logit on same (1) and different (0) pairs, the mean over the
    // epoch's pairs, drawn afresh each epoch; an epoch's record is its number (from 1) and mean loss.
    private sealed class HeadObjective(DeepFaceSimilarity head, float[][] inputs, IReadOnlyList<int> labels, int pairsPerEpoch, int batchSize, ulong seed)
        : ITrainingObjective<int, (int Epoch, double Loss)>
    {
        private (int A, int B, bool Same)[] _pairs = [];

        public int BatchCount => (pairsPerEpoch + batchSize - 1) / batchSize;

        // The start of each batch in the epoch's pairs.
        public IEnumerable<int> Batches(int epoch)
        {
            _pairs = Verification.SamplePairs(labels, pairsPerEpoch, seed * 1_000_003UL + (ulong)(epoch + 1));
            return Enumerable.Range(0, BatchCount).Select(k => k * batchSize);
        }

        public StepOutcome? Step(int start, int epoch)
        {
            int n = Math.Min(batchSize, _pairs.Length - start), dim = head.EmbeddingDim;
            var (a, b) = Batch(inputs, _pairs, start, n, dim);
            var target = Tensor.Empty(n);
            for (int i = 0; i < n; i++) target.Data[i] = _pairs[start + i].Same ? 1f : 0f;
            return new StepOutcome(F.BinaryCrossEntropyWithLogits(head.Score(a, b), target), n, n);
        }

        public (int Epoch, double Loss) Evaluate(int epoch, EpochStats stats) => (epoch + 1, stats.Loss);

        public double PlateauFigure((int Epoch, double Loss) record) => record.Loss;
    }

    /// <summary>The head's logits for <paramref name="pairs"/> of <paramref name="embeddings"/> (higher: more alike).</summary>
    /// <exception cref="ArgumentException">An embedding's size is not the head's.</exception>
    public static double[] Scores(DeepFaceSimilarity head, IReadOnlyList<float[]> embeddings, IReadOnlyList<(int A, int B, bool Same)> pairs)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(pairs);
        var scores = new double[pairs.Count];
        using var noGrad = Autograd.NoGrad();
        const int Chunk = 1024;
        for (int start = 0; start < pairs.Count; start += Chunk)
        {
            using var scope = TensorScope.Begin();
            int n = Math.Min(Chunk, pairs.Count - start);
            var a = Tensor.Empty(n, head.EmbeddingDim);
            var b = Tensor.Empty(n, head.EmbeddingDim);
            for (int i = 0; i < n; i++)
            {
                var (ia, ib, _) = pairs[start + i];
                Row(embeddings[ia], head, a.Data.Slice(i * head.EmbeddingDim, head.EmbeddingDim));
                Row(embeddings[ib], head, b.Data.Slice(i * head.EmbeddingDim, head.EmbeddingDim));
            }
            var s = head.Score(a, b);
            for (int i = 0; i < n; i++) scores[start + i] = s.Data[i];
        }
        return scores;
    }

    // The head's input for one embedding into dst.
    private static void Row(float[] embedding, DeepFaceSimilarity head, Span<float> dst)
    {
        if (embedding.Length != head.EmbeddingDim)
            throw new ArgumentException($"DeepFaceTraining: the head reads {head.EmbeddingDim}-value embeddings, got one of {embedding.Length}.");
        HeadInput(embedding, head.Distance).CopyTo(dst);
    }

    private static (Tensor A, Tensor B) Batch(float[][] inputs, (int A, int B, bool Same)[] pairs, int start, int n, int dim)
    {
        var a = Tensor.Empty(n, dim);
        var b = Tensor.Empty(n, dim);
        for (int i = 0; i < n; i++)
        {
            inputs[pairs[start + i].A].CopyTo(a.Data.Slice(i * dim, dim));
            inputs[pairs[start + i].B].CopyTo(b.Data.Slice(i * dim, dim));
        }
        return (a, b);
    }

    private static int Check(IReadOnlyList<float[]> embeddings, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(labels);
        if (embeddings.Count != labels.Count)
            throw new ArgumentException($"DeepFaceTraining: {embeddings.Count} embeddings but {labels.Count} labels.");
        if (embeddings.Count == 0 || embeddings[0] is null || embeddings[0].Length == 0)
            throw new ArgumentException("DeepFaceTraining: needs at least one non-empty embedding.");
        int dim = embeddings[0].Length;
        for (int i = 0; i < embeddings.Count; i++)
            if (embeddings[i] is null || embeddings[i].Length != dim)
                throw new ArgumentException($"DeepFaceTraining: embedding {i} has {embeddings[i]?.Length ?? 0} values, embedding 0 has {dim}.");
        return dim;
    }
}
