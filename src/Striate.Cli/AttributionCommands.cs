using System.CommandLine;
using System.Globalization;
using Striate.Nn;
using Striate.Ops;
using Striate.Imaging;
using Striate.Visualization;

namespace Striate.Cli;

/// <summary>
/// <c>striate visualize saliency|guided|deconvnet|gradcam|occlusion --model M [--class C] IMAGE -o S.png</c>: the
/// input next to the map that explains the class (the predicted one by default), drawn over it.
/// </summary>
internal static class AttributionCommands
{
    private static readonly (string Name, string Description)[] s_methods =
    [
        ("saliency", "Gradient of the class score with respect to the input (Simonyan et al., 2014), largest |gradient| over channels."),
        ("guided", "Guided backpropagation (Springenberg et al., 2015): ReLUs pass back only positive gradients at positive inputs."),
        ("deconvnet", "The deconvnet of Zeiler and Fergus (2014): ReLUs pass back the positive part of the signal; max-pool switches and transposed filters."),
        ("gradcam", "Grad-CAM (Selvaraju et al., 2017) at a convolution layer (default: the last one), upsampled over the input."),
        ("occlusion", "Occlusion sensitivity (Zeiler and Fergus, 2014): the drop in the class probability when a gray square hides each region."),
    ];

    public static IEnumerable<Command> Create(TextWriter stdout) => s_methods.Select(m => Method(m.Name, m.Description, stdout));

    private static Command Method(string name, string description, TextWriter stdout)
    {
        var cmd = new Command(name, description);
        var model = VisualizeCommand.ModelOption();
        var output = VisualizeCommand.OutOption();
        var cls = new Option<string?>("--class", "-c") { Description = "Class to explain, by index or name (default: the predicted class)." };
        var layer = new Option<string?>("--layer", "-l")
        {
            Description = name == "gradcam" ? "Grad-CAM layer (default: the last convolution)."
                : "Project the strongest activation of this layer back to the input instead of the class score (Zeiler and Fergus).",
        };
        var channel = new Option<int?>("--channel") { Description = "With --layer: the channel whose strongest activation is projected (default: the strongest channel)." };
        var patch = new Option<int>("--patch") { Description = "Occlusion square side in input pixels (0: a quarter of the input's smaller side).", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var image = new Argument<string>("IMAGE") { Description = ImageInputs.Help + " (converted and resized to the model's input)." };
        var size = VisualizeCommand.InputOption();
        cmd.Options.Add(model);
        cmd.Options.Add(size);
        cmd.Options.Add(cls);
        if (name is "gradcam" or "guided" or "deconvnet") cmd.Options.Add(layer);
        if (name is "guided" or "deconvnet") cmd.Options.Add(channel);
        if (name == "occlusion") cmd.Options.Add(patch);
        cmd.Options.Add(output);
        cmd.Arguments.Add(image);
        cmd.SetAction(r =>
        {
            Output.CheckWritable(r.GetValue(output)!, "--out");
            var src = ModelSource.Load(r.GetValue(model)!, r.GetValue(size));
            var (input, resized) = ModelInput.FromImage(ImageInputs.Load(r.GetValue(image)!, 3), src.Spec.InChannels, src.Spec.InputHeight, src.Spec.InputWidth, src.Mean, src.Std);
            int? classIndex = ParseClass(r.GetValue(cls), src);
            InputMap map;
            try
            {
                if (name is "guided" or "deconvnet" && r.GetValue(layer) is { } projected)
                {
                    if (r.GetValue(cls) is not null) throw new CliUsageException("--class and --layer do not go together: --layer projects a layer's activation, not a class score.");
                    map = Attribution.ProjectActivation(src.Model, LayerLookup.Find(src.Model, projected), input, r.GetValue(channel),
                        name == "guided" ? ReluGradientMode.Guided : ReluGradientMode.Deconvnet);
                    string projection = string.Create(CultureInfo.InvariantCulture, $"{name}: layer {projected}, channel {map.ClassIndex}, strongest activation {map.Probability:G4}");
                    Output.Png(Render(resized, map, pattern: true, projection), r.GetValue(output)!, stdout);
                    stdout.WriteLine(projection);
                    return 0;
                }
                if (r.GetValue(channel) is not null) throw new CliUsageException("--channel needs --layer.");
                map = name switch
                {
                    "saliency" => Attribution.InputGradient(src.Model, input, classIndex),
                    "guided" => Attribution.InputGradient(src.Model, input, classIndex, ReluGradientMode.Guided),
                    "deconvnet" => Attribution.InputGradient(src.Model, input, classIndex, ReluGradientMode.Deconvnet),
                    "gradcam" => Attribution.GradCam(src.Model, GradCamLayer(src.Model, r.GetValue(layer)), input, classIndex),
                    _ => Attribution.Occlusion(src.Model, input, classIndex, PatchSize(r.GetValue(patch), src), Math.Max(1, PatchSize(r.GetValue(patch), src) / 3)),
                };
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException(e.Message);
            }
            string explained = string.Create(CultureInfo.InvariantCulture, $"{name}: class {map.ClassIndex} ({src.ClassName(map.ClassIndex)}), probability {map.Probability:P1}");
            Output.Png(Render(resized, map, name is "guided" or "deconvnet", explained), r.GetValue(output)!, stdout);
            stdout.WriteLine(explained);
            return 0;
        });
        return cmd;
    }

    /// <summary>
    /// The input and the map side by side, enlarged so the longer side is at least 256 pixels, with
    /// <paramref name="caption"/> (what is explained: class and probability, or layer and channel) written under them
    /// and, for a heat map, its colour bar from low to high.
    /// </summary>
    internal static Image Render(Image input, InputMap map, bool pattern, string caption)
    {
        var pictures = SideBySide(input, map, pattern);
        var ink = (0.1f, 0.1f, 0.1f);
        int scale = BitmapFont.Measure(caption, 2) + 8 <= pictures.Width ? 2 : 1;
        int textHeight = (BitmapFont.GlyphHeight + BitmapFont.Descent) * scale, barHeight = pattern ? 0 : 12 + 4 + BitmapFont.GlyphHeight + BitmapFont.Descent;
        var canvas = new Canvas(pictures.Width, pictures.Height + 8 + textHeight + (pattern ? 4 : 8 + barHeight));
        canvas.Draw(pictures, 0, 0);
        canvas.Text(4, pictures.Height + 6, caption, ink, scale);
        if (!pattern)
        {
            // Under the heat map: the colours from its lowest value (left) to its highest (right).
            int left = pictures.Width / 2 + 2, width = pictures.Width - left - 4, top = pictures.Height + 8 + textHeight + 6;
            for (int x = 0; x < width; x++) canvas.FillRect(left + x, top, 1, 12, Colormap.Viridis(width == 1 ? 1 : x / (float)(width - 1)));
            canvas.Text(left, top + 15, "low", ink);
            canvas.Text(left + width - BitmapFont.Measure("high"), top + 15, "high", ink);
        }
        return canvas.Image;
    }

    // The enlarged input and the map (a heat overlay, or the projected pattern around mid-gray), side by side.
    private static Image SideBySide(Image input, InputMap map, bool pattern)
    {
        int scale = Math.Max(1, (int)Math.Ceiling(256.0 / Math.Max(input.Height, input.Width)));
        var big = input.ToRgb().Resize(input.Height * scale, input.Width * scale);
        Image right;
        if (pattern)
        {
            // The reconstructed pattern itself, zero gray: what the guided or deconvnet signal looks like in the input.
            float max = map.Values.Max(Math.Abs);
            var p = map.Values.Select(v => max > 0 ? 0.5f + 0.5f * v / max : 0.5f).ToArray();
            right = new Image(p, map.Channels is 1 or 3 ? map.Channels : 1, map.Height, map.Width).ToRgb().Resize(big.Height, big.Width);
        }
        else
        {
            right = Colormap.Overlay(big, map.Normalized(), map.Height, map.Width);
        }
        return ImageGrid.Tile([big, right], 2, gap: 4);
    }

    private static Module GradCamLayer(Module model, string? name)
    {
        if (name is not null) return LayerLookup.Find(model, name);
        string last = LayerLookup.ConvolutionNames(model).LastOrDefault() ?? throw new CliUsageException("Grad-CAM needs a convolution layer; the model has none.");
        return LayerLookup.Find(model, last);
    }

    private static int PatchSize(int given, ModelSource src)
    {
        return given > 0 ? given : Math.Max(2, Math.Min(src.Spec.InputHeight, src.Spec.InputWidth) / 4);
    }

    private static int? ParseClass(string? text, ModelSource src)
    {
        if (text is null) return null;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int i)) return i;
        for (int c = 0; c < src.ClassNames.Count; c++)
            if (string.Equals(src.ClassNames[c], text, StringComparison.OrdinalIgnoreCase)) return c;
        throw new CliUsageException($"--class: unknown class '{text}'. Classes: {string.Join(", ", src.ClassNames.Select((n, k) => $"{k} {n}"))}.");
    }
}
