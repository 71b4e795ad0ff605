using Striate.Data;
using Striate.Data.Transforms;
using Striate.Models;
using Striate.Ops;
using Striate.Optim;
using Generator = Striate.Tensors.Generator;

namespace Striate.Bench;

/// <summary>
/// Does the loader keep the training step fed? LeNet-5 training steps on batches taken from a DataLoader
/// (default workers) with no augmentation and with the standard one (random crop with padding 2, horizontal
/// flip); the two Striate medians give the cost of augmenting. The libtorch side of both rows is the plain
/// LeNet-5 step on a fixed batch, a common baseline.
/// </summary>
public static class AugmentationWorkloads
{
    private const int Batch = 64, Images = 6400;

    public static IEnumerable<Workload> All()
    {
        foreach (var name in new[] { "none", "standard" })
            yield return new Workload($"LeNet-5 train b{Batch} from loader, augment {name}", "images/s", Batch,
                () => StriateLoaderTrain(name), () => Workloads.TorchLeNetTrain(Batch));
    }

    private static Side StriateLoaderTrain(string augment)
    {
        var rng = new Random(3);
        var pixels = new float[Images * 28 * 28];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (float)rng.NextDouble();
        var labels = Enumerable.Range(0, Images).Select(i => i % 10).ToArray();
        var data = ImageDataset.FromFloats(pixels, labels, 1, 28, 28, Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray());
        var (mean, std) = data.ChannelStatistics();
        data = data.Normalize(mean, std);
        var loader = new DataLoader(data, Batch, shuffle: true, seed: 1, dropLast: true, transform: Compose.Named(augment, -mean[0] / std[0]));
        var model = new LeNet5(generator: new Generator(1));
        var opt = new Adam(model.Parameters(), lr: 1e-3f);
        int epoch = 0;
        var batches = loader.Epoch(epoch).GetEnumerator();
        return new Side(() =>
        {
            if (!batches.MoveNext())
            {
                batches.Dispose();
                batches = loader.Epoch(++epoch).GetEnumerator();
                batches.MoveNext();
            }
            var batch = batches.Current;
            using (Tensors.TensorScope.Begin())
            {
                var loss = F.CrossEntropy(model.Call(batch.Images), batch.Labels);
                opt.ZeroGrad();
                loss.Backward();
                opt.Step();
            }
        }, () => batches.Dispose());
    }
}
