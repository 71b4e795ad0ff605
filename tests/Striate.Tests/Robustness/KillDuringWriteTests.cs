using System.Diagnostics;
using Striate.IO;
using Striate.Serialization;
using Striate.Tests.Support;
using Striate.Training;

namespace Striate.Tests.Robustness;

/// <summary>
/// The process killed (SIGKILL) inside a write, in the temporary-file window itself: the target keeps its old bytes,
/// loads as before, and only a hidden temporary file is left beside it.
/// </summary>
[Collection(nameof(SerialCollection))]
public class KillDuringWriteTests
{
    [Theory]
    [InlineData("writing")]
    [InlineData("renaming")]
    public void AKillInsideTheWriteLeavesTheOldFileWhole(string phase)
    {
        string dir = Repo.TempDir(), source = Visualization.TrainedLeNet.Model, target = Path.Combine(dir, "weights.safetensors"), signal = Path.Combine(dir, "paused");
        // The target is a full checkpoint (with Adam's moments); the export over it would write a weights-only one.
        File.Copy(source, target);
        byte[] before = File.ReadAllBytes(target);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Striate.Cli.dll"));
        foreach (var a in new[] { "export", "--weights-only", "--model", source, "-o", target }) psi.ArgumentList.Add(a);
        psi.Environment[AtomicFile.PauseVariable] = $"{phase}:{signal}";
        using (var p = Process.Start(psi)!)
        {
            var deadline = Stopwatch.StartNew();
            while (!File.Exists(signal) && !p.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(20);
            Assert.True(File.Exists(signal), $"the write never paused: {(p.HasExited ? p.StandardError.ReadToEnd() : "still running")}");
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        Assert.Equal(before, File.ReadAllBytes(target));
        Assert.Equal(before.Length, new FileInfo(target).Length);
        Assert.False(Checkpoint.Load(target).IsWeightsOnly);
        // What the kill left: one hidden temporary file, partly written or whole, never the target.
        var debris = Directory.GetFiles(dir, ".weights.safetensors.*.tmp");
        Assert.Single(debris);
        long tmp = new FileInfo(debris[0]).Length;
        if (phase == "writing") Assert.InRange(tmp, 4096, before.Length - 1);
        else Assert.True(Checkpoint.Load(debris[0]).IsWeightsOnly, "the whole new file was written before the rename");
    }
}
