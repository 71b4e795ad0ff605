using System.CommandLine;
using Striate.Serialization;

namespace Striate.Cli;

/// <summary>
/// <c>striate convert IN.pth OUT.safetensors [--float32]</c>: a PyTorch state dict (torch.save's zip or legacy format)
/// as safetensors, read without Python: every tensor under its key, in its own element type (or float32 with
/// --float32), with what was unwrapped or renamed on the way printed.
/// </summary>
public static class ConvertCommand
{
    public static Command Create(TextWriter stdout)
    {
        var cmd = new Command("convert", "Convert a PyTorch .pth state dict to .safetensors (without Python; nothing in the file runs).");
        var input = new Argument<string>("input") { Description = "PyTorch file written by torch.save(model.state_dict()) (zip or legacy format; a checkpoint that nests the state dict too)." };
        var output = new Argument<string>("output") { Description = "The .safetensors file to write (its folder is created)." };
        var float32 = new Option<bool>("--float32") { Description = "Convert half, bfloat16 and double tensors (and integer ones) to float32." };
        cmd.Arguments.Add(input);
        cmd.Arguments.Add(output);
        cmd.Options.Add(float32);
        cmd.SetAction(r =>
        {
            string from = Arguments.ExistingFile(r.GetValue(input)!), to = r.GetValue(output)!;
            if (!to.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                throw new CliUsageException($"output '{to}': expected a .safetensors file.");
            Output.CheckWritable(to, "output");
            var content = PthFile.Read(from);
            var tensors = r.GetValue(float32)
                ? content.Tensors.Select(e => e.DType == SafeTensorDType.Float32 ? e : SafeTensorEntry.FromFloat32(e.Name, [.. e.Shape], e.ToFloat32Converted())).ToList()
                : content.Tensors;
            SafeTensors.Write(to, tensors, new Dictionary<string, string> { ["format"] = "pt", ["converted_from"] = Path.GetFileName(from) });
            foreach (var note in content.Notes) stdout.WriteLine(note);
            var types = tensors.GroupBy(e => SafeTensors.DTypeCode(e.DType)).Select(g => $"{g.Count()} {g.Key}");
            stdout.WriteLine($"wrote {Path.GetFullPath(to)}: {tensors.Count} tensors ({string.Join(", ", types)}), {tensors.Sum(e => e.ElementCount):N0} values, from a {content.Format}-format PyTorch file");
            return 0;
        });
        return cmd;
    }
}
