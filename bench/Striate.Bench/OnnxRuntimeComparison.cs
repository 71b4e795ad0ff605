using System.Globalization;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using Striate.Models;
using Striate.Onnx;
using Striate.Tensors;
using STensor = Striate.Tensors.Tensor;

namespace Striate.Bench;

/// <summary>
/// Inference against ONNX Runtime on the same .onnx files (`--onnx-runtime`): each zoo model exported by Striate, run
/// by ONNX Runtime, by Striate's <see cref="Striate.Nn.InferenceSession"/> on the native model, and by the session on
/// the model imported from the file; both engines at the same thread count, in one process, alternating (the
/// harness). The imported model is also timed against the native one directly, alternating, so their ratio does not
/// carry the drift between two separate measurements. Batch 1, 224 x 224, 1000 classes. Prints a markdown table.
/// </summary>
public static class OnnxRuntimeComparison
{
    private static readonly string[] s_models = ["resnet18", "resnet50", "vgg16", "mobilenet-v1", "googlenet", "densenet121"];

    private static Side Ort(byte[] onnx, float[] input, int threads, string inputName = "input")
    {
        var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        var session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnx, options);
        var value = NamedOnnxValue.CreateFromTensor(inputName, new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(input, new[] { 1, 3, 224, 224 }));
        var feed = new List<NamedOnnxValue> { value };
        return new Side(() =>
        {
            using var results = session.Run(feed);
        }, () => { session.Dispose(); options.Dispose(); });
    }

    private static Side Striate(Striate.Nn.Module model, float[] input)
    {
        var session = new Striate.Nn.InferenceSession(model);
        var x = STensor.FromArray(input, 1, 3, 224, 224);
        return new Side(() =>
        {
            using (TensorScope.Begin()) session.Run(x);
        });
    }

    public static string Run(int threads, int repeats, double target, int warmup, string? filter, TextWriter log)
    {
        var table = new StringBuilder();
        table.AppendLine("| model (batch 1, 224 x 224) | ONNX Runtime images/s | Striate native images/s | ratio | Striate imported images/s | ratio | imported / native, alternating |");
        table.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        var input = new float[3 * 224 * 224];
        var g = new Generator(5);
        var noise = STensor.Randn(g, input.Length);
        noise.Data.CopyTo(input);
        foreach (var name in s_models.Where(m => filter is null || m.Contains(filter, StringComparison.OrdinalIgnoreCase)))
        {
            var model = ModelZoo.Create(new ModelSpec(name, 1000, 3, 224, 224), new Generator(1));
            model.Eval();
            byte[] onnx = OnnxExport.ToModel(model, (3, 224, 224)).ToBytes();
            var imported = OnnxModule.FromModel(OnnxModel.Parse(onnx, name + ".onnx"), name + ".onnx");
            var native = Harness.Measure(new Workload($"{name} native", "images/s", 1, () => Striate(model, input), () => Ort(onnx, input, threads)), repeats, target, warmup);
            var fromFile = Harness.Measure(new Workload($"{name} imported", "images/s", 1, () => Striate(imported, input), () => Ort(onnx, input, threads)), repeats, target, warmup);
            var paired = Harness.Measure(new Workload($"{name} imported against native", "images/s", 1, () => Striate(imported, input), () => Striate(model, input)), repeats, target, warmup);
            string F(double v) => v.ToString(v >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);
            string line = $"| {name} | {F(native.Torch.Median)} | {F(native.Striate.Median)} | {native.Ratio.ToString("F2", CultureInfo.InvariantCulture)} | {F(fromFile.Striate.Median)} | {fromFile.Ratio.ToString("F2", CultureInfo.InvariantCulture)} | {paired.Ratio.ToString("F2", CultureInfo.InvariantCulture)} |";
            log.WriteLine(line);
            table.AppendLine(line);
        }
        // The CNTK ResNet-18 featurizer (NuGet, fetched by scripts/fetch-models): imported only, there is no native model.
        string featurizer = Path.Combine(ModelCache.Folder, "ResNet18.onnx");
        if (filter is null || "resnet18-featurizer".Contains(filter, StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(featurizer)) log.WriteLine($"(no featurizer row: {featurizer} is missing; scripts/fetch-models fetches it)");
            else
            {
                byte[] onnx = File.ReadAllBytes(featurizer);
                var imported = OnnxModule.FromModel(OnnxModel.Parse(onnx, featurizer), featurizer);
                imported.Eval();
                var row = Harness.Measure(new Workload("resnet18-featurizer imported", "images/s", 1, () => Striate(imported, input), () => Ort(onnx, input, threads, "Input247")), repeats, target, warmup);
                string F(double v) => v.ToString(v >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);
                string line = $"| CNTK ResNet-18 featurizer (NuGet) | {F(row.Torch.Median)} | | | {F(row.Striate.Median)} | {row.Ratio.ToString("F2", CultureInfo.InvariantCulture)} | |";
                log.WriteLine(line);
                table.AppendLine(line);
            }
        }
        return table.ToString();
    }
}
