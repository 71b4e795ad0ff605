using Striate.Nn;
using Striate.Onnx;
using Striate.Ops;
using Striate.Tensors;
using Striate.Tests.Support;
using Xunit.Abstractions;

namespace Striate.Tests.Onnx;

/// <summary>A test that needs Debian's python3-torch, python3-torchvision and python3-onnx; skipped, with the reason, without them.</summary>
public sealed class PyTorchFactAttribute : FactAttribute
{
    public PyTorchFactAttribute()
    {
        if (!Available.Value) Skip = $"Debian's python3-torch, python3-torchvision and python3-onnx are not all installed ({PythonScript.Python} cannot import them): install them to import models PyTorch exported";
    }

    private static readonly Lazy<bool> Available = new(() => PythonScript.CanImport("torch, torchvision, onnx"));
}

/// <summary>
/// Models that PyTorch itself wrote with torch.onnx.export (torchvision's networks with random weights and batch-norm
/// statistics, and a module of functional operators: interpolation of every kind, reductions, pixel shuffle, shapes
/// read at run time with a dynamic batch) import and agree with PyTorch's own output within 1e-4 of the largest
/// value, run node by node and in an InferenceSession.
/// </summary>
public class PyTorchOnnxTests(ITestOutputHelper output)
{
    private static readonly Lazy<string> s_exported = new(() =>
    {
        string dir = Repo.TempDir();
        PythonScript.Run(Path.Combine("Onnx", "pytorch_export.py"), dir);
        return dir;
    });

    [PyTorchFact]
    public void ModelsPyTorchExportedAgreeWithPyTorch()
    {
        var report = new List<string>();
        foreach (string folder in Directory.GetDirectories(s_exported.Value).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(folder);
            var module = OnnxModule.Load(Path.Combine(folder, "model.onnx"));
            module.Eval();
            var input = OnnxModel.ParseTensor(File.ReadAllBytes(Path.Combine(folder, "input.pb")), "input");
            var want = OnnxModel.ParseTensor(File.ReadAllBytes(Path.Combine(folder, "output.pb")), "output").ToFloats();
            var x = Tensor.FromArray(input.ToFloats(), [.. input.Dims.Select(d => (int)d)]);
            float[] plain, fused, single;
            using (TensorScope.Begin())
            using (Autograd.NoGrad())
            {
                plain = module.Forward(x).ToArray();
                fused = new InferenceSession(module).Run(x).ToArray();
                // The batch is dynamic: the first example alone gives the first half of the outputs.
                single = module.Forward(F.Narrow(x, 0, 0, 1)).ToArray();
            }
            float scale = want.Max(MathF.Abs);
            Assert.True(want.Length == plain.Length, $"{name}: {plain.Length} outputs, PyTorch gave {want.Length}");
            Assert.True(2 * single.Length == want.Length, $"{name}: one example gave {single.Length} outputs, two gave {want.Length}");
            double worst = 0, worstFused = 0;
            for (int i = 0; i < want.Length; i++)
            {
                worst = Math.Max(worst, Math.Abs(plain[i] - want[i]));
                worstFused = Math.Max(worstFused, Math.Abs(fused[i] - want[i]));
                if (i < single.Length) worst = Math.Max(worst, Math.Abs(single[i] - want[i]));
            }
            report.Add($"{name} (opset {module.Opset}): {worst / scale:E1}, in a session {worstFused / scale:E1} of the largest output {scale:G4}");
            Assert.True(worst <= 1e-4 * scale && worstFused <= 1e-4 * scale, string.Join("\n", report));
        }
        foreach (var line in report) output.WriteLine(line);
        Assert.Equal(9, report.Count);
    }
}
