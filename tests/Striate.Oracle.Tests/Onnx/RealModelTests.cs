using Microsoft.ML.OnnxRuntime;
using Striate.Imaging;
using Striate.Onnx;
using Striate.Tensors;
using Xunit.Abstractions;
using Tensor = Striate.Tensors.Tensor;

namespace Striate.Oracle.Tests.Onnx;

/// <summary>A test that needs the real models scripts/fetch-models puts in its cache; skipped, with the reason, without them.</summary>
public sealed class RealModelFactAttribute : FactAttribute
{
    public static string Cache => Striate.Bench.ModelCache.Folder;

    public RealModelFactAttribute(params string[] files)
    {
        var missing = files.Where(f => !File.Exists(Path.Combine(Cache, f))).ToList();
        if (missing.Count > 0) Skip = $"the real model files {string.Join(", ", missing)} are not in {Cache}: run scripts/fetch-models";
    }
}

/// <summary>Models trained and exported by others, run by Striate and by ONNX Runtime on the same photographs.</summary>
public class RealModelTests(ITestOutputHelper output)
{
    private static string Photos()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "data", "images"))) return Path.Combine(dir.FullName, "data", "images");
        throw new DirectoryNotFoundException("data/images was not found above the test assembly.");
    }

    private static float[] RunOrt(string path, string input, float[] data, int[] dims)
    {
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path, new SessionOptions { IntraOpNumThreads = 2 });
        using var results = session.Run(new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor(input, new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(data, dims)) });
        return results.First().AsTensor<float>().ToArray();
    }

    [RealModelFact("face_detection_front_128x128_barracuda.onnx", "face_detection_back_256x256_barracuda.onnx")]
    public void TheBlazeFaceDetectorsAgreeWithOnnxRuntimeOnThePhotographs()
    {
        foreach (var (file, size) in new[] { ("face_detection_front_128x128_barracuda.onnx", 128), ("face_detection_back_256x256_barracuda.onnx", 256) })
        {
            string path = Path.Combine(RealModelFactAttribute.Cache, file);
            var model = OnnxModule.Load(path);
            Assert.Equal(12, model.Opset);
            model.Eval();
            using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path, new SessionOptions { IntraOpNumThreads = 2 });
            foreach (var photo in Directory.GetFiles(Photos(), "*.png").Order(StringComparer.Ordinal))
            {
                // NHWC pixels in [-1, 1], as MediaPipe feeds the detector.
                var image = Image.Load(photo, 3).Resize(size, size);
                int hw = size * size;
                var nhwc = new float[3 * hw];
                for (int i = 0; i < hw; i++)
                    for (int c = 0; c < 3; c++) nhwc[i * 3 + c] = image.Pixels[c * hw + i] * 2 - 1;
                int[] dims = [1, size, size, 3];
                IReadOnlyList<Tensor> striate;
                using var scope = TensorScope.Begin();
                using (Autograd.NoGrad())
                    striate = model.Run(new Dictionary<string, OnnxTensor> { [model.InputInfo.Name] = OnnxTensor.FromFloats(model.InputInfo.Name, [1, size, size, 3], nhwc) });
                using var results = session.Run(new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor(model.InputInfo.Name, new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(nhwc, dims)) });
                var byName = results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
                var outputs = model.Model.Graph.Outputs;
                Assert.Equal(4, outputs.Count);
                for (int k = 0; k < outputs.Count; k++)
                {
                    var reference = byName[outputs[k].Name];
                    var got = striate[k].ToArray();
                    Assert.Equal(reference.Length, got.Length);
                    float scale = reference.Max(MathF.Abs), worst = 0;
                    for (int i = 0; i < got.Length; i++) worst = MathF.Max(worst, MathF.Abs(reference[i] - got[i]));
                    output.WriteLine($"{file} {Path.GetFileName(photo)} {outputs[k].Name}: largest {scale:G4}, largest difference {worst:G3}");
                    Assert.True(worst <= 1e-4f * MathF.Max(scale, 1f), $"{file} on {Path.GetFileName(photo)}, output {outputs[k].Name}: differs from ONNX Runtime by {worst} (largest {scale})");
                }
            }
        }
    }

    [RealModelFact("ResNet18.onnx", "ResNetPreprocess.onnx")]
    public void TheCntkResNet18FeaturizerAgreesWithOnnxRuntimeOnThePhotographs()
    {
        string resnetPath = Path.Combine(RealModelFactAttribute.Cache, "ResNet18.onnx"), prepPath = Path.Combine(RealModelFactAttribute.Cache, "ResNetPreprocess.onnx");
        var resnet = OnnxModule.Load(resnetPath);
        var prep = OnnxModule.Load(prepPath);
        Assert.Equal(8, resnet.Opset);
        resnet.Eval();
        prep.Eval();
        foreach (var photo in Directory.GetFiles(Photos(), "*.png").Order(StringComparer.Ordinal))
        {
            // The featurizer takes 224x224 RGB pixels in [0, 255].
            var image = Image.Load(photo, 3).Resize(224, 224);
            var pixels = image.Pixels.Select(v => v * 255f).ToArray();
            int[] dims = [1, 3, 224, 224];
            float[] striate;
            using (TensorScope.Begin())
            using (Autograd.NoGrad())
                striate = resnet.Forward(prep.Forward(Tensor.FromArray(pixels, dims))).ToArray();
            var prepared = RunOrt(prepPath, prep.InputInfo.Name, pixels, dims);
            var reference = RunOrt(resnetPath, resnet.InputInfo.Name, prepared, dims);
            Assert.Equal(512, striate.Length);
            Assert.Equal(reference.Length, striate.Length);
            float scale = reference.Max(MathF.Abs), worst = 0;
            for (int i = 0; i < reference.Length; i++) worst = MathF.Max(worst, MathF.Abs(reference[i] - striate[i]));
            output.WriteLine($"{Path.GetFileName(photo)}: largest feature {scale:G4}, largest difference {worst:G3} ({worst / scale:G3} relative)");
            Assert.True(worst <= 1e-4f * scale, $"{Path.GetFileName(photo)}: Striate differs from ONNX Runtime by {worst} (largest feature {scale})");
        }
    }
}
