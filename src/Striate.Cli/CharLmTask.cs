using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Striate.Runs;
using Striate.Tensors;
using Striate.Text;
using Striate.Threading;

namespace Striate.Cli;

/// <summary>
/// <c>striate train --task charlm --text FILE</c>: a character-level language model (an LSTM over the text's
/// characters, truncated backpropagation through time), validation bits per character after every epoch, and
/// <c>striate generate</c> to write text with it.
/// </summary>
public static class CharLmTask
{
    private static readonly Option<string?> s_text = new("--text") { Description = "--task charlm: the UTF-8 text file to model (for example the fortunes that scripts/fetch-fortunes writes)." };
    private static readonly Option<int> s_sequence = new Option<int>("--sequence-length") { Description = "--task charlm: characters per chunk, the steps gradients flow back through.", DefaultValueFactory = _ => 100 }.Within(1, 100_000);
    private static readonly Option<int> s_hidden = new Option<int>("--hidden") { Description = "--task charlm: LSTM units per layer.", DefaultValueFactory = _ => 256 }.Within(1, 65_536);
    private static readonly Option<int> s_layers = new Option<int>("--layers") { Description = "--task charlm: LSTM layers.", DefaultValueFactory = _ => 2 }.Within(1, 64);
    private static readonly Option<double?> s_minutes = new Option<double?>("--time-limit") { Description = "--task charlm: stop after this many minutes of training (the epoch under way is cut short, validated and saved)." }.Positive();

    /// <summary>The options only --task charlm reads.</summary>
    public static IReadOnlyList<Option> Options { get; } = [s_text, s_sequence, s_hidden, s_layers, s_minutes];

    private static readonly string[] Used =
        ["--task", "--text", "--sequence-length", "--hidden", "--layers", "--time-limit", "--epochs", "--batch-size", "--lr", "--schedule", "--seed", "--out", "--validation",
         "--clip-grad-norm", "--threads", "--json"];

    public static void AddOptions(Command train)
    {
        foreach (var o in Options) train.Options.Add(o);
    }

    public static bool Handles(ParseResult r) => string.Equals(r.GetValue<string>("--task"), "charlm", StringComparison.OrdinalIgnoreCase);

    public static int Run(ParseResult r, TextWriter stdout, TextWriter stderr)
    {
        TaskOptions.RejectUnused(r, "charlm", Used);
        string path = r.GetValue(s_text) ?? throw new CliUsageException("--task charlm needs --text FILE: a UTF-8 text file to model (scripts/fetch-fortunes writes one).");
        if (r.GetValue<int?>("--threads") is int t) Parallelism.Threads = t;
        string output = r.GetValue<string?>("--out") ?? Path.Combine("runs", "charlm.safetensors");
        Output.CheckWritable(output, "--out");
        // The shared options' defaults are classification's: the run's own apply unless an option is given.
        var defaults = new CharLmOptions();
        var options = defaults with
        {
            SequenceLength = r.GetValue(s_sequence),
            Hidden = r.GetValue(s_hidden),
            Layers = r.GetValue(s_layers),
            Epochs = r.Given("--epochs") ? r.GetValue<int>("--epochs") : defaults.Epochs,
            BatchSize = r.Given("--batch-size") ? r.GetValue<int>("--batch-size") : defaults.BatchSize,
            LearningRate = r.GetValue<float?>("--lr") ?? defaults.LearningRate,
            Seed = r.GetValue<ulong>("--seed"),
            ValidationFraction = r.GetValue<double>("--validation") is > 0 and < 1 and var v ? v : defaults.ValidationFraction,
            ClipGradNorm = r.GetValue<double?>("--clip-grad-norm") ?? defaults.ClipGradNorm,
            TimeLimit = r.GetValue(s_minutes) is double m ? TimeSpan.FromMinutes(m) : null,
            CosineSchedule = !r.Given("--schedule") || r.GetValue<string>("--schedule")!.ToLowerInvariant() switch
            {
                "cosine" => true,
                "constant" => false,
                var other => throw new CliUsageException($"--task charlm takes --schedule cosine (the default: to zero over the epochs or the time limit) or constant, not '{other}'."),
            },
        };
        string text = TextFile.ReadUtf8(path);
        CharLmRun run;
        try
        {
            run = new CharLmRun(text, options);
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException($"--text '{path}': {e.Message}");
        }
        bool json = r.GetValue<bool>("--json");
        var log = json ? stderr : stdout;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"charlm: {run.TrainCharacters:N0} characters to train on, {run.ValidationCharacters:N0} to validate on, {run.Vocabulary.Count} distinct; {options.Layers}-layer LSTM of {options.Hidden} units, {run.Model.Parameters().Sum(p => (long)p.Numel):N0} parameters; {run.TrainStreams} streams x {options.SequenceLength} characters, {run.UpdatesPerEpoch} updates an epoch"));
        bool completed = Interrupted.Run(cancel => run.Run(e =>
        {
            if (json)
                stdout.WriteLine(JsonSerializer.Serialize(new
                {
                    epoch = e.Epoch, updates = e.Updates, train_bpc = Math.Round(e.TrainBitsPerChar, 4), validation_bpc = Math.Round(e.ValidationBitsPerChar, 4),
                    seconds = Math.Round(e.Seconds, 1), stopped = e.Stopped, sample = e.Sample,
                }));
            else
            {
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"epoch {e.Epoch}/{options.Epochs}: train {e.TrainBitsPerChar:F3} bits/char, validation {e.ValidationBitsPerChar:F3} bits/char, {e.Updates} updates, {e.Seconds:F0} s{(e.Stopped ? " (time limit)" : "")}"));
                if (e.Sample.Length > 0) stdout.WriteLine("  sample: " + e.Sample.Replace("\n", "\n          ", StringComparison.Ordinal));
            }
        }, output, cancel));
        if (!completed)
        {
            stderr.WriteLine($"interrupted: the model of the last finished epoch (if any) is {output}");
            return Interrupted.ExitCode;
        }
        log.WriteLine($"saved {output}; write text with: striate generate --model {output} --prime \"The \" --length 300");
        return 0;
    }

    /// <summary><c>striate generate --model M --prime TEXT --length N --temperature T [--seed S]</c>.</summary>
    public static Command Generate(TextWriter stdout)
    {
        var cmd = new Command("generate", "Write text with a character-level language model (striate train --task charlm): read --prime, then draw --length characters one at a time.");
        var model = new Option<string>("--model", "-m") { Description = "The model file striate train --task charlm wrote.", Required = true };
        var prime = new Option<string>("--prime") { Description = "Text to start from (its characters must occur in the training text).", DefaultValueFactory = _ => "\n" };
        var length = new Option<int>("--length", "-n") { Description = "Characters to draw.", DefaultValueFactory = _ => 300 }.Within(0, 1_000_000);
        var temperature = new Option<double>("--temperature", "-t") { Description = "Divides the logits before the softmax: below 1 safer, above 1 wilder; 0 always takes the likeliest character.", DefaultValueFactory = _ => 0.8 }
            .InRange(0, 100);
        var seed = new Option<ulong>("--seed") { Description = "Seed of the draws.", DefaultValueFactory = _ => 1 };
        foreach (var o in new Option[] { model, prime, length, temperature, seed }) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            string path = Arguments.ExistingFile(r.GetValue(model)!);
            var (lm, vocabulary, _) = CharLmFile.Load(path);
            string start = r.GetValue(prime)!;
            if (start.Length == 0) throw new CliUsageException("--prime is empty: give at least one character to start from.");
            try
            {
                vocabulary.Encode(start);
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException($"--prime: {e.Message}");
            }
            string text = CharLmSampler.Generate(lm, vocabulary, start, r.GetValue(length), r.GetValue(temperature), new Generator(r.GetValue(seed)));
            stdout.Write(start);
            stdout.WriteLine(text);
            return 0;
        });
        return cmd;
    }
}
