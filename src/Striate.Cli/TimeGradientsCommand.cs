using System.CommandLine;
using System.Globalization;
using Striate.Models;
using Striate.Ops;
using Striate.Optim;
using Striate.Tensors;
using Striate.Visualization;

namespace Striate.Cli;

/// <summary>
/// <c>striate visualize time-gradients</c>: the gradient norm with respect to the hidden state at each step of
/// models that read images row by row, after a few training steps from their initialisation (or as a checkpoint
/// holds them), drawn together on a log scale and printed.
/// </summary>
internal static class TimeGradientsCommand
{
    public static Command Create(TextWriter stdout)
    {
        var cmd = new Command("time-gradients", "The norm of the loss's gradient with respect to the hidden state h_t at each step, for models that read images row by row (rnn-rows, lstm-rows, gru-rows): the vanishing gradient, measured.");
        var models = new Option<string[]>("--model", "-m") { Description = "Checkpoints or zoo names of row-reading models (repeatable).", Required = true, AllowMultipleArgumentsPerToken = true };
        var trainSteps = new Option<int>("--train-steps") { Description = "Adam steps (rate 0.003, batch 64) on the training images before measuring, for a model early in training.", DefaultValueFactory = _ => 0 }.Within(0, 100_000);
        var batch = new Option<int>("--batch") { Description = "Test images the norms are averaged over.", DefaultValueFactory = _ => 256 }.Within(1, 10_000);
        var seed = new Option<ulong>("--seed") { Description = "Seed of a zoo model's initialisation and of the training images' order.", DefaultValueFactory = _ => 1 };
        var data = new Option<string?>("--data") { Description = "Folder with the four IDX files (default: the bundled data/fashion-mnist)." };
        var output = VisualizeCommand.OutOption();
        foreach (var o in new Option[] { models, trainSteps, batch, seed, data, output }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            Output.CheckWritable(r.GetValue(output)!, "--out");
            string folder = DataLocator.Resolve(r.GetValue(data));
            var train = Datasets.LoadIdx(folder, train: true);
            var test = Datasets.LoadIdx(folder, train: false);
            int n = Math.Min(r.GetValue(batch), test.Count), steps = r.GetValue(trainSteps);
            var series = new List<(string Name, double[] Norms)>();
            foreach (var name in r.GetValue(models)!)
            {
                Generator.ManualSeed(r.GetValue(seed));
                var src = ModelSource.Load(name, $"{train.Channels}x{train.Height}x{train.Width}");
                if (src.Model is not RowRecurrentNet net)
                    throw new CliUsageException($"--model {name}: a {src.Spec.Architecture} does not read rows; time-gradients takes rnn-rows, lstm-rows or gru-rows (or a checkpoint of one).");
                var trainSet = train.Normalize(src.Mean, src.Std);
                if (steps > 0) Train(net, trainSet, steps, r.GetValue(seed));
                var testSet = test.Normalize(src.Mean, src.Std);
                var images = Tensor.Empty(n, testSet.Channels, testSet.Height, testSet.Width);
                for (int i = 0; i < n; i++) testSet.Image(i).CopyTo(images.Data.Slice(i * testSet.ImageSize, testSet.ImageSize));
                net.Eval();
                var norms = TimeGradients.Measure(net, images, testSet.Labels[..n]);
                series.Add(($"{src.Spec.Architecture}{(File.Exists(name) ? $" ({Path.GetFileName(name)})" : "")}{(steps > 0 ? $", after {steps} steps" : "")}", norms));
            }
            Output.Png(TimeGradients.Draw(series), r.GetValue(output)!, stdout);
            var inv = CultureInfo.InvariantCulture;
            stdout.WriteLine("step  " + string.Join("  ", series.Select(s => s.Name)));
            int longest = series.Max(s => s.Norms.Length);
            for (int t = 0; t < longest; t++)
                stdout.WriteLine(string.Create(inv, $"{t + 1,4}  {string.Join("  ", series.Select(s => t < s.Norms.Length ? s.Norms[t].ToString("E3", inv) : "-"))}"));
            foreach (var (label, norms) in series)
                stdout.WriteLine(string.Create(inv, $"{label}: first step / last step {norms[0] / norms[^1]:E2}"));
            return 0;
        });
        return cmd;
    }

    // Adam at 0.003 on batches of 64 drawn in a seeded order, gradients clipped to norm 1 (as the measured runs train).
    private static void Train(RowRecurrentNet net, Data.ImageDataset set, int steps, ulong seed)
    {
        net.Train();
        var adam = new Adam(net.Parameters().ToList(), 0.003f);
        var order = new Generator(seed).Permutation(set.Count);
        const int size = 64;
        for (int s = 0; s < steps; s++)
        {
            using var scope = TensorScope.Begin();
            var x = Tensor.Empty(size, set.Channels, set.Height, set.Width);
            var y = new int[size];
            for (int i = 0; i < size; i++)
            {
                int k = order[(s * size + i) % order.Length];
                set.Image(k).CopyTo(x.Data.Slice(i * set.ImageSize, set.ImageSize));
                y[i] = set.Labels[k];
            }
            adam.ZeroGrad();
            F.CrossEntropy(net.Forward(x), y).Backward();
            GradientClipping.ClipGradNorm(net.Parameters(), 1.0);
            adam.Step();
        }
    }
}
