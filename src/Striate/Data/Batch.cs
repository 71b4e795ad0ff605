using Striate.Tensors;

namespace Striate.Data;

/// <summary>
/// One mini-batch: images [B, C, H, W] and their labels. The loader reuses a batch's memory two batches
/// later, so copy what must be kept longer.
/// </summary>
public sealed class Batch
{
    internal Batch(Tensor images, int[] labels, int[] indices)
    {
        Images = images;
        Labels = labels;
        Indices = indices;
    }

    public Tensor Images { get; }
    public int[] Labels { get; }

    /// <summary>Positions of the images in the dataset.</summary>
    public int[] Indices { get; }

    public int Count => Labels.Length;
}
