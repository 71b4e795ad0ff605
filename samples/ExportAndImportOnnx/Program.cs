// Exports a trained checkpoint to ONNX, reads the file back as a module, checks that both give the same
// probabilities, and fine-tunes the imported model's last layer for a few steps (its weights are ordinary parameters).
// Usage: ExportAndImportOnnx CHECKPOINT OUT.onnx
using Striate.Onnx;
using Striate.Ops;
using Striate.Optim;
using Striate.Tensors;
using Striate.Training;
using Striate.Transfer;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: ExportAndImportOnnx CHECKPOINT OUT.onnx");
    return 2;
}
var ck = Checkpoint.Load(args[0]);
var spec = ck.Spec;
OnnxExport.Export(ck.Model, args[1], (spec.InChannels, spec.InputHeight, spec.InputWidth),
    metadata: new Dictionary<string, string> { ["classes"] = string.Join(",", ck.ClassNames) });
Console.WriteLine($"wrote {args[1]} ({new FileInfo(args[1]).Length:N0} bytes)");

var imported = OnnxModule.Load(args[1]);
Console.WriteLine($"read {imported}: {imported.StateDict().Count} weights, input '{imported.InputInfo.Name}'");

var input = Tensor.Randn(new Generator(seed: 1), 4, spec.InChannels, spec.InputHeight, spec.InputWidth);
ck.Model.Eval();
imported.Eval();
float worst;
using (Autograd.NoGrad())
{
    float[] a = F.Softmax(ck.Model.Forward(input), 1).ToArray(), b = F.Softmax(imported.Forward(input), 1).ToArray();
    worst = a.Zip(b).Max(p => MathF.Abs(p.First - p.Second));
}
Console.WriteLine($"largest difference in probability: {worst:G3}");

// Fine-tune only the last layer of the imported model: freeze everything else by its state-dict key.
FineTuning.TrainOnly(imported, "fc3");
imported.Train();
var optimizer = new Adam(imported.Parameters().Where(p => p.RequiresGrad), 1e-3f);
int[] labels = [0, 1, 2, 3];
float first = 0, last = 0;
for (int step = 0; step < 10; step++)
{
    using var scope = TensorScope.Begin();
    var loss = F.CrossEntropy(imported.Forward(input), labels);
    if (step == 0) first = loss.Item();
    last = loss.Item();
    optimizer.ZeroGrad();
    loss.Backward();
    optimizer.Step();
}
Console.WriteLine($"fine-tuning fc3 of the imported model: loss {first:F4} -> {last:F4}");
return worst < 1e-5f && last < first ? 0 : 1;
