using Microsoft.ML.OnnxRuntime;
using Striate.Data;
using Striate.Onnx;
using Striate.Runs;
using Striate.Tensors;
using Striate.Transfer;
using Xunit.Abstractions;

namespace Striate.Oracle.Tests.Onnx;

/// <summary>
/// Transfer from a network that has seen ImageNet (the CNTK ResNet-18 featurizer with its preprocessing graph): a head
/// on its frozen features learns five Fashion-MNIST classes from ten images each, and the classifier Striate writes
/// runs in ONNX Runtime with the same logits. A shortened form of the measured run in docs/RESULTS.md.
/// </summary>
public class ImageNetTransferTests(ITestOutputHelper output)
{
    private static string FashionMnist()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "data", "fashion-mnist"))) return Path.Combine(dir.FullName, "data", "fashion-mnist");
        throw new DirectoryNotFoundException("data/fashion-mnist was not found above the test assembly.");
    }

    private static ImageDataset Load(bool train)
    {
        var s = Striate.Data.FashionMnist.Load(FashionMnist(), train);
        return ImageDataset.FromBytes(s.Images, s.Labels, s.Count, 1, s.Height, s.Width, Striate.Data.FashionMnist.ClassNames);
    }

    [RealModelFact("ResNet18.onnx", "ResNetPreprocess.onnx")]
    public void TenImagesPerClassOnImageNetFeaturesAndTheClassifierRunsInOnnxRuntime()
    {
        string cache = RealModelFactAttribute.Cache;
        var backbone = OnnxBackbone.Create(OnnxModel.Load(Path.Combine(cache, "ResNet18.onnx")), OnnxModel.Load(Path.Combine(cache, "ResNetPreprocess.onnx")),
            (1, 28, 28), pixelScale: 255f, fill: 0.625f);
        Assert.Equal((3, 224, 224), backbone.NetworkShape);
        Assert.Equal([(64, 112, 112), (64, 56, 56), (128, 28, 28), (256, 14, 14), (512, 7, 7), (512, 1, 1)], backbone.Stages.Select(s => (s.Channels, s.Height, s.Width)));
        var options = new BackboneRunOptions { Classes = [5, 6, 7, 8, 9], PerClass = 10, Seed = 1, Flip = true, TestLimit = 500 };
        var run = new BackboneRun(options, backbone, Load(true), Load(false));
        var records = run.Run(log: output.WriteLine);
        double accuracy = records[^1].TestAccuracy!.Value;
        output.WriteLine($"ten images per class: {accuracy:P2} of the first 500 test images of classes 5-9 ({records[^1].Seconds:F1} s)");
        Assert.True(accuracy >= 0.87, $"accuracy {accuracy:P2}: the ImageNet features no longer carry to Fashion-MNIST");

        // The written classifier, in ONNX Runtime and in Striate, on eight test images.
        string path = Path.Combine(Path.GetTempPath(), $"striate-transfer-{Environment.ProcessId}.onnx");
        run.Classifier!.Save(path);
        try
        {
            int n = 8;
            var pixels = new float[n * 784];
            for (int i = 0; i < n; i++) run.TestSet.Image(i).CopyTo(pixels.AsSpan(i * 784));
            var module = OnnxModule.Load(path);
            module.Eval();
            float[] striate;
            using (TensorScope.Begin())
            using (Autograd.NoGrad())
                striate = module.Forward(Tensor.FromArray(pixels, n, 1, 28, 28)).ToArray();
            using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path, new SessionOptions { IntraOpNumThreads = 2 });
            using var results = session.Run(new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor(OnnxBackbone.InputName, new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(pixels, [n, 1, 28, 28])) });
            var reference = results.First().AsTensor<float>().ToArray();
            Assert.Equal(n * 5, reference.Length);
            float scale = reference.Max(MathF.Abs), worst = 0;
            for (int i = 0; i < reference.Length; i++) worst = MathF.Max(worst, MathF.Abs(reference[i] - striate[i]));
            output.WriteLine($"classifier logits: largest {scale:G4}, largest difference from ONNX Runtime {worst:G3}");
            Assert.True(worst <= 1e-4f * scale, $"the classifier's logits differ from ONNX Runtime's by {worst} (largest {scale})");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
