using System.CommandLine;
using Striate.Imaging;

namespace Striate.Cli;

/// <summary><c>striate filter --kernel NAME|VALUES IMAGE -o OUT.png</c>: a classic image filter through Striate's conv2d.</summary>
public static class FilterCommand
{
    public static Command Create(TextWriter stdout)
    {
        string names = string.Join(", ", ConvolutionKernel.Named.Select(k => k.Name));
        var cmd = new Command("filter", "Apply a classic filter (edge detection, sharpen, blur, or any kernel) to an image with conv2d and save a PNG.");
        var kernel = new Option<string>("--kernel", "-k") { Description = $"A named kernel ({names}), all (every named kernel in one captioned table) or values such as \"0,-1,0;-1,5,-1;0,-1,0\" (rows separated by ';', optional '/D' divides).", Required = true }
            .Choice(t => IsTable(t) ? null : ConvolutionKernel.Parse(t));
        var output = new Option<string>("--out", "-o") { Description = "PNG file to write (its folder is created).", Required = true };
        var gray = new Option<bool>("--gray") { Description = "Convert the image to gray first." };
        var valid = new Option<bool>("--valid") { Description = "No padding: the output shrinks by the kernel size minus 1 (default: zero padding keeps the size)." };
        var display = new Option<string>("--display") { Description = "How responses become pixels: auto (clamp for blur/sharpen, magnitude for edge detectors), clamp, magnitude or signed.", DefaultValueFactory = _ => "auto" }.Choice(Display);
        var image = new Argument<string>("IMAGE") { Description = ImageInputs.Help + "." };
        foreach (var o in new Option[] { kernel, output, gray, valid, display }) cmd.Options.Add(o);
        cmd.Arguments.Add(image);
        cmd.SetAction(r =>
        {
            Output.CheckWritable(r.GetValue(output)!, "--out");
            if (IsTable(r.GetValue(kernel)!))
            {
                // The filter table of the notes: every named kernel applied to the image, captioned, each shown its
                // own way (the table's fixed choice); --valid and --display would not apply to it.
                var ignored = new Option[] { valid, display }.Where(o => r.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
                if (ignored.Count > 0)
                    throw new CliUsageException($"--kernel all draws the table of every named kernel with zero padding and each kernel's own display; {string.Join(" and ", ignored)} {(ignored.Count == 1 ? "applies" : "apply")} to a single kernel.");
                var photo = ImageInputs.Load(r.GetValue(image)!, 3);
                if (r.GetValue(gray)) photo = photo.ToGray();
                var named = ConvolutionKernel.Named.Select(n => ConvolutionKernel.Parse(n.Name)).ToList();
                Output.Png(ImageFilter.Table(photo, named), r.GetValue(output)!, stdout);
                return 0;
            }
            var k = ConvolutionKernel.Parse(r.GetValue(kernel)!);
            var mode = Display(r.GetValue(display)!);
            var img = ImageInputs.Load(r.GetValue(image)!, 3);
            if (r.GetValue(gray)) img = img.ToGray();
            (float[], int, int, int) response;
            try
            {
                response = ImageFilter.Apply(img, k, same: !r.GetValue(valid));
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException(e.Message);
            }
            Output.Png(ImageFilter.ToImage(response, mode, k.Sum), r.GetValue(output)!, stdout);
            return 0;
        });
        return cmd;
    }

    private static bool IsTable(string kernel) => string.Equals(kernel.Trim(), "all", StringComparison.OrdinalIgnoreCase);

    private static FilterDisplay Display(string text) => IO.EnumText.Parse<FilterDisplay>(text, "mode", "modes");
}
