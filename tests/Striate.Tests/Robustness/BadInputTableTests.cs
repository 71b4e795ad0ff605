using Striate.Cli;
using Striate.Tests.Support;

namespace Striate.Tests.Robustness;

/// <summary>
/// Every verb that reads a file, given each kind of bad file: exit code 2, one message that names the file and says
/// what was wrong, no stack trace, and no output written.
/// </summary>
[Collection(nameof(SerialCollection))]
public class BadInputTableTests
{
    private static readonly Lazy<string> s_dir = new(() =>
    {
        string dir = Repo.TempDir();
        byte[] checkpoint = File.ReadAllBytes(Visualization.TrainedLeNet.Model);
        File.WriteAllText(Path.Combine(dir, "log.safetensors"), "epoch,train_loss\n1,0.5\n");
        File.WriteAllBytes(Path.Combine(dir, "empty.safetensors"), []);
        File.WriteAllBytes(Path.Combine(dir, "cut.safetensors"), checkpoint[..(checkpoint.Length / 2)]);
        File.WriteAllBytes(Path.Combine(dir, "noise.safetensors"), [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 97 + 13))]);
        Directory.CreateDirectory(Path.Combine(dir, "folder.safetensors"));
        byte[] png = Striate.Imaging.ImageFile.EncodePng(new float[28 * 28], 1, 28, 28);
        File.WriteAllBytes(Path.Combine(dir, "cut.png"), png[..(png.Length - 20)]);
        File.WriteAllText(Path.Combine(dir, "text.png"), "not a picture at all");
        File.WriteAllBytes(Path.Combine(dir, "bomb.jpg"),
            [0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0x20, 0, 0x20, 0, 1, 1, 0x11, 0, 0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0, 0, 0xFF, 0xD9]);
        Directory.CreateDirectory(Path.Combine(dir, "empty-data"));
        string cutData = Path.Combine(dir, "cut-data");
        Directory.CreateDirectory(cutData);
        foreach (var f in Directory.GetFiles(Repo.FashionMnist, "*ubyte*"))
        {
            byte[] b = File.ReadAllBytes(f);
            File.WriteAllBytes(Path.Combine(cutData, Path.GetFileName(f)), f.Contains("t10k-images", StringComparison.Ordinal) ? b[..1000] : b);
        }
        return dir;
    });

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        string[] models = ["log.safetensors", "empty.safetensors", "cut.safetensors", "noise.safetensors", "folder.safetensors"];
        string[] modelVerbs =
        [
            "evaluate --model {0}", "predict --model {0} test:0", "summary {0}", "visualize filters -m {0} -o OUT",
            "visualize gradcam -m {0} test:0 -o OUT", "report {0} -o OUT", "export --weights-only -m {0} -o OUT",
            "finetune --from {0} --classes 0,1 --out OUT", "embed --model {0} test:0", "train --resume {0} --out OUT",
        ];
        foreach (var verb in modelVerbs)
            foreach (var m in models)
                data.Add(verb, m);
        string[] imageVerbs = ["predict --model GOOD {0}", "visualize occlusion -m GOOD {0} -o OUT", "filter --kernel sobel-x {0} -o OUT", "visualize activations -m GOOD -l act1 {0} -o OUT"];
        foreach (var verb in imageVerbs)
            foreach (var image in new[] { "cut.png", "text.png", "bomb.jpg", "folder.safetensors" })
                data.Add(verb, image);
        foreach (var verb in new[] { "train --data {0} --epochs 1 --out OUT", "evaluate --model GOOD --data {0}", "report GOOD --data {0} -o OUT", "images --data {0} -o OUT" })
            foreach (var folder in new[] { "empty-data", "cut-data" })
                data.Add(verb, folder);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ABadFileIsAUsageErrorThatNamesIt(string verb, string file)
    {
        string dir = s_dir.Value, output = Path.Combine(Repo.TempDir(), "out", "result.safetensors");
        string bad = Path.Combine(dir, file);
        var args = verb.Split(' ').Select(a => a == "{0}" ? bad : a == "OUT" ? (verb.StartsWith("images", StringComparison.Ordinal) ? Path.GetDirectoryName(output)! : output) : a == "GOOD" ? Visualization.TrainedLeNet.Model : a).ToArray();
        var (code, stdout, err) = CliRun.Run(args);
        Assert.True(code == StriateCli.UsageError, $"exit {code}: {err}");
        Assert.StartsWith("error: ", err);
        Assert.Contains(file, err);
        Assert.DoesNotContain("   at ", err);
        Assert.DoesNotContain("Exception", err);
        Assert.True(err.Length > 40, err);
        Assert.DoesNotContain("Unknown model", err);
        Assert.DoesNotContain("wrote", stdout);
        Assert.False(File.Exists(output), "an output was written");
        Assert.False(Directory.Exists(Path.GetDirectoryName(output)) && Directory.EnumerateFiles(Path.GetDirectoryName(output)!).Any(), "an output was written");
    }
}
