using Striate.Ops;
using Striate.Tensors;
using TorchSharp;
using Xunit.Sdk;
using TF = TorchSharp.torch.nn.functional;

namespace Striate.Oracle.Tests.Ops;

/// <summary>
/// The oracle's own guarantees: a Striate result that is off fails every case on every host, whatever libtorch's
/// float32 says; libtorch's float32 disagreeing with its float64 is reported, not failed.
/// </summary>
public class OracleSelfTests
{
    private static readonly (string Table, OpOracle[] Cases)[] Tables =
    [
        ("conv", ConvOracleTests.Table),
        ("elementwise", ElementwiseOracleTests.Table),
        ("linear and reductions", LinearReduceOracleTests.Table),
        ("losses", LossOracleTests.Table),
        ("norms", NormOracleTests.Table),
        ("pooling", PoolOracleTests.Table),
        ("padding", PadOracleTests.Table),
    ];

    public static TheoryData<string, string> AllCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var (table, cases) in Tables)
            foreach (var c in cases) data.Add(table, c.Name);
        return data;
    }

    // Adds 100 tolerances (relative above 1) to the first finite output; an all-NaN output is left as it is.
    private static Func<Tensor[], Tensor> NudgeOutput(OpOracle c, out bool applies)
    {
        var probe = Draw(c);
        float[] y = c.Striate(probe).ToArray();
        int k = Array.FindIndex(y, float.IsFinite);
        applies = k >= 0;
        if (k < 0) return c.Striate;
        float delta = (float)(100 * c.RelTol * Math.Max(1, Math.Abs(y[k])));
        return t =>
        {
            var output = c.Striate(t);
            var nudge = new float[output.Shape.Numel];
            nudge[k] = delta;
            return F.Add(output, Tensor.FromArray(nudge, output.Shape.ToArray()));
        };
    }

    // Leaves the output as it is (adds an exact zero) and adds 1 to the first element of the first gradient.
    private static Func<Tensor[], Tensor> NudgeGradient(OpOracle c, out bool applies)
    {
        int input = Enumerable.Range(0, c.Shapes.Length).FirstOrDefault(i => !c.NoGrad.Contains(i), -1);
        applies = input >= 0 && c.Shapes[input].Aggregate(1, (a, b) => a * b) > 0;
        if (!applies) return c.Striate;
        return t =>
        {
            var x = t[input];
            var zero = Autograd.Record(Tensor.Scalar(0f), "oracle_nudge", [x], (_, grads) =>
            {
                var g = Tensor.Zeros(x.Shape);
                g.Data[0] = 1f;
                grads[0] = g;
            });
            return F.Add(c.Striate(t), zero);
        };
    }

    private static Tensor[] Draw(OpOracle c)
    {
        var gen = new Generator(OpOracle.Seed(c.Name));
        return c.Shapes.Select((s, i) => Tensor.Uniform(gen, (c.Ranges.TryGetValue(i, out var r) ? r : c.Range).Low,
            (c.Ranges.TryGetValue(i, out var q) ? q : c.Range).High, s)).ToArray();
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void APerturbedStriateResultFailsTheCase(string table, string name)
    {
        var c = Tables.Single(t => t.Table == table).Cases.Single(x => x.Name == name);
        var output = c with { Striate = NudgeOutput(c, out bool outputApplies) };
        var gradient = c with { Striate = NudgeGradient(c, out bool gradientApplies) };
        Assert.True(outputApplies || gradientApplies, $"{name}: neither the output nor a gradient can be perturbed.");
        if (outputApplies)
            Assert.ThrowsAny<XunitException>(() => output.Check(float32: false));
        if (gradientApplies)
            Assert.ThrowsAny<XunitException>(() => gradient.Check(float32: false));
    }

    [Fact]
    public void Float32WrongInLibTorchIsReportedNotFailed()
    {
        // A libtorch that is right in float64 and 1% off in float32, as some hosts' float32 convolutions are.
        var c = OpOracle.Case("relu, float32 off by 1%", [[3, 7]], t => F.Relu(t[0]),
            t => t[0].dtype == torch.ScalarType.Float32 ? TF.relu(t[0]) * 1.01 : TF.relu(t[0])) with { Range = (-3, 3) };
        var report = new Float32Report();

        c.Check(report: report);

        string line = Assert.Single(report.Lines);
        Assert.Contains("'relu, float32 off by 1%'", line);
        Assert.Contains("output:", line);
        Assert.Contains("gradient of input 0:", line);
        Assert.Contains("Largest difference", line);
    }

    [Fact]
    public void AStriateErrorFailsEvenWhenLibTorchFloat32SharesIt()
    {
        // Striate computes leaky_relu where relu was asked; a float32 libtorch with the same fault does not save it.
        var c = OpOracle.Case("relu computed as leaky_relu", [[3, 4]], t => F.LeakyRelu(t[0], 0.2f),
            t => t[0].dtype == torch.ScalarType.Float32 ? TF.leaky_relu(t[0], 0.2) : TF.relu(t[0]));
        var report = new Float32Report();

        var e = Assert.ThrowsAny<XunitException>(() => c.Check(report: report));

        Assert.Contains("relu computed as leaky_relu: output", e.Message);
        Assert.Single(report.Lines);
    }

    [Fact]
    public void AgreementIsNotReported()
    {
        var report = new Float32Report();
        ElementwiseOracleTests.Table.Single(c => c.Name == "relu").Check(report: report);
        Assert.Empty(report.Lines);
    }

    [Fact]
    public void AReferenceBuiltInFloat32IsRefused()
    {
        // A case whose libtorch call ignores the precision it is given would make float32 the reference again.
        var c = OpOracle.Case("relu in a fixed float32", [[3, 4]], t => F.Relu(t[0]), t => TF.relu(t[0].to_type(torch.ScalarType.Float32)));
        var e = Assert.ThrowsAny<XunitException>(() => c.Check(float32: false));
        Assert.Contains("computed the output of 'relu in a fixed float32' in Float32", e.Message);
    }
}
