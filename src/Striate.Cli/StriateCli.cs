using System.CommandLine;

namespace Striate.Cli;

/// <summary>The <c>striate</c> command line: builds the verb tree and maps failures to exit codes.</summary>
public static class StriateCli
{
    /// <summary>Exit code for bad input (a usage error, a corrupt file).</summary>
    public const int UsageError = 2;

    /// <summary>Exit code for a command that failed otherwise (the library refused a setting, a write failed, training diverged).</summary>
    public const int Failure = 1;

    // The root command is named "striate" whatever the host process is called (dotnet Striate.Cli.dll, a tool shim),
    // so that usage lines and messages say what the user types; it carries the help and version options a
    // RootCommand would.
    private static Command Root()
    {
        var root = new Command("striate", "Striate: convolutional neural networks for .NET.");
        root.Options.Add(new System.CommandLine.Help.HelpOption());
        root.Options.Add(new VersionOption());
        return root;
    }

    // For an unrecognised option (a token starting with "-" that the command does not know) or verb: the command's
    // options or verbs, led by the closest one when it is a likely misspelling.
    private static string? UnknownOptionHint(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        bool verb = command.Subcommands.Count > 0;
        var unknown = parse.UnmatchedTokens.FirstOrDefault(t => verb || t.StartsWith('-'));
        if (unknown is null) return null;
        var names = verb ? command.Subcommands.Select(c => c.Name).ToList()
            : command.Options.Where(o => o.Name is not ("--help" or "--version")).Select(o => o.Name).Order(StringComparer.Ordinal).ToList();
        if (names.Count == 0) return null;
        string guess = IO.Spelling.Closest(unknown, names) is { } closest ? $"Did you mean {closest}? " : "";
        return $"{guess}'{command.Name}' takes {string.Join(", ", names)}.";
    }

    // The verbs that take images as arguments (embed, verify, enroll, identify, visualize) also take "--index N" for
    // test image N of the data, as predict does: the pair becomes the argument test:N where it stands.
    private static string[] ImageIndexes(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("embed" or "verify" or "enroll" or "identify" or "visualize")) return args;
        var result = new List<string>(args.Length);
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--index" && i + 1 < args.Length && int.TryParse(args[i + 1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
                result.Add("test:" + args[++i]);
            else if (args[i].StartsWith("--index=", StringComparison.Ordinal) && int.TryParse(args[i]["--index=".Length..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
                result.Add("test:" + args[i]["--index=".Length..]);
            else
                result.Add(args[i]);
        }
        return [.. result];
    }

    // A value of the wrong type says what the option takes in words, not as a .NET type: "--epochs expects a whole
    // number, got 'abc'." instead of "... as expected type 'System.Int32'."
    private static string Plain(string message)
    {
        var m = System.Text.RegularExpressions.Regex.Match(message, @"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']+)' as expected type '(?<type>[^']+)'\.?$");
        if (!m.Success) return message;
        string type = m.Groups["type"].Value;
        string kind = type.Contains("UInt", StringComparison.Ordinal) ? "a whole number >= 0"
            : type.Contains("Int", StringComparison.Ordinal) ? "a whole number"
            : type.Contains("Single", StringComparison.Ordinal) || type.Contains("Double", StringComparison.Ordinal) ? "a number"
            : type.Contains("Boolean", StringComparison.Ordinal) ? "true or false"
            : "another kind of value";
        return $"{m.Groups["option"].Value} expects {kind}, got '{m.Groups["value"].Value}'.";
    }

    /// <summary>Runs the command line; returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        args = ImageIndexes(args);
        var root = Root();
        root.Subcommands.Add(TrainCommand.Create(stdout, stderr));
        root.Subcommands.Add(EvaluateCommand.Create(stdout));
        root.Subcommands.Add(PredictCommand.Create(stdout));
        root.Subcommands.Add(SummaryCommand.Create(stdout));
        root.Subcommands.Add(ExplainCommand.Create(stdout));
        root.Subcommands.Add(FilterCommand.Create(stdout));
        root.Subcommands.Add(ImagesCommand.Create(stdout));
        root.Subcommands.Add(VisualizeCommand.Create(stdout));
        root.Subcommands.Add(ReportCommand.Create(stdout));
        root.Subcommands.Add(ExportCommand.Create(stdout));
        root.Subcommands.Add(FinetuneCommand.Create(stdout, stderr));
        root.Subcommands.Add(ConvertCommand.Create(stdout));
        root.Subcommands.Add(EmbedCommands.Embed(stdout));
        root.Subcommands.Add(EmbedCommands.Verify(stdout));
        root.Subcommands.Add(EmbedCommands.Enroll(stdout));
        root.Subcommands.Add(EmbedCommands.Identify(stdout));
        root.Subcommands.Add(CharLmTask.Generate(stdout));
        root.Subcommands.Add(SegmentCommand.Create(stdout));
        var config = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
        try
        {
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (var e in parse.Errors) stderr.WriteLine($"error: {Plain(e.Message)}");
                if (UnknownOptionHint(parse) is { } hint) stderr.WriteLine(hint);
                stderr.WriteLine($"Run '{string.Join(" ", parse.CommandResult.Command.Parents.OfType<Command>().Reverse().Select(c => c.Name).Append(parse.CommandResult.Command.Name))} --help' for usage.");
                return UsageError;
            }
            if (parse.Action is System.CommandLine.Help.HelpAction && parse.CommandResult.Command.Name == "train")
            {
                // train's options are listed by task, not as one list of fifty.
                var text = new StringWriter();
                int code = parse.Invoke(new InvocationConfiguration { Output = text, Error = stderr, EnableDefaultExceptionHandler = false });
                stdout.Write(TrainHelp.Regroup(text.ToString()));
                return code;
            }
            return parse.Invoke(config);
        }
        catch (CliUsageException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return UsageError;
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException or EndOfStreamException)
        {
            // A missing, corrupt or truncated input file: a clear message, no stack trace.
            stderr.WriteLine($"error: {e.Message}");
            return UsageError;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or IOException or UnauthorizedAccessException
            or InvalidOperationException or NotSupportedException)
        {
            // Anything else a command could not do (a setting the library refused, a file it could not write, a
            // training run that diverged): the message, no stack trace, and exit code 1.
            stderr.WriteLine($"error: {e.Message}");
            return Failure;
        }
    }
}

/// <summary>A user error on the command line: printed without a stack trace, exit code 2.</summary>
public sealed class CliUsageException(string message) : Exception(message);
