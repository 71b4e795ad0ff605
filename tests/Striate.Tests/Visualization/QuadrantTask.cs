using Striate.Data;
using Striate.Nn;
using Striate.Optim;
using Striate.Tensors;
using Striate.Training;

namespace Striate.Tests.Visualization;

/// <summary>
/// A synthetic task whose label depends on one quadrant only: 16x16 noisy images cluttered with sixteen bright dots
/// anywhere, and a five-pixel bar inside the top-left 8x8 quadrant; the class is the bar's orientation. A model that
/// solves it must look there, so its attribution maps must too. Trained once per test run (a few seconds).
/// </summary>
internal static class QuadrantTask
{
    public const int Size = 16, Half = 8;

    private static readonly Lazy<(Module Model, ImageDataset Test, double Accuracy)> s_trained = new(Train);

    public static Module Model => s_trained.Value.Model;
    public static ImageDataset Test => s_trained.Value.Test;
    public static double Accuracy => s_trained.Value.Accuracy;

    public static Sequential Build(ulong seed)
    {
        var g = new Generator(seed);
        return new Sequential(
            ("conv1", new Conv2d(1, 8, 3, padding: 1, generator: g)), ("relu1", new ReLU()), ("pool1", new MaxPool2d(2)),
            ("conv2", new Conv2d(8, 16, 3, padding: 1, generator: g)), ("relu2", new ReLU()), ("pool2", new MaxPool2d(2)),
            ("flatten", new Flatten()), ("fc", new Linear(16 * 4 * 4, 2, generator: g)));
    }

    public static ImageDataset Make(int count, ulong seed)
    {
        var g = new Generator(seed);
        var pixels = new float[count * Size * Size];
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            var img = pixels.AsSpan(n * Size * Size, Size * Size);
            for (int i = 0; i < img.Length; i++) img[i] = 0.05f * g.NextFloat();
            // Clutter everywhere: four bright dots in each quadrant.
            for (int d = 0; d < 16; d++)
                img[Math.Min((int)(g.NextFloat() * Size), Size - 1) * Size + Math.Min((int)(g.NextFloat() * Size), Size - 1)] = 1;
            // The label: a vertical or horizontal bar of five pixels inside the top-left quadrant.
            bool vertical = g.NextFloat() < 0.5f;
            labels[n] = vertical ? 0 : 1;
            int a = 1 + (int)(g.NextFloat() * 4), b = 1 + (int)(g.NextFloat() * 2);
            for (int t = 0; t < 5; t++)
            {
                int y = vertical ? b + t : a + 1, x = vertical ? a + 1 : b + t;
                img[y * Size + x] = 1;
            }
        }
        return ImageDataset.FromFloats(pixels, labels, 1, Size, Size, ["vertical", "horizontal"]);
    }

    private static (Module, ImageDataset, double) Train()
    {
        var model = Build(7);
        var train = Make(3000, 11);
        var test = Make(300, 12);
        var trainer = new Trainer(model, new AdamW(model.Parameters(), 5e-3f, weightDecay: 0.5f));
        for (int e = 0; e < 3; e++) trainer.TrainEpoch(new DataLoader(train, 50, shuffle: true, seed: 3), e);
        var eval = Trainer.Evaluate(model, new DataLoader(test, 100));
        model.Eval();
        return (model, test, eval.Top1);
    }

    public static Tensor Image(int index)
    {
        var t = Tensor.Persistent(new Shape(1, 1, Size, Size));
        Test.Image(index).CopyTo(t.Data);
        return t;
    }
}
