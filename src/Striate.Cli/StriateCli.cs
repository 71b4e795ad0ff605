using System.CommandLine;

namespace Striate.Cli;

/// <summary>The <c>striate</c> command line: builds the verb tree and maps failures to exit codes.</summary>
public static class StriateCli
{
    /// <summary>Exit code for bad input (a usage error, a corrupt file).</summary>
    public const int UsageError = 2;

    /// <summary>Exit code for a command that failed otherwise (the library refused a setting, a write failed, training diverged).</summary>
    public const int Failure = 1;

    /// <summary>Runs the command line; returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("Striate: convolutional neural networks for .NET.");
        root.Subcommands.Add(TrainCommand.Create(stdout, stderr));
        root.Subcommands.Add(EvaluateCommand.Create(stdout));
        root.Subcommands.Add(PredictCommand.Create(stdout));
        root.Subcommands.Add(SummaryCommand.Create(stdout));
        root.Subcommands.Add(ExplainCommand.Create(stdout));
        root.Subcommands.Add(FilterCommand.Create(stdout));
        root.Subcommands.Add(VisualizeCommand.Create(stdout));
        root.Subcommands.Add(ReportCommand.Create(stdout));
        root.Subcommands.Add(FinetuneCommand.Create(stdout, stderr));
        root.Subcommands.Add(EmbedCommands.Embed(stdout));
        root.Subcommands.Add(EmbedCommands.Verify(stdout));
        root.Subcommands.Add(EmbedCommands.Enroll(stdout));
        root.Subcommands.Add(EmbedCommands.Identify(stdout));
        var config = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
        try
        {
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (var e in parse.Errors) stderr.WriteLine($"error: {e.Message}");
                stderr.WriteLine("Run 'striate --help' for usage.");
                return UsageError;
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
