// Saves any module's weights (a zoo model or one of one's own) to safetensors under PyTorch's state-dict keys, loads
// them into a fresh instance, and checks that both give the same outputs.
// Usage: SaveAndLoadWeights OUT.safetensors
using Striate.Models;
using Striate.Nn;
using Striate.Tensors;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: SaveAndLoadWeights OUT.safetensors");
    return 2;
}
var model = new ResNet18Like(new Generator(seed: 3));
model.Save(args[0]);

var copy = new ResNet18Like(new Generator(seed: 4));      // other random weights
var result = copy.Load(args[0]);
Console.WriteLine($"loaded {copy.StateDict().Count} tensors; missing {result.MissingKeys.Count}, unexpected {result.UnexpectedKeys.Count}");

var input = Tensor.Randn(new Generator(seed: 5), 2, 3, 32, 32);
model.Eval();
copy.Eval();
float[] a = model.Forward(input).ToArray(), b = copy.Forward(input).ToArray();
bool same = a.SequenceEqual(b);
Console.WriteLine(same ? "outputs identical" : "outputs differ");
return same ? 0 : 1;

/// <summary>A zoo network inside a module of one's own: its keys are "backbone.*".</summary>
sealed class ResNet18Like : Module
{
    private readonly Module _backbone;

    public ResNet18Like(Generator gen) =>
        _backbone = RegisterModule("backbone", ModelZoo.Create(new ModelSpec("resnet18", 10, 3, 32, 32), gen));

    protected override Tensor OnForward(Tensor x) => _backbone.Forward(x);
}
