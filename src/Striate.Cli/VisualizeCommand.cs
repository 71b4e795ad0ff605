using System.CommandLine;
using Striate.Nn;
using Striate.Visualization;

namespace Striate.Cli;

/// <summary>
/// <c>striate visualize filters|activations|saliency|guided|deconvnet|gradcam|occlusion|receptive-field</c>: pictures
/// of what a trained network has learned and why it decides as it does, written as PNG files.
/// </summary>
public static class VisualizeCommand
{
    // The most input values (samples x channels x height x width) the receptive-field measurement draws at once.
    private const long MaxSampleValues = 1L << 26;

    public static Command Create(TextWriter stdout)
    {
        var cmd = new Command("visualize", "Draw a model's filters, feature maps, saliency maps and receptive fields as PNG files.");
        cmd.Subcommands.Add(Filters(stdout));
        cmd.Subcommands.Add(Activations(stdout));
        foreach (var c in AttributionCommands.Create(stdout)) cmd.Subcommands.Add(c);
        cmd.Subcommands.Add(ReceptiveField(stdout));
        cmd.Subcommands.Add(TimeGradientsCommand.Create(stdout));
        return cmd;
    }

    internal static Option<string> ModelOption() =>
        new("--model", "-m") { Description = "Checkpoint written by striate train (or a model name, untrained).", Required = true };

    internal static Option<string?> InputOption() =>
        new("--input", "-i") { Description = "Input size CxHxW when --model is a model name (default 1x28x28; a checkpoint knows its own)." };

    internal static Option<string> OutOption() =>
        new("--out", "-o") { Description = "PNG file to write (its folder is created).", Required = true };

    private static Command Filters(TextWriter stdout)
    {
        var cmd = new Command("filters", "The filters of a convolution layer as a grid (RGB first layers in colour, deeper layers one tile per input channel).");
        var model = ModelOption();
        var layer = new Option<string?>("--layer", "-l") { Description = "Convolution layer name, e.g. conv1 or features.0 (default: the first convolution)." };
        var input = InputOption();
        var output = OutOption();
        foreach (var o in new Option[] { model, layer, input, output }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            Output.CheckWritable(r.GetValue(output)!, "--out");
            var src = ModelSource.Load(r.GetValue(model)!, r.GetValue(input));
            string name = r.GetValue(layer) ?? LayerLookup.ConvolutionNames(src.Model).FirstOrDefault()
                ?? throw new CliUsageException("the model has no convolution layer.");
            Conv2d conv;
            try
            {
                conv = LayerLookup.FindConvolution(src.Model, name);
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException($"--layer: {e.Message}");
            }
            Output.Png(FilterBank.Picture(conv, name), r.GetValue(output)!, stdout);
            return 0;
        });
        return cmd;
    }

    private static Command Activations(TextWriter stdout)
    {
        var cmd = new Command("activations", "The feature maps of a named layer for an input image, one tile per channel.");
        var model = ModelOption();
        var layer = new Option<string>("--layer", "-l") { Description = "Layer name, e.g. conv1, act1, pool2 or layer2.0.", Required = true };
        var size = InputOption();
        var output = OutOption();
        var image = new Argument<string>("IMAGE") { Description = ImageInputs.Help + " (converted and resized to the model's input)." };
        foreach (var o in new Option[] { model, layer, size, output }) cmd.Options.Add(o);
        cmd.Arguments.Add(image);
        cmd.SetAction(r =>
        {
            Output.CheckWritable(r.GetValue(output)!, "--out");
            var src = ModelSource.Load(r.GetValue(model)!, r.GetValue(size));
            Module target;
            try
            {
                target = LayerLookup.Find(src.Model, r.GetValue(layer)!);
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException($"--layer: {e.Message}");
            }
            var (input, seen) = ModelInput.FromImage(ImageInputs.Load(r.GetValue(image)!, 3), src.Spec.InChannels, src.Spec.InputHeight, src.Spec.InputWidth, src.Mean, src.Std);
            var act = FeatureMaps.Capture(src.Model, target, input);
            Output.Png(FeatureMaps.Picture(act, seen, r.GetValue(layer)!), r.GetValue(output)!, stdout);
            stdout.WriteLine($"layer {r.GetValue(layer)}: activation {act.Shape}");
            return 0;
        });
        return cmd;
    }

    private static Command ReceptiveField(TextWriter stdout)
    {
        var cmd = new Command("receptive-field", "The effective receptive field of a layer's centre unit (mean |gradient| over random inputs) inside its theoretical field.");
        var model = ModelOption();
        var layer = new Option<string>("--layer", "-l") { Description = "Layer name with feature maps, e.g. conv2 or layer3.", Required = true };
        var samples = new Option<int>("--samples") { Description = "Random inputs to average over.", DefaultValueFactory = _ => 16 }.Within(1, 4096);
        var input = InputOption();
        var output = OutOption();
        foreach (var o in new Option[] { model, layer, samples, input, output }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            Output.CheckWritable(r.GetValue(output)!, "--out");
            var src = ModelSource.Load(r.GetValue(model)!, r.GetValue(input));
            // The random inputs are one batch: bounded so that it stays a reasonable allocation.
            long perSample = (long)src.Spec.InChannels * src.Spec.InputHeight * src.Spec.InputWidth;
            if (r.GetValue(samples) * (long)perSample > MaxSampleValues)
                throw new CliUsageException($"--samples must be from 1 to {MaxSampleValues / perSample} for {src.Spec.InChannels}x{src.Spec.InputHeight}x{src.Spec.InputWidth} inputs, got {r.GetValue(samples)}.");
            Striate.Nn.Module target;
            try
            {
                target = LayerLookup.Find(src.Model, r.GetValue(layer)!);
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException($"--layer: {e.Message}");
            }
            EffectiveReceptiveField erf;
            try
            {
                erf = EffectiveReceptiveField.Measure(src.Model, target, src.Spec.InChannels, src.Spec.InputHeight, src.Spec.InputWidth, r.GetValue(samples));
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException($"visualize receptive-field: {e.Message}");
            }
            Output.Png(erf.Draw(), r.GetValue(output)!, stdout);
            stdout.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"layer {r.GetValue(layer)}: unit {erf.Unit}, theoretical field {erf.Theoretical}x{erf.Theoretical}, 90% of the gradient within {erf.Extent90}x{erf.Extent90} around ({erf.Centre.Y:F1}, {erf.Centre.X:F1})"));
            return 0;
        });
        return cmd;
    }
}
