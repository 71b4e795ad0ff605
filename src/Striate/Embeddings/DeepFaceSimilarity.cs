using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Embeddings;

/// <summary>
/// The learned similarity of DeepFace (Taigman, Yang, Ranzato and Wolf, 2014) over two embeddings a, b [N, D]:
/// a logistic output on s = sum_i w_i phi_i + b, with phi_i = |a_i - b_i| (weighted L1) or
/// (a_i - b_i)^2 / (a_i + b_i + eps) (chi-squared, for the non-negative embeddings DeepFace normalises to [0, 1]).
/// <see cref="Score(Tensor, Tensor)"/> gives the logit s; train it with binary cross-entropy on "same identity".
/// Parameters: weight [D] (initialised to -1/D: a larger difference means less alike), bias [1] (0).
/// </summary>
public sealed class DeepFaceSimilarity : Module
{
    /// <summary>Added to a_i + b_i in the chi-squared denominator.</summary>
    public const float ChiEps = 1e-6f;

    public DeepFaceSimilarity(int embeddingDim, DeepFaceDistance distance = DeepFaceDistance.WeightedL1)
    {
        if (embeddingDim < 1) throw new ArgumentException($"DeepFaceSimilarity: embeddingDim must be >= 1, got {embeddingDim}.");
        EmbeddingDim = embeddingDim;
        Distance = distance;
        Weight = RegisterParameter("weight", Tensor.Full(new Shape(embeddingDim), -1f / embeddingDim).Clone())!;
        Bias = RegisterParameter("bias", Tensor.Persistent(new Shape(1)))!;
    }

    public int EmbeddingDim { get; }
    public DeepFaceDistance Distance { get; }
    public Tensor Weight { get; }
    public Tensor Bias { get; }

    /// <summary>The logits [N] that a and b (rows [N, D]) are the same identity.</summary>
    /// <exception cref="ArgumentException">The shapes differ or are not [N, D]; a chi-squared input has a negative a_i + b_i.</exception>
    public Tensor Score(Tensor a, Tensor b) =>
        Score(a, b, Weight, Bias, Distance, Path is null ? "DeepFaceSimilarity" : $"DeepFaceSimilarity '{Path}'");

    /// <summary>
    /// The similarity logits s_n = sum_i w_i phi(a_ni, b_ni) + bias for embeddings a, b [N, D], weight [D], bias [1];
    /// the gradient reaches all four.
    /// </summary>
    public static Tensor Score(Tensor a, Tensor b, Tensor weight, Tensor bias, DeepFaceDistance distance, string who = "deepface_similarity")
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(bias);
        int d = weight.Numel;
        if (weight.Rank != 1 || bias.Numel != 1)
            throw new ArgumentException($"{who}: weight must be [D] and bias [1], got {weight.Shape} and {bias.Shape}.");
        if (a.Rank != 2 || !a.Shape.Equals(b.Shape) || a.Shape[1] != d)
            throw new ArgumentException($"{who} expects two embedding batches [N, {d}], got {a.Shape} and {b.Shape}.");
        Tensor phi;
        if (distance == DeepFaceDistance.WeightedL1)
            phi = F.Abs(F.Sub(a, b));
        else
        {
            var sum = F.Add(a, b);
            float min = sum.Numel == 0 ? 0 : TensorPrimitives.Min(sum.Data);
            if (min < 0)
                throw new ArgumentException($"{who}: chi-squared needs non-negative embeddings (DeepFace normalises them to [0, 1]); found a_i + b_i = {min}.");
            phi = F.Div(F.Square(F.Sub(a, b)), F.AddScalar(sum, ChiEps));
        }
        var s = F.Linear(phi, F.Reshape(weight, 1, d), F.Reshape(bias, 1));
        return F.Reshape(s, a.Shape[0]);
    }

    /// <summary>Probabilities [N] of "same identity": sigmoid of <see cref="Score(Tensor, Tensor)"/>.</summary>
    public Tensor Probability(Tensor a, Tensor b) => F.Sigmoid(Score(a, b));

    /// <summary>Scores a pair batch packed as [N, 2D]: the first D columns are a, the last D are b.</summary>
    protected override Tensor OnForward(Tensor input)
    {
        if (input.Rank != 2 || input.Shape[1] != 2 * EmbeddingDim)
            throw new ArgumentException($"DeepFaceSimilarity expects pairs packed as [N, {2 * EmbeddingDim}], got {input.Shape}.");
        return Score(F.Narrow(input, 1, 0, EmbeddingDim), F.Narrow(input, 1, EmbeddingDim, EmbeddingDim));
    }

    protected override string ExtraRepr() => $"{EmbeddingDim}, distance={(Distance == DeepFaceDistance.WeightedL1 ? "l1" : "chi2")}";
}
