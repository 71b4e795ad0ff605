using Striate.Models;
using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Models;

/// <summary>
/// A backbone whose classifier is replaced by a linear embedding layer of <see cref="EmbeddingDim"/> outputs,
/// optionally L2-normalised (FaceNet's unit hypersphere). Built from any zoo model by giving it
/// <c>numClasses = embeddingDim</c>: its last layer (fc, classifier.6, ...) becomes the embedding. For
/// siamese use apply the same instance to both inputs: the layers hold no activations, so the weights are shared
/// and their gradients sum over the two branches.
/// <para>
/// With a projection head (<see cref="ProjectionDim"/> &gt; 0, SimCLR's g: Linear, ReLU, Linear) the training
/// loss is taken on <see cref="Project"/>, the (normalised) output of the head, while the embedding used for
/// verification and identification is still <see cref="Module.Forward"/>, the representation before the head. The
/// loss need not shape that representation all the way, so it keeps more of what the training classes do not
/// need (Chen et al. 2020 found the representation before the head transfers better).
/// </para>
/// <para>
/// With <see cref="FlipAverage"/>, <see cref="Embed"/> (what validation, embed, verify, enroll and identify use)
/// returns the mean of the embeddings of each image and of its horizontal mirror, scaled back to unit length when
/// <see cref="Normalized"/>: a mirror-invariant embedding at twice the inference cost. Training is unchanged.
/// </para>
/// </summary>
public sealed class EmbeddingNet : Module
{
    /// <summary>
    /// Wraps <paramref name="backbone"/>, whose output [N, embeddingDim] is the embedding before normalisation;
    /// <paramref name="projectionDim"/> &gt; 0 adds a training-only projection head of that width;
    /// <paramref name="flipAverage"/> makes <see cref="Embed"/> average each image with its mirror.
    /// </summary>
    public EmbeddingNet(Module backbone, int embeddingDim, bool normalize, int projectionDim = 0, Generator? generator = null, bool flipAverage = false)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        if (embeddingDim < 1) throw new ArgumentException($"EmbeddingNet: embeddingDim must be >= 1, got {embeddingDim}.");
        if (projectionDim < 0) throw new ArgumentException($"EmbeddingNet: projectionDim must be >= 0 (0: no projection head), got {projectionDim}.");
        Backbone = RegisterModule("backbone", backbone);
        EmbeddingDim = embeddingDim;
        Normalized = normalize;
        ProjectionDim = projectionDim;
        FlipAverage = flipAverage;
        if (projectionDim > 0)
            Projection = RegisterModule("projection", new Sequential(
                new Linear(embeddingDim, projectionDim, generator: generator), new ReLU(), new Linear(projectionDim, projectionDim, generator: generator)));
    }

    /// <summary>A zoo architecture with its head resized to <paramref name="embeddingDim"/> outputs.</summary>
    public static EmbeddingNet Create(string architecture, int embeddingDim, bool normalize, int inChannels, int height, int width, Generator? generator = null) =>
        new(ModelZoo.Create(new ModelSpec(architecture, embeddingDim, inChannels, height, width), generator), embeddingDim, normalize);

    public Module Backbone { get; }
    public int EmbeddingDim { get; }

    /// <summary>True when embeddings are scaled to unit L2 norm.</summary>
    public bool Normalized { get; }

    /// <summary>Width of the training-only projection head; 0 when there is none.</summary>
    public int ProjectionDim { get; }

    /// <summary>True when <see cref="Embed"/> averages the embeddings of each image and its horizontal mirror.</summary>
    public bool FlipAverage { get; }

    /// <summary>The projection head (Linear, ReLU, Linear), or null.</summary>
    public Module? Projection { get; }

    /// <summary>
    /// What the training loss sees: the projection head's output for the backbone's raw embedding (normalised
    /// when <see cref="Normalized"/>), or <see cref="Module.Forward"/> when there is no head.
    /// </summary>
    public Tensor Project(Tensor input)
    {
        if (Projection is null) return Forward(input);
        var z = Projection.Call(Raw(input));
        return Normalized ? F.Normalize(z) : z;
    }

    /// <summary>
    /// The embedding (as <see cref="Module.Forward"/>) and the projection head's output (as <see cref="Project"/>) of
    /// the same images from one backbone pass, so two losses can each take their own.
    /// </summary>
    /// <exception cref="InvalidOperationException">The network has no projection head.</exception>
    public (Tensor Embedding, Tensor Projection) ForwardWithProjection(Tensor input)
    {
        if (Projection is null) throw new InvalidOperationException("EmbeddingNet: ForwardWithProjection needs a projection head (projectionDim > 0).");
        var raw = Raw(input);
        var z = Projection.Call(raw);
        return Normalized ? (F.Normalize(raw), F.Normalize(z)) : (raw, z);
    }

    /// <summary>Embeddings [N, EmbeddingDim] of images [N, C, H, W].</summary>
    protected override Tensor OnForward(Tensor input)
    {
        var e = Raw(input);
        return Normalized ? F.Normalize(e) : e;
    }

    private Tensor Raw(Tensor input)
    {
        var e = Backbone.Call(input);
        if (e.Rank != 2 || e.Shape[1] != EmbeddingDim)
            throw new ArgumentException($"EmbeddingNet: the backbone gave {e.Shape}, expected [N, {EmbeddingDim}].");
        return e;
    }

    /// <summary>
    /// Embeddings of images in evaluation mode without a graph, copied out of any scope; with
    /// <see cref="FlipAverage"/>, normalise(Forward(x) + Forward(mirror(x))) (or half the sum when not
    /// <see cref="Normalized"/>).
    /// </summary>
    public float[][] Embed(Tensor images)
    {
        bool wasTraining = IsTraining;
        Eval();
        try
        {
            using var _ = Autograd.NoGrad();
            using var scope = TensorScope.Begin();
            var e = Forward(images);
            if (FlipAverage)
            {
                var both = F.Add(e, Forward(Mirror(images)));
                e = Normalized ? F.Normalize(both) : F.MulScalar(both, 0.5f);
            }
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

    // images [N, C, H, W] -> the same with every row reversed (x' = W - 1 - x).
    private static Tensor Mirror(Tensor images)
    {
        if (images.Rank != 4) throw new ArgumentException($"EmbeddingNet: flip averaging needs images [N, C, H, W], got {images.Shape}.");
        int w = images.Shape[3], rows = images.Numel / w;
        var mirrored = Tensor.Empty(images.Shape);
        ReadOnlySpan<float> src = images.Data;
        var dst = mirrored.Data;
        for (int r = 0; r < rows; r++)
        {
            var row = dst.Slice(r * w, w);
            src.Slice(r * w, w).CopyTo(row);
            row.Reverse();
        }
        return mirrored;
    }

    protected override string ExtraRepr() => $"embedding_dim={EmbeddingDim}{(Normalized ? ", normalize=True" : "")}{(ProjectionDim > 0 ? $", projection_dim={ProjectionDim}" : "")}{(FlipAverage ? ", flip_average=True" : "")}";
}
