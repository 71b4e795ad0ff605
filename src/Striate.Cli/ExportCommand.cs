using System.CommandLine;
using Striate.Training;

namespace Striate.Cli;

/// <summary>
/// <c>striate export --model M --weights-only -o OUT.safetensors</c>: a checkpoint for deployment, without the
/// optimizer's state (Adam keeps two values per weight, so a checkpoint that can resume training is three times the
/// size of the model).
/// </summary>
public static class ExportCommand
{
    public static Command Create(TextWriter stdout)
    {
        var cmd = new Command("export", "Write a trained model for deployment: --weights-only keeps the weights, normalisation and class names and drops the optimizer's state (every verb reads the result; it cannot resume training).");
        var model = new Option<string>("--model", "-m") { Description = "Checkpoint written by striate train or finetune.", Required = true };
        var weightsOnly = new Option<bool>("--weights-only") { Description = "Drop the optimizer's state (the only export so far; .safetensors output)." };
        var output = new Option<string>("--out", "-o") { Description = "File to write (.safetensors; its folder is created).", Required = true };
        foreach (var o in new Option[] { model, weightsOnly, output }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            string path = Arguments.ExistingFile(r.GetValue(model)!), outPath = r.GetValue(output)!;
            if (!r.GetValue(weightsOnly))
                throw new CliUsageException("export writes a weights-only checkpoint; give --weights-only.");
            if (!outPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                throw new CliUsageException($"--out '{outPath}': a weights-only checkpoint is a .safetensors file.");
            Output.CheckWritable(outPath, "--out");
            Checkpoint.Load(path).WeightsOnly().Save(outPath);
            long before = new FileInfo(path).Length, after = new FileInfo(outPath).Length;
            stdout.WriteLine($"wrote {Path.GetFullPath(outPath)}: {after:N0} bytes ({before:N0} with the optimizer's state)");
            return 0;
        });
        return cmd;
    }
}
