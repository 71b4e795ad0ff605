using System.Text.Json;
using Striate.Serialization;
using Striate.Tests.Data;
using Striate.Tests.Support;

namespace Striate.Tests.Cli;

public class DataFolderCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    // Three easy classes of 28x28 gray images: horizontal stripes, vertical stripes, a bright centre square; with noise.
    private static float[] Image(int cls, int i)
    {
        var px = new float[28 * 28];
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
            {
                bool on = cls switch { 0 => (y + i) % 4 < 2, 1 => (x + i) % 4 < 2, _ => Math.Abs(y - 14) < 6 && Math.Abs(x - 14) < 6 };
                float noise = (float)((uint)((y * 28 + x + 1) * (i + 7) * 2654435761u) % 100) / 400f;
                px[y * 28 + x] = (on ? 0.75f : 0f) + noise;
            }
        return px;
    }

    private static string ImageFolder(int perClass)
    {
        string root = Repo.TempDir();
        string[] classes = ["stripes-h", "stripes-v", "square"];
        foreach (var split in new[] { "train", "test" })
            for (int c = 0; c < 3; c++)
            {
                string dir = Path.Combine(root, split, classes[c]);
                Directory.CreateDirectory(dir);
                int n = split == "train" ? perClass : perClass / 3;
                for (int i = 0; i < n; i++)
                {
                    if (i % 2 == 0) Png.Write(Path.Combine(dir, $"{i}.png"), Image(c, i), 1, 28, 28);
                    else Bmp.WriteGray(Path.Combine(dir, $"{i}.bmp"), Image(c, i), 28, 28);
                }
            }
        return root;
    }

    [Fact]
    public void TrainLearnsFromAnImageFolderAndEvaluateReadsItsTestSplit()
    {
        string root = ImageFolder(perClass: 60), model = Path.Combine(Repo.TempDir(), "m.safetensors");
        var (code, output, err) = Run("train", "--data", root, "--channels", "1", "--epochs", "2", "--batch-size", "16", "--seed", "2", "--out", model, "--json");
        Assert.True(code == 0, err);
        var last = JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
        Assert.InRange(last.GetProperty("test_accuracy").GetDouble(), 0.8, 1.0);
        var meta = SafeTensors.Read(model).Metadata;
        Assert.Equal("""["square","stripes-h","stripes-v"]""", meta["class_names"]);

        var (ecode, eout, eerr) = Run("evaluate", "--model", model, "--data", root, "--json");
        Assert.True(ecode == 0, eerr);
        var ej = JsonDocument.Parse(eout).RootElement;
        Assert.Equal(60, ej.GetProperty("images").GetInt32());
        Assert.Equal(last.GetProperty("test_accuracy").GetDouble(), ej.GetProperty("accuracy").GetDouble(), 6);
    }

    [Fact]
    public void BadImagesAreSkippedWithAWarningOrFailTheRunByPath()
    {
        string root = ImageFolder(perClass: 6), model = Path.Combine(Repo.TempDir(), "m.safetensors");
        string bad = Path.Combine(root, "train", "square", "zz.png");
        File.WriteAllText(bad, "not a PNG file");
        string[] args = ["train", "--data", root, "--channels", "1", "--epochs", "1", "--out", model];

        var (code, _, err) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains(bad, err);
        Assert.Contains("--on-bad-image skip", err);
        Assert.DoesNotContain("   at ", err);

        (code, _, err) = Run([.. args, "--on-bad-image", "skip"]);
        Assert.True(code == 0, err);
        Assert.Contains($"warning: skipped {bad}", err);

        Assert.Equal(2, Run([.. args, "--on-bad-image", "maybe"]).Code);
        Assert.Equal(2, Run([.. args, "--image-size", "0x4"]).Code);
        Directory.Delete(Path.Combine(root, "test"), recursive: true);
        var (c2, _, e2) = Run(args);
        Assert.Equal(2, c2);
        Assert.Contains("train/ and test/", e2);
    }

    [Fact]
    public void TrainReadsACifar10Folder()
    {
        string dir = CifarTests.WriteCifar10(Repo.TempDir(), perBatch: 8), model = Path.Combine(Repo.TempDir(), "m.safetensors");
        var (code, output, err) = Run("train", "--data", dir, "--model", "resnet8-small", "--epochs", "1", "--batch-size", "8", "--out", model);
        Assert.True(code == 0, err);
        Assert.Contains("on 40 images", output);
        var spec = Striate.Models.ModelSpec.FromJson(SafeTensors.Read(model).Metadata["model_spec"], model);
        Assert.Equal((3, 32, 32, 10), (spec.InChannels, spec.InputHeight, spec.InputWidth, spec.NumClasses));
    }
}
