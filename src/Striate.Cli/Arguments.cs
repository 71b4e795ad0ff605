using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Striate.Runs;

namespace Striate.Cli;

/// <summary>
/// Checks and readers the verbs share. Range and choice checks are validators on the options, so a bad value is a
/// parse error (exit code 2) that names the flag and what it must be, before any work starts; a setting the library
/// refuses while binding becomes a usage error that names the flag (<see cref="Refused"/>).
/// </summary>
public static class Arguments
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Refuses values below <paramref name="min"/>: "--epochs must be >= 1, got 0."</summary>
    public static Option<int> AtLeast(this Option<int> option, int min, string? note = null) => option.Must(v => v >= min, $">= {min}{note}");

    /// <summary>Refuses values outside [<paramref name="min"/>, <paramref name="max"/>]: a count that would never finish, or allocate without bound, is a usage error.</summary>
    public static Option<int> Within(this Option<int> option, int min, int max, string? note = null) =>
        option.Must(v => v >= min && v <= max, $"from {min} to {max}{note}");

    /// <summary>Refuses values outside [<paramref name="min"/>, <paramref name="max"/>] when given.</summary>
    public static Option<int?> Within(this Option<int?> option, int min, int max) =>
        option.Must(v => v is not int x || (x >= min && x <= max), $"from {min} to {max}");

    /// <summary>The most classes a zoo model is built with (ImageNet-21k has 21,841).</summary>
    public const int MaxClasses = 100_000;

    /// <summary>The largest input a model is sized for: channels, and pixels a side.</summary>
    public const int MaxInputChannels = 4096, MaxInputSide = 8192;

    /// <summary>A pair count: 0 (every pair) or at least 2 (one same and one different).</summary>
    public static Option<int> Pairs(this Option<int> option) => option.Must(v => v is 0 or >= 2, "0 (every pair) or >= 2");

    /// <summary>Refuses values below <paramref name="min"/> when given.</summary>
    public static Option<int?> AtLeast(this Option<int?> option, int min) => option.Must(v => v is not int x || x >= min, $">= {min}");

    /// <summary>Refuses anything but a positive finite number: "--lr must be a positive number, got -0.1."</summary>
    public static Option<float> Positive(this Option<float> option) => option.Must(v => v > 0 && float.IsFinite(v), "a positive number");

    /// <summary>Refuses anything but a positive finite number when given.</summary>
    public static Option<float?> Positive(this Option<float?> option) =>
        option.Must(v => v is not float x || (x > 0 && float.IsFinite(x)), "a positive number");

    /// <summary>Refuses anything but a positive finite number when given (a norm, a margin).</summary>
    public static Option<double?> Positive(this Option<double?> option) => option.Must(v => v is not double x || (x > 0 && double.IsFinite(x)), "> 0");

    /// <summary>
    /// Refuses a value that fails <paramref name="ok"/>: "--channels must be 1 (gray) or 3 (RGB), got 2." A value of
    /// the wrong type is left to the parser, which reports it.
    /// </summary>
    public static Option<T> Must<T>(this Option<T> option, Func<T, bool> ok, string expected)
    {
        option.Validators.Add(r =>
        {
            T value;
            try
            {
                value = r.GetValueOrDefault<T>()!;
            }
            catch (InvalidOperationException)
            {
                return;
            }
            if (!ok(value)) r.AddError($"{r.Option.Name} must be {expected}, got {Convert.ToString(value, Inv)}.");
        });
        return option;
    }

    /// <summary>Refuses a negative, NaN or infinite value when given (a distance threshold).</summary>
    public static Option<double?> NonNegative(this Option<double?> option) =>
        option.Must(v => v is not double d || (d >= 0 && double.IsFinite(d)), "a non-negative number");

    /// <summary>Refuses anything but class numbers (see <see cref="Classes"/>) when given.</summary>
    public static TOption ClassList<TOption>(this TOption option) where TOption : Option =>
        option.Choice(t => Classes(t, option.Name));

    /// <summary>Refuses negative values (and NaN).</summary>
    public static Option<float> NonNegative(this Option<float> option) => option.Must(v => v >= 0, ">= 0");

    /// <summary>Refuses values outside [<paramref name="lo"/>, <paramref name="hi"/>) (and NaN).</summary>
    public static Option<double> InRange(this Option<double> option, double lo, double hi, string? note = null) =>
        option.Must(v => v >= lo && v < hi, $"in [{lo.ToString(Inv)}, {hi.ToString(Inv)}){note}");

    /// <summary>
    /// Checks the option's text with <paramref name="parse"/>, the library's reader of the setting: the reader's
    /// message (which names what it expected and what it found) becomes a parse error prefixed with the flag. Every
    /// token is read, so each value of a repeatable option is checked.
    /// </summary>
    public static TOption Choice<TOption, T>(this TOption option, Func<string, T> parse) where TOption : Option
    {
        option.Validators.Add(r =>
        {
            // Defaults are valid; given values are the tokens.
            try
            {
                foreach (var token in r.Tokens) parse(token.Value);
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                r.AddError($"{option.Name}: {e.Message}");
            }
            catch (CliUsageException e)
            {
                // The command line's own readers already name the flag.
                r.AddError(e.Message);
            }
        });
        return option;
    }

    /// <summary>
    /// The usage error for a setting the library refused: a <see cref="SettingException"/> is named by the command's flag
    /// for it (the setting <c>BatchSize</c> is <c>--batch-size</c>), any other refusal keeps its message.
    /// </summary>
    public static CliUsageException Refused(ArgumentException e, Command command)
    {
        if (e is SettingException s && command.Options.FirstOrDefault(o => o.Name == Flag(s.Setting)) is { } flag)
            return new CliUsageException($"{flag.Name} {s.Requirement}");
        return new CliUsageException(e.Message);
    }

    // A setting's property name as a flag: BatchSize is --batch-size.
    private static string Flag(string setting) =>
        "--" + string.Concat(setting.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : "") + char.ToLowerInvariant(c) : c.ToString()));

    /// <summary>True when the command line gives <paramref name="option"/> (not only its default).</summary>
    public static bool Given(this ParseResult r, Option option) => r.GetResult(option) is { Implicit: false };

    /// <summary>True when the option of the parsed command named <paramref name="name"/> was written on the command line.</summary>
    public static bool Given(this ParseResult r, string name) =>
        r.CommandResult.Command.Options.FirstOrDefault(o => o.Name == name) is { } option && r.Given(option);

    /// <summary>A model file that must exist: a usage error naming the path otherwise (a folder's checkpoints are listed).</summary>
    public static string ExistingFile(string path)
    {
        if (Directory.Exists(path)) throw new CliUsageException(FolderNotFile(path));
        if (!File.Exists(path)) throw new CliUsageException($"model file '{path}' does not exist (looked at {Path.GetFullPath(path)}).");
        return path;
    }

    /// <summary>
    /// Loads the classifier at <paramref name="path"/> (a checkpoint, or an .onnx file) for <paramref name="verb"/>: an
    /// embedding model, whose outputs are not class scores, is refused with the verbs that take it.
    /// </summary>
    public static Training.Checkpoint Classifier(string path, string verb)
    {
        var ck = OnnxFiles.IsOnnx(path) ? OnnxFiles.Load(ExistingFile(path)) : Training.Checkpoint.Load(ExistingFile(path));
        if (ck.Spec.IsEmbedding)
            throw new CliUsageException($"'{path}' is an embedding model ({ck.Spec.EmbeddingDim}-value embeddings, no class scores); {verb} takes a classifier. Use embed, verify, enroll or identify with it, or finetune --from it.");
        return ck;
    }

    /// <summary>"'runs' is a folder, not a model file; its checkpoints: runs/lenet5.safetensors, ..."</summary>
    public static string FolderNotFile(string path)
    {
        var inside = Directory.EnumerateFiles(path, "*.safetensors").Order(StringComparer.Ordinal).Take(4).ToList();
        return $"'{path}' is a folder, not a model file; " + (inside.Count > 0 ? $"its checkpoints: {string.Join(", ", inside)}." : "it holds no .safetensors file.");
    }

    /// <summary>Class numbers as "0-6", "0,2,5" or "0-4,7".</summary>
    /// <exception cref="CliUsageException">Anything else; the message names <paramref name="option"/>.</exception>
    public static int[] Classes(string text, string option)
    {
        var list = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var ends = part.Split('-');
            if (ends.Length is < 1 or > 2 || !ends.All(e => int.TryParse(e, NumberStyles.None, Inv, out _)))
                throw new CliUsageException($"{option}: expected class numbers like 0-6 or 0,2,5, got '{text}'.");
            int lo = int.Parse(ends[0], Inv), hi = int.Parse(ends[^1], Inv);
            if (hi < lo) throw new CliUsageException($"{option}: the range '{part}' is empty.");
            for (int c = lo; c <= hi; c++) list.Add(c);
        }
        if (list.Count == 0) throw new CliUsageException($"{option}: no classes in '{text}'.");
        return list.ToArray();
    }

    /// <summary>
    /// An input size as CxHxW (positive integers, e.g. 3x224x224). Written the other way round, HxWxC as explain takes
    /// it, with the channels plainly at the end (224x224x3: more than 4 first, at most 4 last), it is read as that
    /// (<see cref="IsChannelsLast"/>).
    /// </summary>
    /// <exception cref="CliUsageException">Anything else.</exception>
    public static (int C, int H, int W) Chw(string text)
    {
        var v = Sizes(text) ?? throw new CliUsageException($"--input '{text}': expected CxHxW with positive integers, e.g. 3x224x224.");
        var chw = IsChannelsLast(v) ? (C: v[2], H: v[0], W: v[1]) : (C: v[0], H: v[1], W: v[2]);
        if (chw.C > MaxInputChannels || chw.H > MaxInputSide || chw.W > MaxInputSide)
            throw new CliUsageException($"--input '{text}': expected at most {MaxInputChannels} channels and {MaxInputSide} pixels a side, got {chw.C}x{chw.H}x{chw.W}.");
        return chw;
    }

    /// <summary>
    /// True when three sizes are plainly channels last (HxWxC): more than 4 first and at most 4 last. Their reverse,
    /// at most 4 first and more than 4 last, is plainly channels first; anything else is read as the command documents.
    /// </summary>
    public static bool IsChannelsLast(IReadOnlyList<int> sizes) => sizes.Count == 3 && sizes[0] > 4 && sizes[2] <= 4;

    /// <summary>True when three sizes are plainly channels first (CxHxW): at most 4 first and more than 4 last.</summary>
    public static bool IsChannelsFirst(IReadOnlyList<int> sizes) => sizes.Count == 3 && sizes[0] <= 4 && sizes[2] > 4;

    /// <summary>The sizes of an AxBxC text when it is three positive integers; null otherwise.</summary>
    public static int[]? Sizes(string text)
    {
        var p = text.ToLowerInvariant().Split('x');
        return p.Length == 3 && p.All(s => int.TryParse(s, NumberStyles.None, Inv, out int v) && v > 0) ? p.Select(s => int.Parse(s, Inv)).ToArray() : null;
    }

    /// <summary>Loads an input picture; a missing or undecodable file is a usage error naming it.</summary>
    public static Imaging.Image Image(string path, int channels)
    {
        if (!File.Exists(path)) throw new CliUsageException($"image file '{path}' does not exist (looked at {Path.GetFullPath(path)}).");
        return Imaging.Image.Load(path, channels);
    }
}
