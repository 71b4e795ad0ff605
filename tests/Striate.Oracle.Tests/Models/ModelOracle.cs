using Striate.Nn;
using Striate.Tensors;
using TorchSharp;
using ST = Striate.Tensors.Tensor;
using TT = TorchSharp.torch.Tensor;

namespace Striate.Oracle.Tests.Models;

/// <summary>
/// Shared steps of the model oracle tests: giving a Striate model non-trivial batch norm statistics and biases,
/// copying its state dict by name into an equivalent TorchSharp module, and comparing evaluation-mode outputs.
/// </summary>
internal static class ModelOracle
{
    /// <summary>
    /// Draws batch norm scales in [0.5, 1.5] and shifts, running means and convolution biases from N(0, 0.1), and
    /// running variances in [0.5, 1.5], so that evaluation mode exercises every buffer.
    /// </summary>
    public static void Perturb(Module model, Generator generator)
    {
        foreach (var (_, m) in model.NamedModules())
        {
            switch (m)
            {
                case BatchNorm bn:
                    Fill(bn.Weight, ST.Uniform(generator, 0.5f, 1.5f, bn.NumFeatures));
                    Fill(bn.Bias, ST.Normal(generator, 0f, 0.1f, bn.NumFeatures));
                    Fill(bn.RunningMean, ST.Normal(generator, 0f, 0.1f, bn.NumFeatures));
                    Fill(bn.RunningVar, ST.Uniform(generator, 0.5f, 1.5f, bn.NumFeatures));
                    break;
                case Conv2d conv when conv.Bias is not null:
                    Fill(conv.Bias, ST.Normal(generator, 0f, 0.1f, conv.Bias.Shape.ToArray()));
                    break;
            }
        }
    }

    /// <summary>Runs <paramref name="steps"/> training-mode forwards so batch norm's running statistics move.</summary>
    public static void TrainSteps(Module model, Generator generator, int steps, params int[] inputShape)
    {
        model.Train();
        using (Autograd.NoGrad())
        {
            for (int i = 0; i < steps; i++)
                model.Forward(ST.Normal(generator, 0f, 1f, inputShape));
        }
    }

    /// <summary>
    /// Asserts that the state dicts of <paramref name="ours"/> and <paramref name="theirs"/> have the same keys
    /// and shapes, then copies every Striate tensor into the TorchSharp one of the same name. num_batches_tracked
    /// (a float in Striate, an int64 in torch) takes part in the key comparison but is not copied.
    /// </summary>
    public static void CopyState(Module ours, torch.nn.Module theirs)
    {
        var ourState = ours.StateDict();
        var theirState = theirs.state_dict();
        var ourKeys = ourState.Select(kv => kv.Key).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var theirKeys = theirState.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        Assert.Equal(ourKeys.Count, ourState.Count);
        var onlyTheirs = theirKeys.Except(ourKeys, StringComparer.Ordinal).ToList();
        var onlyOurs = ourKeys.Except(theirKeys, StringComparer.Ordinal).ToList();
        Assert.True(onlyTheirs.Count == 0 && onlyOurs.Count == 0,
            $"Only in torch: [{string.Join(", ", onlyTheirs)}]; only in Striate: [{string.Join(", ", onlyOurs)}].");
        Assert.Equal(theirKeys, ourKeys);

        using (torch.no_grad())
        {
            foreach (var (key, value) in ourState)
            {
                TT target = theirState[key];
                Assert.True(target.shape.SequenceEqual(value.Shape.ToArray().Select(d => (long)d)),
                    $"{key}: torch shape [{string.Join(", ", target.shape)}], Striate {value.Shape}.");
                if (key.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
                    continue;
                using TT source = TorchInterop.ToTensor(value.ToArray(), value.Shape.ToArray(), dtype: target.dtype);
                target.copy_(source);
            }
        }
    }

    /// <summary>
    /// Evaluation-mode outputs of both models on <paramref name="input"/>, asserted close within
    /// <paramref name="relTol"/> (relative above magnitude 1, absolute below) to the torch model run in float64;
    /// the torch model's float32 output is compared with its float64 output too and reported
    /// (<see cref="Float32Report"/>) where they disagree. Returns the largest error against float64 and the largest
    /// torch output in magnitude.
    /// </summary>
    public static (double Error, double Scale) CompareEval(Module ours, torch.nn.Module<TT, TT> theirs, ST input, double relTol, string what)
    {
        ours.Eval();
        theirs.eval();
        float[] actual;
        using (Autograd.NoGrad())
            actual = ours.Forward(input).ToArray();
        // The state was copied in float32; widened to float64 it holds the same values.
        float[] expected = TorchInterop.Reference(what, relTol, dtype =>
        {
            theirs.to(dtype);
            using (torch.no_grad())
                return theirs.forward(TorchInterop.ToTensor(input.ToArray(), input.Shape.ToArray(), dtype: dtype));
        });
        OracleAssert.Close(expected, actual, relTol, what);
        double worst = 0, scale = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(actual[i] - (double)expected[i]) / Math.Max(1.0, Math.Abs(expected[i])));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        return (worst, scale);
    }

    private static void Fill(ST? target, ST values)
    {
        if (target is not null) values.Data.CopyTo(target.Data);
    }
}
