namespace Striate.Cli;

/// <summary>
/// Ctrl-C (SIGINT) during a long run: the run is asked to stop at its next batch instead of the process dying, so the
/// terminal is restored and the command can say how to continue.
/// </summary>
public static class Interrupted
{
    /// <summary>The exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).</summary>
    public const int ExitCode = 130;

    /// <summary>Runs <paramref name="work"/> with a token that Ctrl-C cancels; false when it was cancelled.</summary>
    public static bool Run(Action<CancellationToken> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var cts = new CancellationTokenSource();
        void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            // A second Ctrl-C ends the process at once, as usual.
            e.Cancel = !cts.IsCancellationRequested;
            cts.Cancel();
        }
        Console.CancelKeyPress += OnCancel;
        try
        {
            work(cts.Token);
            return true;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            Console.CancelKeyPress -= OnCancel;
        }
    }
}
