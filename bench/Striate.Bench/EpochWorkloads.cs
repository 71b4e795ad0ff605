using Striate.Data;
using Striate.Models;
using Striate.Ops;
using Striate.Optim;
using TorchSharp;
using static TorchSharp.torch;
using Generator = Striate.Tensors.Generator;

namespace Striate.Bench;

/// <summary>
/// One full training epoch of the main job's model on the bundled Fashion-MNIST training set (60,000 images,
/// normalised, reshuffled every epoch, batch 64, Adam): Striate through its DataLoader, libtorch by indexing a
/// tensor of the whole set with a fresh permutation. A step is a whole epoch, so the row runs in full mode only.
/// </summary>
public static class EpochWorkloads
{
    private const int Batch = 64;

    public static IEnumerable<Workload> All(bool quick)
    {
        if (quick) yield break;
        yield return new Workload($"LeNet-5 epoch on Fashion-MNIST (60,000 images, b{Batch}, Adam)", "images/s", 60000, StriateEpoch, TorchEpoch);
    }

    private static LabeledImageSet Load() => FashionMnist.Load(Path.Combine(RepositoryRoot(), "data", "fashion-mnist"), train: true);

    /// <summary>The Striate side: one epoch per step through the DataLoader.</summary>
    public static Side StriateEpoch()
    {
        var set = Load();
        var data = ImageDataset.FromBytes(set.Images, set.Labels, set.Count, 1, set.Height, set.Width, FashionMnist.ClassNames);
        var (mean, std) = data.ChannelStatistics();
        data = data.Normalize(mean, std);
        var loader = new DataLoader(data, Batch, shuffle: true, seed: 1);
        var model = new LeNet5(generator: new Generator(1));
        var opt = new Adam(model.Parameters(), lr: 1e-3f);
        int epoch = 0;
        return new Side(() =>
        {
            foreach (var batch in loader.Epoch(epoch++))
                using (Tensors.TensorScope.Begin())
                {
                    var loss = F.CrossEntropy(model.Call(batch.Images), batch.Labels);
                    opt.ZeroGrad();
                    loss.Backward();
                    opt.Step();
                }
        });
    }

    /// <summary>The libtorch side: one epoch per step over a tensor of the whole set.</summary>
    public static Side TorchEpoch()
    {
        var set = Load();
        var pixels = new float[set.Images.Length];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = set.Images[i] / 255f;
        double mean = pixels.Average(), std = Math.Sqrt(pixels.Select(v => (v - mean) * (v - mean)).Average());
        var images = ((torch.tensor(pixels, [set.Count, 1, set.Height, set.Width]) - mean) / std).detach();
        var labels = torch.tensor(Array.ConvertAll(set.Labels, l => (long)l));
        var model = TorchModels.LeNet5();
        var opt = optim.Adam(model.parameters(), lr: 1e-3);
        var gen = new torch.Generator(1);
        return new Side(() =>
        {
            using var epochScope = torch.NewDisposeScope();
            var order = torch.randperm(set.Count, generator: gen);
            for (int start = 0; start < set.Count; start += Batch)
            {
                using var scope = torch.NewDisposeScope();
                var idx = order.narrow(0, start, Math.Min(Batch, set.Count - start));
                var loss = nn.functional.cross_entropy(model.call(images.index_select(0, idx)), labels.index_select(0, idx));
                opt.zero_grad();
                loss.backward();
                opt.step();
            }
        }, () =>
        {
            images.Dispose();
            labels.Dispose();
            opt.Dispose();
            model.Dispose();
        });
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Striate.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("The repository root (the folder holding Striate.slnx) was not found above the bench program.");
    }
}
