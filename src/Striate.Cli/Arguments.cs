using System.CommandLine;

namespace Striate.Cli;

/// <summary>Reading option values: a setting the library refuses becomes a usage error that names the flag.</summary>
public static class Arguments
{
    /// <summary>
    /// The value of <paramref name="option"/> read by <paramref name="parse"/> (a library parser of a setting's text); an
    /// <see cref="ArgumentException"/> from it becomes a <see cref="CliUsageException"/> prefixed with the flag.
    /// </summary>
    public static T Parse<T>(Option<string> option, ParseResult r, Func<string, T> parse)
    {
        try
        {
            return parse(r.GetValue(option)!);
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException($"{option.Name}: {e.Message}");
        }
    }
}
