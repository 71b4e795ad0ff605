using Striate.Models;
using Striate.Tensors;
using Striate.Tests.Onnx;
using Striate.Tests.Support;
using Xunit.Abstractions;

namespace Striate.Tests.Serialization;

/// <summary>
/// State dicts of torchvision's networks as PyTorch 1.13 saves them (zip and legacy formats, random weights and
/// batch-norm statistics, written at test time by torchvision_state_dicts.py; VGG-11-BN with STRIATE_BIG_MODELS=1) load into the zoo's models, whose
/// logits then agree with PyTorch's own, computed in float64, within 1e-5 of the largest.
/// </summary>
[Collection(nameof(SerialCollection))]
public class TorchvisionPthTests(ITestOutputHelper output)
{
    // VGG-11-BN's state dict is 530 MB: beside the other test projects it can exhaust a 24 GiB host, so it runs when
    // STRIATE_BIG_MODELS=1 asks for it.
    private static readonly string[] Names = Environment.GetEnvironmentVariable("STRIATE_BIG_MODELS") == "1"
        ? ["resnet18", "googlenet", "densenet121", "vgg11_bn"] : ["resnet18", "googlenet", "densenet121"];

    private static readonly Lazy<string> s_saved = new(() =>
    {
        string dir = Repo.TempDir();
        PythonScript.Run(Path.Combine("Serialization", "torchvision_state_dicts.py"), [dir, .. Names]);
        return dir;
    });

    private static readonly Dictionary<string, string> s_zoo = new() { ["resnet18"] = "resnet18", ["googlenet"] = "googlenet-torchvision", ["densenet121"] = "densenet121", ["vgg11_bn"] = "vgg11-bn" };

    [PyTorchFact]
    public void TorchvisionStateDictsGiveTorchvisionsLogits()
    {
        foreach (var name in Names)
        {
            string arch = s_zoo[name];
            string stem = Path.Combine(s_saved.Value, name);
            var chw = File.ReadAllText(stem + ".shape").Split(' ').Select(int.Parse).ToArray();
            var input = Doubles(stem + ".input.bin");
            var want = Doubles(stem + ".logits.bin");
            foreach (var file in new[] { stem + ".pth", stem + ".legacy.pth" }.Where(File.Exists))
            {
                var model = ModelZoo.Create(new ModelSpec(arch, 10, chw[0], chw[1], chw[2]), new Generator(9));
                var result = model.Load(file);
                Assert.Empty(result.MissingKeys);
                model.Eval();
                float[] got;
                using (TensorScope.Begin())
                using (Autograd.NoGrad())
                    got = model.Forward(Tensor.FromArray([.. input.Select(v => (float)v)], 2, chw[0], chw[1], chw[2])).ToArray();
                double scale = want.Max(Math.Abs), worst = want.Select((w, i) => Math.Abs(w - got[i])).Max();
                output.WriteLine($"{Path.GetFileName(file)} into {arch}: {worst / scale:E1} of the largest logit {scale:G4}");
                Assert.True(worst <= 1e-5 * scale, $"{Path.GetFileName(file)} into {arch}: logits differ by {worst / scale:E2} of the largest");
            }
        }
    }

    private static double[] Doubles(string path)
    {
        var b = File.ReadAllBytes(path);
        var d = new double[b.Length / 8];
        Buffer.BlockCopy(b, 0, d, 0, b.Length);
        return d;
    }
}
