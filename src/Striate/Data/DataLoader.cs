using Striate.Tensors;

namespace Striate.Data;

/// <summary>
/// Batches a dataset, shuffled with a seeded permutation per epoch (the order of epoch e depends only on the
/// seed and e, so a resumed run sees the same batches), and assembles the next batch on a background thread
/// while the current one trains.
/// </summary>
public sealed class DataLoader
{
    public DataLoader(ImageDataset dataset, int batchSize, bool shuffle = false, ulong seed = 0, bool dropLast = false, bool prefetch = true,
        Transforms.ImageTransform? transform = null)
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
    }

    public ImageDataset Dataset { get; }
    public int BatchSize { get; }
    public bool Shuffle { get; }
    public ulong Seed { get; }
    public bool DropLast { get; }
    public bool Prefetch { get; }

    /// <summary>Applied to every image as its batch is assembled (augmentation); null for none.</summary>
    public Transforms.ImageTransform? Transform { get; }

    /// <summary>When set, each epoch visits the indices this sampler draws (with replacement) instead of a permutation.</summary>
    public WeightedRandomSampler? Sampler { get; init; }

    /// <summary>Batches per epoch.</summary>
    public int BatchCount => DropLast ? (Sampler?.Count ?? Dataset.Count) / BatchSize : ((Sampler?.Count ?? Dataset.Count) + BatchSize - 1) / BatchSize;

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
        // Three rotating buffers: the batch in use, the one being prefetched, and one the caller may still hold.
        var ring = new (Tensor Images, int[] Labels, int[] Indices)?[3];
        Batch Make(int b)
        {
            int start = b * BatchSize, n = Math.Min(BatchSize, order.Length - start);
            ref var slot = ref ring[b % 3];
            if (slot is null || slot.Value.Labels.Length != n)
                slot = (Tensor.Persistent(new Shape(n, Dataset.Channels, Dataset.Height, Dataset.Width)), new int[n], new int[n]);
            var (images, labels, indices) = slot.Value;
            int size = Dataset.ImageSize;
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

        if (!Prefetch)
        {
            for (int b = 0; b < batches; b++) yield return Make(b);
            yield break;
        }
        var next = Task.Run(() => Make(0));
        for (int b = 0; b < batches; b++)
        {
            var current = next.GetAwaiter().GetResult();
            if (b + 1 < batches)
            {
                int nb = b + 1;
                next = Task.Run(() => Make(nb));
            }
            yield return current;
        }
    }
}
