using Microsoft.ML.OnnxRuntime;
using Striate.Models;
using Striate.Nn;
using Striate.Onnx;
using Striate.Tensors;
using Tensor = Striate.Tensors.Tensor;
using Xunit.Abstractions;

namespace Striate.Oracle.Tests.Onnx;

/// <summary>
/// Every zoo model exported to ONNX and run by ONNX Runtime: its logits agree with Striate's own within 1e-4 of the
/// largest logit, for a batch of two (the batch dimension is free).
/// </summary>
public class OnnxRuntimeExportTests(ITestOutputHelper output)
{
    // The smallest input each family takes (ImageNet networks whose classifier expects a 7x7 or 6x6 map need 224).
    private static (int C, int H, int W) InputFor(string name) => name switch
    {
        _ when name.StartsWith("lenet5", StringComparison.Ordinal) || name is "lstm-rows" or "gru-rows" => (1, 28, 28),
        "rnn-rows" => (3, 16, 20), // rows of three channels: a Transpose before the Reshape
        "alexnet-paper" => (3, 227, 227),
        _ when name.StartsWith("vgg", StringComparison.Ordinal) || name.StartsWith("alexnet", StringComparison.Ordinal) || name == "zfnet" => (3, 224, 224),
        _ when name.StartsWith("googlenet", StringComparison.Ordinal) => (3, 96, 96),
        _ when name.EndsWith("-small", StringComparison.Ordinal) || name is "nin" or "plain8" => (3, 32, 32),
        _ => (3, 64, 64),
    };

    public static TheoryData<string> Models() => [.. ModelZoo.Names];

    /// <summary>Gives the batch-norm layers statistics other than 0 and 1, so that folding them wrong would show.</summary>
    internal static void PerturbBatchNorm(Module model)
    {
        var g = new Generator(11);
        foreach (var (key, t) in model.StateDict())
            if (key.EndsWith("running_mean", StringComparison.Ordinal) || key.EndsWith("running_var", StringComparison.Ordinal))
            {
                var noise = Tensor.Randn(g, t.Shape.ToArray());
                for (int i = 0; i < t.Numel; i++) t.Data[i] = key.EndsWith("mean", StringComparison.Ordinal) ? 0.1f * noise.Data[i] : 1 + 0.2f * MathF.Abs(noise.Data[i]);
            }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void OnnxRuntimeAgreesWithStriateOnEveryZooModel(string name)
    {
        var (c, h, w) = InputFor(name);
        var spec = new ModelSpec(name, 10, c, h, w);
        var model = ModelZoo.Create(spec, new Generator(7));
        PerturbBatchNorm(model);
        model.Eval();
        byte[] onnx = OnnxExport.ToModel(model, (c, h, w)).ToBytes();

        var x = Tensor.Randn(new Generator(3), 2, c, h, w);
        float[] expected;
        using (TensorScope.Begin())
        using (Autograd.NoGrad())
            expected = model.Forward(x).ToArray();

        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnx, new SessionOptions { IntraOpNumThreads = 2 });
        var input = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(x.ToArray(), new[] { 2, c, h, w });
        using var results = session.Run(new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor("input", input) });
        float[] actual = results.First().AsTensor<float>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        float scale = expected.Max(MathF.Abs), worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = MathF.Max(worst, MathF.Abs(expected[i] - actual[i]));
        output.WriteLine($"{name} {c}x{h}x{w}: {onnx.Length:N0} bytes, largest |logit| {scale:G4}, largest difference {worst:G3}");
        Assert.True(worst <= 1e-4f * MathF.Max(scale, 1e-3f), $"{name}: ONNX Runtime differs by {worst} (largest logit {scale})");
    }

    // Rows of an image through a recurrent network chosen by the test, read at the last step.
    private sealed class Rows : Striate.Nn.Module
    {
        private readonly Striate.Nn.RecurrentNetwork _rnn;
        private readonly Striate.Nn.Linear _fc;

        public Rows(Striate.Nn.RecurrentNetwork rnn)
        {
            _rnn = RegisterModule("rnn", rnn);
            _fc = RegisterModule("fc", new Striate.Nn.Linear(rnn.OutputSize * (rnn.Bidirectional ? 2 : 1), 3, generator: new Generator(5)));
        }

        protected override Tensor OnForward(Tensor input)
        {
            int n = input.Shape[0], steps = input.Shape[2];
            var y = _rnn.Forward(Striate.Ops.F.Reshape(input, n, steps, input.Shape[3]));
            return _fc.Forward(Striate.Ops.F.Reshape(Striate.Ops.F.Narrow(y, 1, steps - 1, 1), n, y.Shape[2]));
        }
    }

    public static TheoryData<string> RecurrentKinds() => ["lstm", "lstm-peephole", "gru", "rnn-relu"];

    [Theory]
    [MemberData(nameof(RecurrentKinds))]
    public void TwoBidirectionalRecurrentLayersExportAndRunInOnnxRuntime(string kind)
    {
        var g = new Generator(9);
        Striate.Nn.RecurrentNetwork rnn = kind switch
        {
            "lstm" => new Striate.Nn.LSTM(7, 6, numLayers: 2, batchFirst: true, bidirectional: true, generator: g),
            "lstm-peephole" => new Striate.Nn.LSTM(7, 6, numLayers: 2, batchFirst: true, bidirectional: true, peephole: true, generator: g),
            "gru" => new Striate.Nn.GRU(7, 6, numLayers: 2, batchFirst: true, bidirectional: true, generator: g),
            _ => new Striate.Nn.RNN(7, 6, numLayers: 2, nonlinearity: "relu", batchFirst: true, bidirectional: true, generator: g),
        };
        var model = new Rows(rnn);
        model.Eval();
        var exported = OnnxExport.ToModel(model, (1, 5, 7));
        byte[] onnx = exported.ToBytes();
        var x = Tensor.Randn(new Generator(3), 2, 1, 5, 7);
        float[] expected, imported;
        using (TensorScope.Begin())
        using (Autograd.NoGrad())
        {
            expected = model.Forward(x).ToArray();
            var back = OnnxModule.FromModel(exported);
            back.Eval();
            imported = back.Forward(x).ToArray();
        }
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnx, new SessionOptions { IntraOpNumThreads = 2 });
        using var results = session.Run(new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor("input", new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(x.ToArray(), new[] { 2, 1, 5, 7 })) });
        float[] actual = results.First().AsTensor<float>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        float scale = expected.Max(MathF.Abs), worst = 0, worstImported = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            worst = MathF.Max(worst, MathF.Abs(expected[i] - actual[i]));
            worstImported = MathF.Max(worstImported, MathF.Abs(expected[i] - imported[i]));
        }
        output.WriteLine($"{kind}: largest |output| {scale:G4}, ONNX Runtime differs by {worst:G3}, Striate's import of the file by {worstImported:G3}");
        Assert.True(worst <= 1e-5f * MathF.Max(scale, 1f), $"{kind}: ONNX Runtime differs by {worst} (largest {scale})");
        Assert.True(worstImported <= 1e-6f * MathF.Max(scale, 1f), $"{kind}: the imported file differs by {worstImported}");
    }
}
