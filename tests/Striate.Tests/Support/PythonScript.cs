using System.Diagnostics;

namespace Striate.Tests.Support;

/// <summary>Runs one of the repository's Python scripts with Debian's /usr/bin/python3 (the reference libraries' interpreter).</summary>
public static class PythonScript
{
    public const string Python = "/usr/bin/python3";

    /// <summary>Whether /usr/bin/python3 exists and imports <paramref name="modules"/> ("torch, onnx").</summary>
    public static bool CanImport(string modules)
    {
        if (!File.Exists(Python)) return false;
        try
        {
            using var p = Process.Start(new ProcessStartInfo(Python, ["-c", "import " + modules]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit(120_000);
            return p.HasExited && p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>Runs tests/Striate.Tests/<paramref name="script"/> with <paramref name="args"/>; its standard output, or an exception with its error output.</summary>
    public static string Run(string script, params string[] args)
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(Repo.Root, "tests", "Striate.Tests", script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var error = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{script} failed: {error.Result}\n{output}");
        return output;
    }
}
