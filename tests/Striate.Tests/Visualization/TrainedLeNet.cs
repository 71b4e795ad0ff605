using Striate.Cli;
using Striate.Tests.Support;

namespace Striate.Tests.Visualization;

/// <summary>
/// One LeNet-5 trained briefly on the bundled Fashion-MNIST through <c>striate train</c> (6,000 images, two epochs,
/// seed 1, 10% held out for validation), shared by the drawing tests: the checkpoint and its CSV log.
/// </summary>
internal static class TrainedLeNet
{
    public const ulong Seed = 1;

    private static readonly Lazy<(string Model, string Log, string Dir)> s_run = new(Train);

    public static string Model => s_run.Value.Model;
    public static string Log => s_run.Value.Log;
    public static string Dir => s_run.Value.Dir;

    private static (string, string, string) Train()
    {
        string dir = Repo.TempDir(), model = Path.Combine(dir, "lenet5.safetensors");
        var o = new StringWriter();
        var e = new StringWriter();
        int code = StriateCli.Run(["train", "--data", Repo.FashionMnist, "--limit", "6000", "--test-limit", "1000", "--validation", "0.1",
            "--epochs", "2", "--batch-size", "64", "--lr", "0.004", "--schedule", "constant", "--seed", Seed.ToString(), "--out", model, "--json"], o, e);
        if (code != 0) throw new InvalidOperationException($"training the shared LeNet-5 failed ({code}): {e}");
        return (model, Path.ChangeExtension(model, ".csv"), dir);
    }
}
