using System.CommandLine;
using System.Globalization;
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
        explain.Subcommands.Add(ReceptiveField(stdout));
        explain.Subcommands.Add(Depthwise(stdout));
        explain.Subcommands.Add(Bottleneck(stdout));
        return explain;
    }

    private static Option<string> InputOption() => new Option<string>("--input", "-i") { Description = "Input size N (square), HxW or HxWxC, e.g. 227 or 227x227x3.", Required = true }.Choice(ParseInput);

    private static Option<int?> ChannelsOption() => new Option<int?>("--channels", "-c") { Description = "Input channels (instead of the C of --input)." }.AtLeast(1);

    // The input size, with --channels in place of its C when given; a channels-first --input is said on note.
    private static (int H, int W, int C) InputWithChannels(ParseResult r, Option<string> input, Option<int?> channels, TextWriter? note)
    {
        var (h, w, c) = ParseInput(r.GetValue(input)!);
        if (note is not null && Arguments.Sizes(r.GetValue(input)!) is { } v && Arguments.IsChannelsFirst(v))
            note.WriteLine($"reading --input {r.GetValue(input)} as {c} channels of {h}x{w} (explain writes sizes as HxWxC)");
        return (h, w, r.GetValue(channels) ?? c);
    }

    private static Option<string> KernelOption() => new Option<string>("--kernel", "-k") { Description = "Kernel size K or KHxKW.", Required = true }.Pair();

    private static Option<string> StrideOption() => new Option<string>("--stride", "-s") { Description = "Stride S or SHxSW.", DefaultValueFactory = _ => "1" }.Pair();

    private static Option<string> DilationOption() => new Option<string>("--dilation", "-d") { Description = "Dilation D or DHxDW.", DefaultValueFactory = _ => "1" }.Pair();

    private static Option<bool> JsonOption() => new("--json") { Description = "Print one JSON object instead of text." };

    private static Command Conv(TextWriter stdout)
    {
        var cmd = new Command("conv", "A convolution layer: output size, parameters, multiply-accumulates.");
        var input = InputOption();
        var filters = new Option<int>("--filters", "-f") { Description = "Number of filters (output channels).", DefaultValueFactory = _ => 1 };
        var kernel = KernelOption();
        var stride = StrideOption();
        var padding = new Option<string>("--padding", "-p") { Description = "P, PH,PW, TOP,BOTTOM,LEFT,RIGHT, same or valid.", DefaultValueFactory = _ => "0" }.Choice(Padding2d.Parse);
        var dilation = DilationOption();
        var groups = new Option<int>("--groups", "-g") { Description = "Channel groups (channels for depthwise).", DefaultValueFactory = _ => 1 };
        var noBias = new Option<bool>("--no-bias") { Description = "The layer has no bias." };
        var channels = ChannelsOption();
        var json = JsonOption();
        foreach (var o in new Option[] { input, channels, filters, kernel, stride, padding, dilation, groups, noBias, json }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var (h, w, c) = InputWithChannels(r, input, channels, r.GetValue(json) ? null : stdout);
            var (kh, kw) = ParsePair(r.GetValue(kernel)!, "--kernel");
            var (sh, sw) = ParsePair(r.GetValue(stride)!, "--stride");
            var (dh, dw) = ParsePair(r.GetValue(dilation)!, "--dilation");
            var pad = Padding2d.Parse(r.GetValue(padding)!);
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
        var stride = new Option<string?>("--stride", "-s") { Description = "Stride S or SHxSW (defaults to the kernel)." }.Pair();
        var padding = new Option<string>("--padding", "-p") { Description = "Padding P or PHxPW.", DefaultValueFactory = _ => "0" }.Pair(allowZero: true);
        var dilation = DilationOption();
        var ceil = new Option<bool>("--ceil-mode") { Description = "Round the output size up (a last partial window is kept)." };
        var channels = ChannelsOption();
        var json = JsonOption();
        foreach (var o in new Option[] { input, channels, kernel, stride, padding, dilation, ceil, json }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var (h, w, c) = InputWithChannels(r, input, channels, r.GetValue(json) ? null : stdout);
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

    private static Command ReceptiveField(TextWriter stdout)
    {
        var cmd = new Command("receptive-field", "The receptive field after each layer of a stack: R_k = R_(k-1) + (F_k - 1) * jump.");
        var layers = new Option<string>("--layers", "-l") { Description = "Comma-separated layers as kK[sS][dD], e.g. k3,k3,k2s2,k3d2.", Required = true }.Choice(ParseLayers);
        var json = JsonOption();
        cmd.Options.Add(layers);
        cmd.Options.Add(json);
        cmd.SetAction(r =>
        {
            var list = ParseLayers(r.GetValue(layers)!);
            var res = Guard(() => StackArithmetic.ReceptiveField(list));
            if (r.GetValue(json))
            {
                Output.Json(stdout, new
                {
                    layers = res.Select((x, i) => new { layer = i + 1, kernel = list[i].Kernel, stride = list[i].Stride, dilation = list[i].Dilation, receptive_field = x.Field, jump = x.Jump }),
                    receptive_field = res[^1].Field,
                    steps = res.Select(x => x.Step),
                });
                return 0;
            }
            foreach (var x in res) stdout.WriteLine(x.Step);
            stdout.WriteLine($"=> receptive field {res[^1].Field}x{res[^1].Field}");
            return 0;
        });
        return cmd;
    }

    internal static List<(int Kernel, int Stride, int Dilation)> ParseLayers(string text)
    {
        var result = new List<(int, int, int)>();
        foreach (var raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var m = System.Text.RegularExpressions.Regex.Match(raw.ToLowerInvariant(), @"^k(\d+)(?:s(\d+))?(?:d(\d+))?$");
            if (!m.Success)
                throw new CliUsageException($"--layers: '{raw}' is not kK[sS][dD] (for example k3, k2s2 or k3d2).");
            int P(int g, int dflt) => !m.Groups[g].Success ? dflt
                : int.TryParse(m.Groups[g].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v
                : throw new CliUsageException($"--layers: '{raw}' has a number larger than {int.MaxValue}.");
            result.Add((P(1, 1), P(2, 1), P(3, 1)));
        }
        if (result.Count == 0) throw new CliUsageException("--layers: give at least one layer, e.g. k3,k3.");
        return result;
    }

    private static Command Depthwise(TextWriter stdout)
    {
        var cmd = new Command("depthwise", "Parameters of a depthwise-separable convolution against a full one.");
        var channels = new Option<int>("--channels", "-c") { Description = "Input channels.", Required = true };
        var filters = new Option<int>("--filters", "-f") { Description = "Output channels.", Required = true };
        var kernel = KernelOption();
        var json = JsonOption();
        foreach (var o in new Option[] { channels, filters, kernel, json }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var (kh, kw) = ParsePair(r.GetValue(kernel)!, "--kernel");
            int c = r.GetValue(channels), f = r.GetValue(filters);
            var (dw, pw, full) = Guard(() => StackArithmetic.Depthwise(c, f, kh, kw));
            if (r.GetValue(json))
            {
                Output.Json(stdout, new { depthwise = dw, pointwise = pw, separable = dw + pw, full, ratio = (double)full / (dw + pw) });
                return 0;
            }
            stdout.WriteLine($"depthwise: {c} x {kh} x {kw} = {dw:N0}");
            stdout.WriteLine($"pointwise: {c} x {f} = {pw:N0}");
            stdout.WriteLine($"separable: {dw:N0} + {pw:N0} = {dw + pw:N0} parameters");
            stdout.WriteLine($"full convolution: {c} x {f} x {kh} x {kw} = {full:N0} parameters ({(double)full / (dw + pw):F1} times as many)");
            return 0;
        });
        return cmd;
    }

    private static Command Bottleneck(TextWriter stdout)
    {
        var cmd = new Command("bottleneck", "Multiplications of a 'same' convolution directly and through a 1x1 reduction first.");
        var input = InputOption();
        var channels = ChannelsOption();
        var filters = new Option<int>("--filters", "-f") { Description = "Output channels.", Required = true };
        var kernel = KernelOption();
        var reduce = new Option<int>("--reduce", "-r") { Description = "Channels after the 1x1 reduction.", Required = true };
        var json = JsonOption();
        foreach (var o in new Option[] { input, channels, filters, kernel, reduce, json }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var (h, w, c) = InputWithChannels(r, input, channels, r.GetValue(json) ? null : stdout);
            var (k, kw) = ParsePair(r.GetValue(kernel)!, "--kernel");
            if (k != kw) throw new CliUsageException($"--kernel: the bottleneck's 'same' convolution is square here; got {k}x{kw}.");
            int f = r.GetValue(filters), red = r.GetValue(reduce);
            var (direct, r1, r2) = Guard(() => StackArithmetic.Bottleneck(h, w, c, f, k, red));
            if (r.GetValue(json))
            {
                Output.Json(stdout, new { direct, reduce = r1, conv = r2, bottleneck = r1 + r2, ratio = (double)direct / (r1 + r2) });
                return 0;
            }
            stdout.WriteLine($"direct: {h} x {w} x {f} outputs x ({c} x {k} x {k}) = {direct:N0} multiplications");
            stdout.WriteLine($"1x1 reduce: {h} x {w} x {red} x {c} = {r1:N0}");
            stdout.WriteLine($"then {k}x{k}: {h} x {w} x {f} x ({red} x {k} x {k}) = {r2:N0}");
            stdout.WriteLine($"bottleneck: {r1 + r2:N0} multiplications ({(double)direct / (r1 + r2):F1} times fewer)");
            return 0;
        });
        return cmd;
    }

    private static T Guard<T>(Func<T> f)
    {
        try
        {
            return f();
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException(e.Message);
        }
        catch (OverflowException)
        {
            throw new CliUsageException("explain: these sizes make a count too large to hold in 64 bits; use smaller ones.");
        }
    }

    private static LayerExplanation Guard(Func<LayerExplanation> f) => Guard<LayerExplanation>(f);

    private static void Print(TextWriter stdout, LayerExplanation e, bool json)
    {
        if (json)
        {
            Output.Json(stdout, new
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
            });
            return;
        }
        foreach (var s in e.Steps) stdout.WriteLine(s);
        stdout.WriteLine($"=> {e.OutputHeight}x{e.OutputWidth}x{e.OutputChannels}");
    }

    /// <summary>
    /// Parses HxWxC (or HxW, with one channel). Written channels first with the channels plainly at the front
    /// (3x224x224: at most 4 first, more than 4 last), as summary takes it, it is read as CxHxW.
    /// </summary>
    internal static (int H, int W, int C) ParseInput(string text)
    {
        var p = text.ToLowerInvariant().Split('x');
        if (p.Length == 1) p = [p[0], p[0]];
        if (p.Length is < 2 or > 3 || !p.All(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0))
            throw new CliUsageException($"--input '{text}': expected N, HxW or HxWxC with positive integers, e.g. 227 or 227x227x3.");
        var v = p.Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        if (Arguments.IsChannelsFirst(v)) return (v[1], v[2], v[0]);
        return (v[0], v[1], v.Length == 3 ? v[2] : 1);
    }

    // Checks the option's value with ParsePair at parse time.
    private static TOption Pair<TOption>(this TOption option, bool allowZero = false) where TOption : Option =>
        option.Choice(t => ParsePair(t, option.Name, allowZero));

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
