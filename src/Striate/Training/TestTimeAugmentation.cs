using Striate.Data;
using Striate.Data.Transforms;
using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Training;

/// <summary>
/// Test-time augmentation: a prediction is the mean of the softmax probabilities over <see cref="Views"/>
/// versions of each image, view 0 the image itself and view v &gt; 0 the image under <see cref="Augmentation"/>
/// with the draws of epoch v of a loader seeded with <see cref="Seed"/> (so the views are the same on every
/// run and whatever the batch size or number of workers). With one view it is plain evaluation.
/// </summary>
public sealed class TestTimeAugmentation
{
    /// <exception cref="ArgumentOutOfRangeException">Fewer than one view.</exception>
    /// <exception cref="ArgumentNullException">More than one view and no augmentation.</exception>
    public TestTimeAugmentation(int views, ImageTransform? augmentation, ulong seed = 0)
    {
        if (views < 1) throw new ArgumentOutOfRangeException(nameof(views), $"TestTimeAugmentation: views must be >= 1, got {views}.");
        if (views > 1 && augmentation is null)
            throw new ArgumentNullException(nameof(augmentation), $"TestTimeAugmentation: {views} views need an augmentation for views 1 to {views - 1}.");
        Views = views;
        Augmentation = augmentation;
        Seed = seed;
    }

    public int Views { get; }
    public ImageTransform? Augmentation { get; }
    public ulong Seed { get; }

    /// <summary>Mean class probabilities [N, classes] over the views, images in dataset order.</summary>
    /// <exception cref="ArgumentException">The augmentation changes the image shape.</exception>
    public float[,] PredictProbabilities(Module model, ImageDataset data, int batchSize = 500)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var sum = new double[data.Count, 0];
        var plain = new DataLoader(data, batchSize);
        var augmented = Views > 1 ? new DataLoader(data, batchSize, seed: Seed, transform: Augmentation) : null;
        if (augmented is not null && (augmented.Channels, augmented.Height, augmented.Width) != (data.Channels, data.Height, data.Width))
            throw new ArgumentException($"TestTimeAugmentation: the views must keep the image shape {data.Channels}x{data.Height}x{data.Width}, " +
                $"but the augmentation makes {augmented.Channels}x{augmented.Height}x{augmented.Width}.");
        bool wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            using var _ = Autograd.NoGrad();
            for (int v = 0; v < Views; v++)
            {
                var loader = v == 0 ? plain : augmented!;
                foreach (var batch in loader.Epoch(v))
                {
                    using var scope = TensorScope.Begin();
                    var probs = F.Softmax(model.Call(batch.Images), 1);
                    int classes = probs.Shape[1];
                    if (sum.GetLength(1) == 0) sum = new double[data.Count, classes];
                    var d = probs.Data;
                    for (int i = 0; i < batch.Count; i++)
                        for (int c = 0; c < classes; c++) sum[batch.Indices[i], c] += d[i * classes + c];
                }
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
        var mean = new float[sum.GetLength(0), sum.GetLength(1)];
        for (int i = 0; i < mean.GetLength(0); i++)
            for (int c = 0; c < mean.GetLength(1); c++) mean[i, c] = (float)(sum[i, c] / Views);
        return mean;
    }

    /// <summary>
    /// Accuracy, top-5, per-class accuracy and confusion matrix of the averaged predictions; the loss is the
    /// mean negative log of the averaged probability of the true class.
    /// </summary>
    public EvaluationResult Evaluate(Module model, ImageDataset data, int batchSize = 500)
    {
        var p = PredictProbabilities(model, data, batchSize);
        int k = data.ClassCount, classes = p.GetLength(1);
        var confusion = new long[k, k];
        double loss = 0;
        int top1 = 0, top5 = 0;
        for (int i = 0; i < data.Count; i++)
        {
            int truth = data.Labels[i], pred = 0, higher = 0;
            for (int c = 0; c < classes; c++)
            {
                if (p[i, c] > p[i, pred]) pred = c;
                if (p[i, c] > p[i, truth]) higher++;
            }
            confusion[truth, Math.Min(pred, k - 1)]++;
            if (pred == truth) top1++;
            if (higher < 5) top5++;
            loss -= Math.Log(Math.Max(p[i, truth], 1e-30));
        }
        return new EvaluationResult(data.Count == 0 ? 0 : loss / data.Count, data.Count, top1, top5, confusion, data.ClassNames);
    }

    public override string ToString() => $"TestTimeAugmentation(views={Views}, augmentation={Augmentation?.ToString() ?? "none"}, seed={Seed})";
}
