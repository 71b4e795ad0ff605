using Striate.Models;
using Striate.Nn;
using Striate.Training;

namespace Striate.Cli;

/// <summary>A model to draw: a checkpoint written by <c>striate train</c>, or an untrained zoo model by name.</summary>
internal sealed record ModelSource(Module Model, ModelSpec Spec, float[] Mean, float[] Std, IReadOnlyList<string> ClassNames, bool Trained)
{
    /// <summary>
    /// Loads <paramref name="model"/>: a checkpoint file, or a zoo name built for <paramref name="input"/> (CxHxW, default
    /// 1x28x28) with <see cref="ModelZoo.DefaultClasses"/> classes.
    /// </summary>
    public static ModelSource Load(string model, string? input = null)
    {
        ModelSource source;
        if (Directory.Exists(model)) throw new CliUsageException(Arguments.FolderNotFile(model));
        if (File.Exists(model))
        {
            var ck = Checkpoint.Load(model);
            if (input is not null && Arguments.Chw(input) != (ck.Spec.InChannels, ck.Spec.InputHeight, ck.Spec.InputWidth))
                throw new CliUsageException($"--input {input}: '{model}' takes {ck.Spec.InChannels}x{ck.Spec.InputHeight}x{ck.Spec.InputWidth} images; --input only sizes a zoo model.");
            source = new ModelSource(ck.Model, ck.Spec, ck.Mean, ck.Std, ck.ClassNames, true);
        }
        else
        {
            try
            {
                model = ModelZoo.Check(model);
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException($"--model: '{model}' is not a checkpoint file (looked at {Path.GetFullPath(model)}). {e.Message}");
            }
            var (c, h, w) = input is null ? (1, 28, 28) : Arguments.Chw(input);
            var spec = new ModelSpec(model, ModelZoo.DefaultClasses(model), c, h, w);
            source = new ModelSource(ModelZoo.Create(spec), spec, [.. Enumerable.Repeat(0f, c)], [.. Enumerable.Repeat(1f, c)], [], false);
            try
            {
                ModelSummary.Of(source.Model, c, h, w, model);
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException($"{model} cannot take {c}x{h}x{w} images{(input is null ? " (the default; give --input CxHxW)" : "")}: {e.Message}");
            }
        }
        source.Model.Eval();
        return source;
    }

    /// <summary>The name of class <paramref name="index"/> (its number when the checkpoint has no names).</summary>
    public string ClassName(int index) => index >= 0 && index < ClassNames.Count ? ClassNames[index] : index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
