using System.Diagnostics;
using Striate.Models;
using Striate.Onnx;
using Striate.Tensors;
using Striate.Tests.Support;

namespace Striate.Tests.Onnx;

/// <summary>A test that needs Debian's python3-onnx (onnx.checker); skipped, with the reason, without it.</summary>
public sealed class OnnxCheckerFactAttribute : FactAttribute
{
    public OnnxCheckerFactAttribute()
    {
        if (!Available.Value) Skip = $"Debian's python3-onnx is not installed ({PythonScript.Python} cannot import onnx): install it to run onnx.checker on the exported models";
    }

    private static readonly Lazy<bool> Available = new(() => PythonScript.CanImport("onnx"));
}

/// <summary>The exported files pass ONNX's own checker, with its full check (shape inference included).</summary>
public class OnnxCheckerTests
{
    [OnnxCheckerFact]
    public void ExportedZooModelsPassOnnxChecker()
    {
        string dir = Repo.TempDir();
        var files = new List<string>();
        foreach (var (name, c, h, w) in new[] { ("lenet5", 1, 28, 28), ("resnet8-small", 3, 32, 32), ("googlenet", 3, 96, 96), ("densenet121", 3, 32, 32), ("mobilenet-v1-0.25", 3, 64, 64), ("nin", 3, 32, 32), ("lenet5-classic", 1, 28, 28) })
        {
            string path = Path.Combine(dir, name + ".onnx");
            OnnxExport.Export(ModelZoo.Create(new ModelSpec(name, 10, c, h, w), new Generator(1)), path, (c, h, w));
            files.Add(path);
        }
        const string script = "import sys, onnx\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\n    print('ok', p)\n";
        var psi = new ProcessStartInfo(PythonScript.Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (var f in files) psi.ArgumentList.Add(f);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd(), error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"onnx.checker refused an exported model: {error}\n{output}");
        Assert.Equal(files.Count, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.StartsWith("ok ", StringComparison.Ordinal)));
    }
}
