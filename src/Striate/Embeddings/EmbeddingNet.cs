using Striate.Models;
using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Embeddings;

/// <summary>
/// A backbone whose classifier is replaced by a linear embedding layer of <see cref="EmbeddingDim"/> outputs,
/// optionally L2-normalised (FaceNet's unit hypersphere). Built from any zoo model by giving it
/// <c>numClasses = embeddingDim</c>: its last layer (fc, classifier.6, ...) becomes the embedding. For
/// siamese use apply the same instance to both inputs: the layers hold no activations, so the weights are shared
/// and their gradients sum over the two branches.
/// </summary>
public sealed class EmbeddingNet : Module
{
    /// <summary>Wraps <paramref name="backbone"/>, whose output [N, embeddingDim] is the embedding before normalisation.</summary>
    public EmbeddingNet(Module backbone, int embeddingDim, bool normalize)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        if (embeddingDim < 1) throw new ArgumentException($"EmbeddingNet: embeddingDim must be >= 1, got {embeddingDim}.");
        Backbone = RegisterModule("backbone", backbone);
        EmbeddingDim = embeddingDim;
        Normalized = normalize;
    }

    /// <summary>A zoo architecture with its head resized to <paramref name="embeddingDim"/> outputs.</summary>
    public static EmbeddingNet Create(string architecture, int embeddingDim, bool normalize, int inChannels, int height, int width, Generator? generator = null) =>
        new(ModelZoo.Create(new ModelSpec(architecture, embeddingDim, inChannels, height, width), generator), embeddingDim, normalize);

    public Module Backbone { get; }
    public int EmbeddingDim { get; }

    /// <summary>True when embeddings are scaled to unit L2 norm.</summary>
    public bool Normalized { get; }

    /// <summary>Embeddings [N, EmbeddingDim] of images [N, C, H, W].</summary>
    public override Tensor Forward(Tensor input)
    {
        var e = Backbone.Call(input);
        if (e.Rank != 2 || e.Shape[1] != EmbeddingDim)
            throw new ArgumentException($"EmbeddingNet: the backbone gave {e.Shape}, expected [N, {EmbeddingDim}].");
        return Normalized ? F.Normalize(e) : e;
    }

    /// <summary>Embeddings of images in evaluation mode without a graph, copied out of any scope.</summary>
    public float[][] Embed(Tensor images)
    {
        bool wasTraining = IsTraining;
        Eval();
        try
        {
            using var _ = Autograd.NoGrad();
            using var scope = TensorScope.Begin();
            var e = Forward(images);
            int n = e.Shape[0];
            var rows = new float[n][];
            for (int i = 0; i < n; i++) rows[i] = e.Data.Slice(i * EmbeddingDim, EmbeddingDim).ToArray();
            return rows;
        }
        finally
        {
            Train(wasTraining);
        }
    }

    protected override string ExtraRepr() => $"embedding_dim={EmbeddingDim}{(Normalized ? ", normalize=True" : "")}";
}
