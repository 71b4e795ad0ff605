using System.CommandLine;

namespace Striate.Cli;

/// <summary>
/// One command serving several tasks (<c>striate train --task ...</c>) shares one set of options; an option the
/// chosen task does not read must not be accepted and silently dropped. <see cref="RejectUnused"/> refuses every
/// option given on the command line that the task does not use, naming the task and the options it does.
/// </summary>
public static class TaskOptions
{
    /// <summary>
    /// Throws a <see cref="CliUsageException"/> when the command line gives an option (explicitly, not by its
    /// default) whose name is not in <paramref name="used"/>; <paramref name="hint"/>, if given, follows the list.
    /// </summary>
    public static void RejectUnused(ParseResult r, string task, IReadOnlyCollection<string> used, string? hint = null)
    {
        var unused = r.CommandResult.Command.Options
            .Where(o => o.Name is not ("--help" or "-h" or "--version") && !used.Contains(o.Name))
            .Where(o => r.GetResult(o) is { Implicit: false })
            .Select(o => o.Name)
            .ToList();
        if (unused.Count > 0)
            throw new CliUsageException($"--task {task} does not use {string.Join(", ", unused)}.{(hint is null ? "" : $" {hint}")} It reads {string.Join(", ", used.Order(StringComparer.Ordinal))}.");
    }
}
