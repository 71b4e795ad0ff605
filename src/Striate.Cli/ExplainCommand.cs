using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Striate.Models;
using Striate.Ops;

namespace Striate.Cli;

/// <summary><c>striate explain conv|pool</c>: the output-size arithmetic of one layer, step by step.</summary>
public static class ExplainCommand
{
    public static Command Create(TextWriter stdout)
    {
        var explain = new Command("explain", "Show the output-size arithmetic of a layer step by step.");
        explain.Subcommands.Add(Conv(stdout));
        explain.Subcommands.Add(Pool(stdout));
        return explain;
    }

    private static Option<string> InputOption() => new("--input", "-i") { Description = "Input size HxWxC, e.g. 227x227x3.", Required = true };

    private static Option<string> KernelOption() => new("--kernel", "-k") { Description = "Kernel size K or KHxKW.", Required = true };

    private static Option<string> StrideOption() => new("--stride", "-s") { Description = "Stride S or SHxSW.", DefaultValueFactory = _ => "1" };

    private static Option<string> DilationOption() => new("--dilation", "-d") { Description = "Dilation D or DHxDW.", DefaultValueFactory = _ => "1" };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print one JSON object instead of text." };

    private static Command Conv(TextWriter stdout)
    {
        var cmd = new Command("conv", "A convolution layer: output size, parameters, multiply-accumulates.");
        var input = InputOption();
        var filters = new Option<int>("--filters", "-f") { Description = "Number of filters (output channels).", DefaultValueFactory = _ => 1 };
        var kernel = KernelOption();
        var stride = StrideOption();
        var padding = new Option<string>("--padding", "-p") { Description = "P, PH,PW, TOP,BOTTOM,LEFT,RIGHT, same or valid.", DefaultValueFactory = _ => "0" };
        var dilation = DilationOption();
        var groups = new Option<int>("--groups", "-g") { Description = "Channel groups (channels for depthwise).", DefaultValueFactory = _ => 1 };
        var noBias = new Option<bool>("--no-bias") { Description = "The layer has no bias." };
        var json = JsonOption();
        foreach (var o in new Option[] { input, filters, kernel, stride, padding, dilation, groups, noBias, json }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var (h, w, c) = ParseInput(r.GetValue(input)!);
            var (kh, kw) = ParsePair(r.GetValue(kernel)!, "--kernel");
            var (sh, sw) = ParsePair(r.GetValue(stride)!, "--stride");
            var (dh, dw) = ParsePair(r.GetValue(dilation)!, "--dilation");
            Padding2d pad;
            try
            {
                pad = Padding2d.Parse(r.GetValue(padding)!);
            }
            catch (FormatException fe)
            {
                throw new CliUsageException(fe.Message);
            }
            if (pad.Mode == PaddingMode.Same && (sh != 1 || sw != 1))
                throw new CliUsageException($"--padding same needs stride 1, got {sh}x{sw}.");
            var (pt, pb, pl, pr) = pad.Resolve(kh, kw, dh, dw);
            var e = Guard(() => LayerArithmetic.Conv(h, w, c, r.GetValue(filters), kh, kw, sh, sw, pt, pb, pl, pr, dh, dw, r.GetValue(groups), !r.GetValue(noBias)));
            Print(stdout, e, r.GetValue(json));
            return 0;
        });
        return cmd;
    }

    private static Command Pool(TextWriter stdout)
    {
        var cmd = new Command("pool", "A max or average pooling layer: output size.");
        var input = InputOption();
        var kernel = KernelOption();
        var stride = new Option<string?>("--stride", "-s") { Description = "Stride S or SHxSW (defaults to the kernel)." };
        var padding = new Option<string>("--padding", "-p") { Description = "Padding P or PHxPW.", DefaultValueFactory = _ => "0" };
        var dilation = DilationOption();
        var ceil = new Option<bool>("--ceil-mode") { Description = "Round the output size up (a last partial window is kept)." };
        var json = JsonOption();
        foreach (var o in new Option[] { input, kernel, stride, padding, dilation, ceil, json }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var (h, w, c) = ParseInput(r.GetValue(input)!);
            var (kh, kw) = ParsePair(r.GetValue(kernel)!, "--kernel");
            var (sh, sw) = r.GetValue(stride) is { } s ? ParsePair(s, "--stride") : (kh, kw);
            var (ph, pw) = ParsePair(r.GetValue(padding)!, "--padding", allowZero: true);
            var (dh, dw) = ParsePair(r.GetValue(dilation)!, "--dilation");
            var e = Guard(() => LayerArithmetic.Pool(h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, r.GetValue(ceil)));
            Print(stdout, e, r.GetValue(json));
            return 0;
        });
        return cmd;
    }

    private static LayerExplanation Guard(Func<LayerExplanation> f)
    {
        try
        {
            return f();
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException(e.Message);
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static void Print(TextWriter stdout, LayerExplanation e, bool json)
    {
        if (json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(new
            {
                layer = e.Layer,
                output_height = e.OutputHeight,
                output_width = e.OutputWidth,
                output_channels = e.OutputChannels,
                parameters = e.Parameters,
                multiply_accumulates = e.MultiplyAccumulates,
                connections = e.Connections,
                output_values = e.OutputValues,
                dropped_rows = e.DroppedRows,
                dropped_columns = e.DroppedColumns,
                steps = e.Steps,
            }, JsonOptions));
            return;
        }
        foreach (var s in e.Steps) stdout.WriteLine(s);
        stdout.WriteLine($"=> {e.OutputHeight}x{e.OutputWidth}x{e.OutputChannels}");
    }

    /// <summary>Parses HxWxC (or HxW, with one channel).</summary>
    internal static (int H, int W, int C) ParseInput(string text)
    {
        var p = text.ToLowerInvariant().Split('x');
        if (p.Length is < 2 or > 3 || !p.All(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0))
            throw new CliUsageException($"--input '{text}': expected HxWxC with positive integers, e.g. 227x227x3.");
        var v = p.Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return (v[0], v[1], v.Length == 3 ? v[2] : 1);
    }

    internal static (int A, int B) ParsePair(string text, string option, bool allowZero = false)
    {
        var p = text.ToLowerInvariant().Split('x', ',');
        int min = allowZero ? 0 : 1;
        if (p.Length is < 1 or > 2 || !p.All(s => int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) && v >= min))
            throw new CliUsageException($"{option} '{text}': expected N or AxB with integers >= {min}.");
        var v = p.Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return (v[0], v.Length == 2 ? v[1] : v[0]);
    }
}
