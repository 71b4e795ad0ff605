using System.Text.Json;
using Striate.Embeddings;
using Striate.Models;
using Striate.Runs;
using Striate.Tensors;
using Striate.Tests.Support;
using Striate.Training;

namespace Striate.Tests.Runs;

/// <summary>
/// What an embedding run can make of its weights besides training them: a moving average that is validated and
/// saved instead of the live weights, flip-averaged embeddings as a property of the saved model, and a backbone
/// started from a classifier's weights.
/// </summary>
public class EmbeddingAveragingTests
{
    private static EmbeddingOptions Small => new() { Classes = [0, 1, 2, 3, 4, 5, 6], EmbeddingDim = 16, Epochs = 1, TrainLimit = 700, Seed = 4, ValidationPairs = 200, Lr = 1e-3f };

    private static Dictionary<string, float[]> State(Striate.Nn.Module m) => m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());

    [Fact]
    public void TheWeightAverageLeavesTrainingAloneAndIsWhatIsValidatedAndSaved()
    {
        var plain = new EmbeddingRun(Small, Repo.Train);
        var plainEpochs = plain.Run();
        var averaged = new EmbeddingRun(Small with { EmaDecay = 0.9 }, Repo.Train);
        var epochs = averaged.Run();
        Assert.Null(plain.AveragedModel);
        Assert.Same(plain.Model, plain.Final);
        Assert.Same(averaged.AveragedModel, averaged.Final);

        // The live weights are those of the run without an average, bit for bit; the average differs from them.
        var live = State(averaged.Model);
        foreach (var (k, v) in State(plain.Model)) Check.Equal(v, live[k], k);
        Assert.Equal(plainEpochs[0].TrainLoss, epochs[0].TrainLoss);
        var avg = State(averaged.Final);
        Assert.True(avg.Any(kv => !kv.Value.SequenceEqual(live[kv.Key])), "the average equals the live weights");

        // Validation (tau, AUC) is of the average, not of the live weights.
        Assert.NotEqual(plainEpochs[0].ValidationAuc, epochs[0].ValidationAuc);
        Assert.True(epochs[0].ValidationAuc > 0.6, $"validation AUC of the average {epochs[0].ValidationAuc:F4}");

        // The checkpoint holds the average and records the decay.
        string path = Path.Combine(Repo.TempDir(), "ema.safetensors");
        averaged.Save(path, 1);
        var loaded = Checkpoint.Load(path);
        foreach (var (k, v) in State(loaded.Model)) Check.Equal(avg[k], v, $"saved {k}");
        Assert.Equal("0.9", loaded.Extra["ema_decay"]);
        Assert.Equal("EmaDecay", Assert.Throws<SettingException>(() => new EmbeddingRun(Small with { EmaDecay = 1 }, Repo.Train)).Setting);
    }

    // images [N, 1, H, W] mirrored left to right, written plainly.
    private static Tensor Mirror(Tensor x)
    {
        int n = x.Shape[0], h = x.Shape[2], w = x.Shape[3];
        var m = new float[x.Numel];
        for (int i = 0; i < n; i++)
            for (int r = 0; r < h; r++)
                for (int c = 0; c < w; c++)
                    m[(i * h + r) * w + c] = x.Data[(i * h + r) * w + (w - 1 - c)];
        return Tensor.FromArray(m, n, 1, h, w);
    }

    [Fact]
    public void FlipAveragedEmbeddingsAreMirrorInvariantAndTravelWithTheSpec()
    {
        var spec = new ModelSpec("lenet5", 7, 1, 28, 30, EmbeddingDim: 10, L2Normalize: true, FlipAverage: true);
        var net = (EmbeddingNet)ModelZoo.Create(spec, new Generator(8));
        var x = Tensor.Uniform(new Generator(9), -1f, 1f, 3, 1, 28, 30);
        var e = net.Embed(x);

        // normalise(Forward(x) + Forward(mirror(x))), in float64 from the two plain embeddings.
        net.Eval();
        var a = net.Forward(x).ToArray();
        var b = net.Forward(Mirror(x)).ToArray();
        for (int i = 0; i < 3; i++)
        {
            var sum = Enumerable.Range(0, 10).Select(j => (double)a[i * 10 + j] + b[i * 10 + j]).ToArray();
            double norm = Math.Sqrt(sum.Sum(v => v * v));
            Check.Close(sum.Select(v => v / norm).ToArray(), e[i], 1e-5, 1e-6, $"flip-averaged embedding {i}");
        }
        var em = net.Embed(Mirror(x));
        for (int i = 0; i < 3; i++) Check.Close(e[i], em[i], 1e-5, 1e-6, $"embedding of mirror {i}");

        // The same weights without the flag are not mirror-invariant: the flag is what makes them so.
        var plain = (EmbeddingNet)ModelZoo.Create(spec with { FlipAverage = false }, new Generator(8));
        Assert.True(plain.Embed(x)[0].Zip(plain.Embed(Mirror(x))[0]).Max(p => Math.Abs(p.First - p.Second)) > 1e-3);

        // Saved in the spec, so a loaded checkpoint embeds the same way; a classifier spec cannot ask for it.
        Assert.Contains("\"flip_average\":true", spec.ToJson());
        Assert.DoesNotContain("flip_average", (spec with { FlipAverage = false }).ToJson());
        string path = Path.Combine(Repo.TempDir(), "flip.safetensors");
        new Checkpoint { Spec = spec, Model = net, Mean = [0f], Std = [1f] }.Save(path);
        var loaded = (EmbeddingNet)Checkpoint.Load(path).Model;
        Assert.True(loaded.FlipAverage);
        for (int i = 0; i < 3; i++) Check.Equal(e[i], loaded.Embed(x)[i], $"reloaded embedding {i}");
        Assert.Throws<InvalidDataException>(() => ModelSpec.FromJson("{\"architecture\":\"lenet5\",\"num_classes\":7,\"in_channels\":1,\"input_height\":28,\"input_width\":28,\"flip_average\":true}", "test"));
        Assert.Equal(JsonValueKind.True, JsonDocument.Parse(spec.ToJson()).RootElement.GetProperty("flip_average").ValueKind);
    }

    [Fact]
    public void TheBackboneStartsFromAClassifierWithoutItsHead()
    {
        var classifier = ModelZoo.Create(new ModelSpec("lenet5", 7, 1, 28, 28), new Generator(21));
        var run = new EmbeddingRun(Small, Repo.Train);
        var report = run.InitializeFrom(classifier.StateDict());
        var given = State(classifier);
        var backbone = State(run.Model.Backbone);
        // Every layer but the head comes from the classifier; the head (7 classes) is skipped and the
        // embedding layer (16 values) keeps its fresh weights.
        foreach (var k in new[] { "conv1.weight", "conv2.bias", "fc1.weight", "fc2.bias" }) Check.Equal(given[k], backbone[k], k);
        Assert.Equal(["fc3.bias", "fc3.weight"], report.Skipped.Select(s => s.Key).Order());
        Assert.All(report.Skipped, s => Assert.Equal("head", s.Reason));
        Assert.Equal(["fc3.bias", "fc3.weight"], report.Fresh.Order());
        Assert.Equal(new[] { 16, 84 }, run.Model.Backbone.StateDict().First(kv => kv.Key == "fc3.weight").Value.Shape.ToArray());
        Assert.Same(report, run.Initialization);

        // The average starts from the loaded weights: after one step (decay min(0.999, 1/10) = 0.1) it is
        // 0.1 * loaded + 0.9 * live, with no trace of the fresh initialisation.
        var averaged = new EmbeddingRun(Small with { EmaDecay = 0.999, TrainLimit = 200, Validation = 0.5 }, Repo.Train);
        averaged.InitializeFrom(classifier.StateDict());
        var start = State(averaged.Model);
        averaged.Run();
        var avg = State(averaged.Final);
        var after = State(averaged.Model);
        foreach (var k in new[] { "backbone.conv1.weight", "backbone.fc3.weight" })
        {
            Assert.False(start[k].SequenceEqual(after[k]), $"{k} did not train");
            Check.Close(start[k].Zip(after[k], (s0, s1) => 0.1 * s0 + 0.9 * s1).ToArray(), avg[k], 1e-5, 1e-6, $"average of {k} after one step");
        }

        var other = ModelZoo.Create(new ModelSpec("resnet8-small", 7, 1, 28, 28), new Generator(1));
        var e = Assert.Throws<ArgumentException>(() => new EmbeddingRun(Small, Repo.Train).InitializeFrom(other.StateDict()));
        Assert.Contains("fit no layer", e.Message);
    }
}
