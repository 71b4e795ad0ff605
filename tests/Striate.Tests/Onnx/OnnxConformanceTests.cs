using System.Globalization;
using System.Text;
using Striate.Onnx;
using Striate.Tensors;
using Striate.Tests.Support;
using Xunit.Abstractions;

namespace Striate.Tests.Onnx;

/// <summary>
/// ONNX's own node tests (each a model.onnx with its inputs and expected outputs as TensorProto files), run for every
/// operator Striate implements, at ONNX's backend tolerances (rtol 1e-3, atol 1e-7). Tests whose tensors are not
/// float32 (int64 inputs are taken as constants, int64 outputs compared exactly) are counted as another element type, which Striate does not compute in.
/// </summary>
public class OnnxConformanceTests(ITestOutputHelper output)
{
    private sealed record Outcome(string Test, string Op, string Result, string? Why);

    // Striate's convolutions and pooling are 1-D and 2-D: tests of the same operators on 5-D inputs are counted apart.
    private static readonly HashSet<string> s_spatial = ["Conv", "ConvTranspose", "MaxPool", "AveragePool"];

    private static Outcome RunOne(string dir)
    {
        string test = Path.GetFileName(dir);
        OnnxModel model;
        try
        {
            model = OnnxModel.Load(Path.Combine(dir, "model.onnx"));
        }
        catch (InvalidDataException e)
        {
            return new(test, "?", "unreadable", e.Message);
        }
        var ops = model.Graph.Nodes.Select(n => n.OpType).Distinct().ToList();
        string op = string.Join("+", ops);
        var missing = ops.Where(o => !OnnxOps.Names.Contains(o)).ToList();
        if (missing.Count > 0) return new(test, op, "not implemented", string.Join(", ", missing));
        string data = Path.Combine(dir, "test_data_set_0");
        List<OnnxTensor> inputs, expected;
        try
        {
            inputs = Directory.GetFiles(data, "input_*.pb").Order(StringComparer.Ordinal).Select(f => OnnxModel.ParseTensor(File.ReadAllBytes(f), f)).ToList();
            expected = Directory.GetFiles(data, "output_*.pb").Order(StringComparer.Ordinal).Select(f => OnnxModel.ParseTensor(File.ReadAllBytes(f), f)).ToList();
        }
        catch (InvalidDataException e)
        {
            // Sequence and optional values (SequenceProto, OptionalProto), which are not tensors.
            return new(test, op, "other element type", $"not a tensor: {e.Message}");
        }
        // Int64 outputs are computed shapes (Shape, Size), which Run returns as float values; they are compared exactly.
        if (ops.Any(s_spatial.Contains) && inputs.Any(t => t.Dims.Length == 5)) return new(test, op, "3-D", "3-D operations are not implemented");
        if (inputs.Any(t => t.Type is not (OnnxDataType.Float or OnnxDataType.Int64 or OnnxDataType.Int32)) || expected.Any(t => t.Type is not (OnnxDataType.Float or OnnxDataType.Int64)))
            return new(test, op, "other element type", string.Join(", ", inputs.Concat(expected).Select(t => t.Type).Distinct()));
        OnnxModule module;
        try
        {
            module = OnnxModule.FromModel(model, test);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidDataException)
        {
            return new(test, op, "refused", e.Message);
        }
        module.Eval();
        var names = module.Inputs.Select(i => i.Name).ToList();
        if (names.Count != inputs.Count) return new(test, op, "failed", $"the model takes {names.Count} inputs, the data has {inputs.Count}");
        try
        {
            IReadOnlyList<Tensor> actual;
            using (TensorScope.Begin())
            using (Autograd.NoGrad())
            {
                actual = module.Run(names.Zip(inputs).ToDictionary(p => p.First, p => p.Second));
                for (int k = 0; k < expected.Count; k++)
                {
                    var want = expected[k];
                    var got = actual[k];
                    var wantDims = want.Dims.Select(d => (int)d).ToArray();
                    if (!got.Shape.ToArray().SequenceEqual(wantDims))
                        return new(test, op, "failed", $"output {k} has shape {got.Shape}, expected [{string.Join(", ", wantDims)}]");
                    var w = want.Type == OnnxDataType.Int64 ? want.ToInt64s().Select(v => (float)v).ToArray() : want.ToFloats();
                    var g = got.ToArray();
                    for (int i = 0; i < w.Length; i++)
                        if (!(MathF.Abs(g[i] - w[i]) <= 1e-7f + 1e-3f * MathF.Abs(w[i])) && !(float.IsNaN(w[i]) && float.IsNaN(g[i])))
                            return new(test, op, "failed", $"output {k}[{i}] is {g[i].ToString("G9", CultureInfo.InvariantCulture)}, expected {w[i].ToString("G9", CultureInfo.InvariantCulture)}");
                }
            }
            return new(test, op, "passed", null);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or InvalidDataException or InvalidOperationException)
        {
            return new(test, op, "failed", $"{e.GetType().Name}: {e.Message}");
        }
    }

    [OnnxTestDataFact]
    public void EveryTestOfAnImplementedOperatorPasses()
    {
        // The operator tests, and the models PyTorch exported (modules and operators) with their recorded outputs.
        var outcomes = new[] { "node", "pytorch-converted", "pytorch-operator", "simple" }
            .SelectMany(set => Directory.GetDirectories(Path.Combine(Path.GetDirectoryName(OnnxTestDataFactAttribute.NodeTests)!, set)).Order(StringComparer.Ordinal))
            .Select(RunOne).ToList();
        var report = new StringBuilder();
        foreach (var group in outcomes.Where(o => o.Result is not ("not implemented" or "unreadable")).GroupBy(o => o.Op).OrderBy(g => g.Key, StringComparer.Ordinal))
            report.AppendLine($"{group.Key}: {group.Count(o => o.Result == "passed")}/{group.Count()} passed" +
                string.Concat(group.Where(o => o.Result != "passed").Select(o => $"; {o.Test} {o.Result}{(o.Why is null ? "" : $" ({o.Why})")}")));
        report.AppendLine($"in all: {outcomes.Count} tests; {outcomes.Count(o => o.Result == "passed")} passed, " +
            $"{outcomes.Count(o => o.Result == "failed")} failed, {outcomes.Count(o => o.Result == "refused")} refused, {outcomes.Count(o => o.Result == "other element type")} of another element type, " +
            $"{outcomes.Count(o => o.Result == "3-D")} 3-D, {outcomes.Count(o => o.Result == "not implemented")} of operators not implemented, {outcomes.Count(o => o.Result == "unreadable")} unreadable");
        output.WriteLine(report.ToString());
        var bad = outcomes.Where(o => o.Result is "failed" or "unreadable" or "refused").ToList();
        Assert.True(bad.Count == 0, $"{bad.Count} tests of implemented operators did not pass:\n{string.Join("\n", bad.Select(o => $"{o.Test} ({o.Op}): {o.Result}: {o.Why}"))}\n\n{report}");
    }
}
