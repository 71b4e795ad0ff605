using Striate.Models;
using Striate.Nn;
using Striate.Tensors;
using Striate.Training;
using Striate.Transfer;

namespace Striate.Cli;

/// <summary>
/// <c>--model NAME --weights FILE</c>: a zoo model with weights from a state dict written elsewhere (a PyTorch .pth
/// file or safetensors, such as torchvision's), its class count read from the file's head and its input channels from
/// the file's first convolution; every key must fit (the load is strict).
/// </summary>
internal static class WeightsFiles
{
    /// <summary>The zoo model <paramref name="architecture"/> with the weights at <paramref name="path"/>, as a checkpoint without names or normalisation.</summary>
    /// <exception cref="CliUsageException">The name is not a zoo model, or the weights are not that model's.</exception>
    public static Checkpoint Zoo(string architecture, string path, (int H, int W) size, int? channels = null)
    {
        if (File.Exists(architecture))
            throw new CliUsageException($"--weights loads into a zoo model named by --model; '{architecture}' is a file, which holds its own weights.");
        try
        {
            architecture = ModelZoo.Check(architecture);
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException($"--model: {e.Message}");
        }
        var state = StateDictFile.Read(Arguments.ExistingFile(path));
        var heads = ModelHeads.Of(architecture);
        var head = state.FirstOrDefault(kv => kv.Key == heads[0] + ".weight" || (ModelHeads.IsHeadKey(kv.Key, [heads[0]]) && kv.Key.EndsWith(".weight", StringComparison.Ordinal) && kv.Value.Rank == 2));
        if (head.Value is null || head.Value.Rank != 2)
            throw new CliUsageException($"--weights '{path}': no head '{heads[0]}' weight of a {architecture} classifier among its {state.Count} tensors (first keys: {string.Join(", ", state.Take(4).Select(kv => kv.Key))}).");
        int classes = head.Value.Shape[0];
        int c = channels ?? state.FirstOrDefault(kv => kv.Value.Rank == 4).Value?.Shape[1] ?? 1;
        var spec = new ModelSpec(architecture, classes, c, size.H, size.W);
        Module model;
        try
        {
            model = ModelZoo.Create(spec, new Generator(1));
            model.LoadStateDict(state, strict: true);
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException($"--weights '{path}' do not fit {architecture} ({classes} classes, {c}x{size.H}x{size.W} input): {e.Message}");
        }
        model.Eval();
        return new Checkpoint { Spec = spec, Model = model, Mean = [.. Enumerable.Repeat(0f, c)], Std = [.. Enumerable.Repeat(1f, c)] };
    }
}
