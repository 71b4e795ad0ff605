using Striate.Tensors;

namespace Striate.Data;

/// <summary>
/// Batches a dataset, shuffled with a seeded permutation per epoch (the order of epoch e depends only on the
/// seed and e, so a resumed run sees the same batches), and assembles the coming batches on
/// <see cref="Workers"/> background threads while the current one trains. Each image's transform draws from
/// (seed, epoch, image index) alone, so the batches are the same bits whatever the number of workers.
/// </summary>
public sealed class DataLoader
{
    public DataLoader(ImageDataset dataset, int batchSize, bool shuffle = false, ulong seed = 0, bool dropLast = false, bool prefetch = true,
        Transforms.ImageTransform? transform = null, int? workers = null)
    {
        Transform = transform;
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), $"DataLoader: batch size must be >= 1, got {batchSize}.");
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        Prefetch = prefetch;
        Workers = workers ?? DefaultWorkers;
        if (Workers < 0) throw new ArgumentOutOfRangeException(nameof(workers), $"DataLoader: workers must be >= 0 (0 assembles batches on the caller's thread), got {Workers}.");
        // The transform checks the images' shape here, so a bad parameter fails before the first epoch.
        (Channels, Height, Width) = transform?.OutputShape(dataset.Channels, dataset.Height, dataset.Width) ?? (dataset.Channels, dataset.Height, dataset.Width);
    }

    public ImageDataset Dataset { get; }
    public int BatchSize { get; }
    public bool Shuffle { get; }
    public ulong Seed { get; }
    public bool DropLast { get; }
    public bool Prefetch { get; }

    /// <summary>
    /// Threads that assemble batches ahead of the consumer (0, or <see cref="Prefetch"/> false: on the caller's
    /// thread, when it asks for the batch).
    /// </summary>
    public int Workers { get; }

    /// <summary>How many batches the workers may finish ahead of the one in use: twice the workers.</summary>
    public int PrefetchDepth => 2 * Math.Max(Workers, 1);

    /// <summary>Half the cores, 1 to 4: the other half runs the training step's kernels.</summary>
    public static int DefaultWorkers => Math.Clamp(Environment.ProcessorCount / 2, 1, 4);

    /// <summary>Applied to every image as its batch is assembled (augmentation); null for none.</summary>
    public Transforms.ImageTransform? Transform { get; }

    /// <summary>Channels of the batches' images (after the transform).</summary>
    public int Channels { get; }

    /// <summary>Height of the batches' images (after the transform).</summary>
    public int Height { get; }

    /// <summary>Width of the batches' images (after the transform).</summary>
    public int Width { get; }

    /// <summary>When set, each epoch visits the indices this sampler draws (with replacement) instead of a permutation.</summary>
    public WeightedRandomSampler? Sampler { get; init; }

    /// <summary>Batches per epoch.</summary>
    public int BatchCount => DropLast ? (Sampler?.Count ?? Dataset.Count) / BatchSize : (int)(((long)(Sampler?.Count ?? Dataset.Count) + BatchSize - 1) / BatchSize);

    /// <summary>The order in which epoch <paramref name="epoch"/> visits the images.</summary>
    public int[] Order(int epoch)
    {
        if (Sampler is not null) return Sampler.Indices(epoch);
        if (!Shuffle) return Enumerable.Range(0, Dataset.Count).ToArray();
        return new Generator(Seed).Fork((ulong)epoch).Permutation(Dataset.Count);
    }

    /// <summary>The batches of one epoch.</summary>
    public IEnumerable<Batch> Epoch(int epoch = 0)
    {
        var order = Order(epoch);
        int batches = BatchCount;
        if (batches == 0) yield break;
        // Rotating buffers: the batch in use, one the caller may still hold, and those being prefetched.
        bool background = Prefetch && Workers > 0;
        var ring = new (Tensor Images, int[] Labels, int[] Indices)?[background ? PrefetchDepth + 2 : 3];
        Batch Make(int b, int slotIndex)
        {
            int start = b * BatchSize, n = Math.Min(BatchSize, order.Length - start);
            ref var slot = ref ring[slotIndex];
            if (slot is null || slot.Value.Labels.Length != n)
                slot = (Tensor.Persistent(new Shape(n, Channels, Height, Width)), new int[n], new int[n]);
            var (images, labels, indices) = slot.Value;
            int size = Channels * Height * Width;
            var dst = images.Data;
            for (int i = 0; i < n; i++)
            {
                int idx = order[start + i];
                if (Transform is null)
                    Dataset.Image(idx).CopyTo(dst.Slice(i * size, size));
                else
                    Transform.Apply(Dataset.Image(idx), dst.Slice(i * size, size), Dataset.Channels, Dataset.Height, Dataset.Width,
                        Transforms.ImageTransform.SampleSeed(Seed, epoch, idx));
                labels[i] = Dataset.Labels[idx];
                indices[i] = idx;
            }
            return new Batch(images, labels, indices);
        }

        if (!background)
        {
            for (int b = 0; b < batches; b++) yield return Make(b, b % 3);
            yield break;
        }
        using var pipeline = new BatchPipeline(batches, Workers, PrefetchDepth, Make);
        for (int b = 0; b < batches; b++) yield return pipeline.Take(b);
    }
}
