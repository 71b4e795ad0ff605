using Striate.Models;
using Striate.Nn;
using Striate.Ops;
using Striate.Optim;
using Striate.Runs;
using Striate.Tensors;
using Striate.Tests.Support;
using Striate.Training;
using Striate.Transfer;

namespace Striate.Tests.Runs;

/// <summary>
/// A frozen batch-norm layer (<see cref="BatchNorm.UseRunningStats"/>) behaves as in evaluation while the model
/// trains: same outputs, same input gradient, running statistics untouched; and fine-tuning a head on a frozen
/// backbone with batch norm keeps the backbone's features exactly the pre-trained ones.
/// </summary>
public class FrozenBatchNormTests
{
    private static Tensor Images(int n, ulong seed) => Tensor.Uniform(new Generator(seed), -1f, 1f, n, 1, 28, 28);

    private static Dictionary<string, float[]> Buffers(Module m) =>
        m.StateDict().Where(kv => kv.Key.Contains("running_", StringComparison.Ordinal) || kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());

    [Fact]
    public void AFrozenLayerNormalisesWithItsRunningStatisticsAndKeepsThemInTraining()
    {
        var bn = new BatchNorm2d(3);
        var gen = new Generator(4);
        for (int i = 0; i < 3; i++) bn.Forward(Tensor.Uniform(gen, 0f, 5f, 6, 3, 4, 4)); // non-trivial running statistics
        Init.Uniform(bn.Weight!, 0.5f, 2f, gen);
        Init.Uniform(bn.Bias!, -1f, 1f, gen);
        var mean = bn.RunningMean!.ToArray();
        var variance = bn.RunningVar!.ToArray();
        float tracked = bn.NumBatchesTracked!.Data[0];

        bn.UseRunningStats = true;
        bn.Train();
        var x = Tensor.Uniform(gen, 0f, 5f, 4, 3, 4, 4);
        x.RequiresGrad = true;
        var g = Tensor.Uniform(gen, -1f, 1f, 4, 3, 4, 4);
        F.Sum(F.Mul(bn.Forward(x), g)).Backward();
        var y = bn.Forward(x).ToArray();
        Check.Equal(mean, bn.RunningMean.Data, "running_mean");
        Check.Equal(variance, bn.RunningVar.Data, "running_var");
        Assert.Equal(tracked, bn.NumBatchesTracked.Data[0]);

        // Float64 reference: y = (x - mean) / sqrt(var + eps) * w + b; dy/dx = g * w / sqrt(var + eps).
        var xs = x.ToArray();
        var gs = g.ToArray();
        var yRef = new double[xs.Length];
        var dxRef = new double[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            int c = i / 16 % 3;
            double inv = 1 / Math.Sqrt(variance[c] + (double)bn.Eps);
            yRef[i] = (xs[i] - mean[c]) * inv * bn.Weight!.Data[c] + bn.Bias!.Data[c];
            dxRef[i] = gs[i] * bn.Weight.Data[c] * inv;
        }
        Check.Close(yRef, y, 1e-5, 1e-5, "frozen batch norm in training mode");
        Check.Close(dxRef, x.Grad!.Data, 1e-5, 1e-5, "input gradient");

        // Switched back, the same layer uses the batch again.
        bn.UseRunningStats = false;
        bn.Forward(x);
        Assert.Equal(tracked + 1, bn.NumBatchesTracked.Data[0]);
        Assert.NotEqual(mean[0], bn.RunningMean.Data[0]);
    }

    [Fact]
    public void ALayerWithoutRunningStatisticsCannotBeFrozen()
    {
        var bn = new BatchNorm1d(4, trackRunningStats: false);
        var e = Assert.Throws<InvalidOperationException>(() => bn.UseRunningStats = true);
        Assert.Contains("running statistics", e.Message);
    }

    [Fact]
    public void TrainingTheHeadOfAFrozenBatchNormBackboneLeavesItsFeaturesAsInEvaluation()
    {
        var spec = new ModelSpec("resnet8-small", 5, 1, 28, 28);
        var net = ModelZoo.Create(spec, new Generator(3));
        for (int i = 0; i < 4; i++) net.Forward(Images(8, (ulong)(10 + i))); // running statistics away from 0 and 1
        FineTuning.TrainOnly(net, "fc");
        var frozen = FineTuning.FreezeBatchNormStatistics(net);
        var bns = net.NamedModules().Where(m => m.Module is BatchNorm).Select(m => m.Name).ToList();
        Assert.True(bns.Count >= 7, $"resnet8-small should have batch norms, found {bns.Count}");
        Assert.Equal(bns, frozen);
        var buffers = Buffers(net);
        var opt = new Adam(FineTuning.Trainable(net).Select(p => p.Parameter), lr: 0.05f);
        net.Train();
        for (int step = 0; step < 3; step++)
        {
            opt.ZeroGrad();
            F.CrossEntropy(net.Forward(Images(8, 20)), [0, 1, 2, 3, 4, 0, 1, 2]).Backward();
            opt.Step();
        }
        foreach (var (key, v) in Buffers(net)) Check.Equal(buffers[key], v, key);
        var x = Images(6, 30);
        var training = net.Forward(x).ToArray();
        net.Eval();
        Check.Close(net.Forward(x).ToArray().Select(v => (double)v).ToArray(), training, 1e-5, 1e-6, "logits in training mode vs evaluation");
    }

    [Fact]
    public void ABatchNormLayerWithATrainableParameterIsNotFrozen()
    {
        var net = ModelZoo.Create(new ModelSpec("resnet8-small", 5, 1, 28, 28), new Generator(3));
        FineTuning.TrainOnly(net, "fc", "layer3");
        var frozen = FineTuning.FreezeBatchNormStatistics(net);
        Assert.NotEmpty(frozen);
        Assert.DoesNotContain(frozen, p => p.StartsWith("layer3", StringComparison.Ordinal));
        Assert.Contains(frozen, p => p.StartsWith("layer1", StringComparison.Ordinal));
        Assert.All(net.NamedModules().Where(m => m.Module is BatchNorm && m.Name.StartsWith("layer3", StringComparison.Ordinal)),
            m => Assert.False(((BatchNorm)m.Module).UseRunningStats));
    }

    [Fact]
    public void FineTuningABatchNormModelKeepsThePretrainedStatistics()
    {
        var pre = new FineTuneRun(new FineTuneOptions { Classes = [0, 1, 2, 3, 4], PerClass = 200, Model = "resnet8-small", Epochs = 2, Seed = 2, TestLimit = 50 }, Repo.Train, Repo.Test);
        pre.Run();
        var source = new Checkpoint { Spec = pre.Spec, Model = pre.Model, Mean = pre.Mean, Std = pre.Std };
        var buffers = Buffers(pre.Model);
        var tuned = new FineTuneRun(new FineTuneOptions { Classes = [5, 6, 7, 8, 9], PerClass = 40, From = source, TrainLayers = ["fc"], Lr = 0.01f, Epochs = 4, Seed = 3, TestLimit = 200 }, Repo.Train, Repo.Test);
        Assert.Equal(pre.Model.NamedModules().Count(m => m.Module is BatchNorm), tuned.FrozenBatchNorms.Count);
        var records = tuned.Run();
        foreach (var (key, v) in Buffers(tuned.Model)) Check.Equal(buffers[key], v, key);
        // The head learnt something on the frozen features (chance is 20%).
        Assert.True(records[^1].TestAccuracy > 0.4, $"head accuracy {records[^1].TestAccuracy:P1}");

        var scratch = new FineTuneRun(new FineTuneOptions { Classes = [5, 6, 7, 8, 9], PerClass = 40, Model = "resnet8-small", Epochs = 1, Seed = 3, TestLimit = 100 }, Repo.Train, Repo.Test);
        Assert.Empty(scratch.FrozenBatchNorms);
    }
}
