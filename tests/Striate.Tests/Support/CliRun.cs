using Striate.Cli;

namespace Striate.Tests.Support;

/// <summary>Runs the striate command line in process and captures its exit code and output.</summary>
public static class CliRun
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = StriateCli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }
}
