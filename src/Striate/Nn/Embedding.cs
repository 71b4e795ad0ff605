using System.Globalization;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Nn;

/// <summary>
/// A lookup table of token vectors (nn.Embedding): the input holds token indices (whole numbers stored as floats, any
/// shape), the output appends the embedding dimension. Weight [num_embeddings, embedding_dim] drawn from N(0, 1);
/// with a padding index, that row starts at zero and never receives a gradient.
/// </summary>
public sealed class Embedding : Module
{
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx = null, Generator? generator = null)
    {
        if (numEmbeddings < 1 || embeddingDim < 1)
            throw new ArgumentException($"Embedding: num_embeddings ({numEmbeddings}) and embedding_dim ({embeddingDim}) must be >= 1.");
        if (paddingIdx is int p && (p < -numEmbeddings || p >= numEmbeddings))
            throw new ArgumentException($"Embedding: padding_idx must be within [-{numEmbeddings}, {numEmbeddings - 1}], got {p}.");
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        PaddingIdx = paddingIdx is int q && q < 0 ? q + numEmbeddings : paddingIdx;
        Weight = RegisterParameter("weight", Tensor.Persistent(new Shape(numEmbeddings, embeddingDim)))!;
        Init.Normal(Weight, 0f, 1f, generator);
        if (PaddingIdx is int row) Weight.Data.Slice(row * embeddingDim, embeddingDim).Clear();
    }

    public int NumEmbeddings { get; }
    public int EmbeddingDim { get; }
    public int? PaddingIdx { get; }
    public Tensor Weight { get; }

    protected override Tensor OnForward(Tensor input) => Lookup(Weight, input, PaddingIdx);

    /// <summary>The rows of <paramref name="weight"/> at the indices in <paramref name="indices"/>; the padding row gets no gradient.</summary>
    /// <exception cref="ArgumentException">An index is not a whole number within the table.</exception>
    public static Tensor Lookup(Tensor weight, Tensor indices, int? paddingIdx = null)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(indices);
        int n = weight.Shape[0], dim = weight.Shape[1];
        var idx = new int[indices.Numel];
        var src = indices.Data;
        for (int i = 0; i < idx.Length; i++)
        {
            float v = src[i];
            if (!(v >= 0 && v < n) || v != MathF.Floor(v))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Embedding: index {v} at position {i} is not a token of the {n}-row table."));
            idx[i] = (int)v;
        }
        var y = Tensor.Empty(new Shape([.. indices.Shape.ToArray(), dim]));
        for (int i = 0; i < idx.Length; i++) weight.Data.Slice(idx[i] * dim, dim).CopyTo(y.Data.Slice(i * dim, dim));
        if (!Autograd.Needs(weight)) return y;
        return Autograd.Record(y, "embedding", [weight], (g, grads) =>
        {
            var dw = Tensor.Zeros(weight.Shape);
            for (int i = 0; i < idx.Length; i++)
            {
                if (idx[i] == paddingIdx) continue;
                var dst = dw.Data.Slice(idx[i] * dim, dim);
                TensorPrimitives.Add(dst, g.Data.Slice(i * dim, dim), dst);
            }
            grads[0] = dw;
        });
    }

    protected override string ExtraRepr() => $"{NumEmbeddings}, {EmbeddingDim}" + (PaddingIdx is int p ? $", padding_idx={p}" : "");
}
