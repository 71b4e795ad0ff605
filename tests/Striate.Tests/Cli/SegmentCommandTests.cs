using System.Text.Json;
using Striate.Cli;
using Striate.Data;
using Striate.Imaging;
using Striate.Runs;
using Striate.Tests.Data;
using Striate.Tests.Support;

namespace Striate.Tests.Cli;

/// <summary>
/// A segmentation model from the command line: trained on a folder of one's own or on scenes, evaluated, and
/// drawn by striate segment; bad input refused with exit code 2.
/// </summary>
public class SegmentCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    [Fact]
    public void AFolderOfOnesOwnTrainsEvaluatesAndSegments()
    {
        string root = Path.Combine(Repo.TempDir(), "pets");
        SegmentationFolderTests.Make(root, "train", 8, 16, 24);
        SegmentationFolderTests.Make(root, "test", 3, 16, 16);
        string model = Path.Combine(Repo.TempDir(), "pets.safetensors");
        string report = Path.Combine(Repo.TempDir(), "pets.html");
        var (code, output, err) = Run("train", "--task", "segment", "--data", root, "--epochs", "2", "--batch-size", "4", "--out", model, "--report", report);
        Assert.True(code == 0, err);
        string html = File.ReadAllText(report);
        Assert.Contains("Test mean IoU <b>", html);
        Assert.Contains("id=\"class-iou\"", html);
        Assert.Contains("id=\"confusion\"", html);
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(html, "id=\"example-\\d+\"").Count);
        Assert.Contains("skip connections:", html);
        Assert.Contains("<th>lr</th>", html);
        Assert.Contains("8 training images of 24x16 and 3 test images of 16x16, 3 channels", output);
        Assert.Contains("epoch 2/2", output);
        var (_, _, channels, classes) = SegmentationFile.Load(model);
        Assert.Equal((3, 3), (channels, classes.Count));

        (code, output, err) = Run("evaluate", "--model", model, "--data", root, "--json");
        Assert.True(code == 0, err);
        using (var doc = JsonDocument.Parse(output))
        {
            var e = doc.RootElement;
            Assert.Equal(3, e.GetProperty("images").GetInt32());
            long pixels = e.GetProperty("confusion_matrix").EnumerateArray().SelectMany(row => row.EnumerateArray()).Sum(v => v.GetInt64());
            Assert.Equal(3 * 16 * 16, pixels);
            double accuracy = e.GetProperty("pixel_accuracy").GetDouble();
            Assert.InRange(accuracy, 0, 1);
        }
        (code, output, err) = Run("evaluate", "--model", model, "--data", root);
        Assert.True(code == 0, err);
        Assert.Contains("3 test images of 16x16 (768 pixels): pixel accuracy", output);
        Assert.Contains("confusion matrix in pixels", output);

        // An image whose sides are not multiples of 8 is padded for the network and cut back.
        string image = Path.Combine(Repo.TempDir(), "odd.png");
        ImageFile.SavePng(image, Enumerable.Range(0, 3 * 13 * 21).Select(i => i % 5 / 5f).ToArray(), 3, 13, 21);
        string picture = Path.Combine(Repo.TempDir(), "odd-mask.png");
        (code, output, err) = Run("segment", "--model", model, image, "-o", picture);
        Assert.True(code == 0, err);
        Assert.Contains("21x13", output);
        var drawn = Image.Load(picture, 3);
        Assert.True(drawn.Width > 2 * 13 && drawn.Height > 13);
        (code, output, err) = Run("segment", "--model", model, image, "--json");
        Assert.True(code == 0, err);
        using (var doc = JsonDocument.Parse(output))
            Assert.Equal(13 * 21, doc.RootElement.GetProperty("pixels").EnumerateArray().Sum(p => p.GetProperty("count").GetInt64()));

        // Bad input: exit code 2 and what was expected.
        (code, _, err) = Run("segment", "--model", model, image);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("give -o OUT.png for the picture, or --json", err);
        string lenet = Path.Combine(Repo.TempDir(), "lenet.safetensors");
        new Striate.Models.LeNet5().Save(lenet);
        (code, _, err) = Run("segment", "--model", lenet, image, "--json");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("is not a segmentation model", err);
        (code, _, err) = Run("evaluate", "--model", model, "--data", root, "--scenes", "10");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--scenes and --scene-size draw scenes", err);
        (code, _, err) = Run("evaluate", "--model", model, "--tta", "2");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--tta is for classifiers", err);
        (code, _, err) = Run("evaluate", "--model", lenet, "--scenes", "10");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--scenes is for segmentation models", err);

        string odd = Path.Combine(Repo.TempDir(), "oddsizes");
        SegmentationFolderTests.Make(odd, "train", 2, 12, 16);
        SegmentationFolderTests.Make(odd, "test", 2, 16, 16);
        (code, _, err) = Run("train", "--task", "segment", "--data", odd, "--epochs", "1");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("are 16x12; unet-small takes sides that are multiples of 8", err);
        File.Delete(Path.Combine(odd, "test", "masks", "img1.png"));
        (code, _, err) = Run("evaluate", "--model", model, "--data", odd);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("img1.png' has no mask", err);
        (code, _, err) = Run("train", "--task", "segment", "--data", root, "--scenes", "10");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--scenes draws scenes from an image set", err);
    }

    [Fact]
    public void ASceneIsDrawnBesideItsTrueMask()
    {
        string model = Path.Combine(Repo.TempDir(), "unet-scenes.safetensors");
        var (code, _, err) = Run("train", "--task", "segment", "--scenes", "32", "--test-scenes", "8", "--epochs", "1", "--batch-size", "16", "--out", model);
        Assert.True(code == 0, err);
        string folder = Repo.TempDir(), picture = Path.Combine(folder, "scene.png");
        (code, var output, err) = Run("segment", "--model", model, "scene:3", "scene:5", "-o", picture, "--json");
        Assert.True(code == 0, err);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        // The scene drawn is test scene 3 of the training run (seed 1): its accuracy is the model's on that scene and its true mask.
        var scenes = SegmentationScenes.Generate(Repo.Test, 4, SegmentationScenes.TestSeed(1));
        var (net, name, _, _) = SegmentationFile.Load(model);
        var predicted = SegmentationModels.Predict(net, scenes.Image(3), 1, 64, 64, SegmentationModels.SizeMultiple(name));
        double expected = Enumerable.Range(0, 64 * 64).Count(p => predicted[p] == scenes.Mask(3)[p]) / (64.0 * 64);
        using (var doc = JsonDocument.Parse(lines[0]))
        {
            Assert.Equal("scene:3", doc.RootElement.GetProperty("input").GetString());
            Assert.Equal(64 * 64, doc.RootElement.GetProperty("pixels").EnumerateArray().Sum(p => p.GetProperty("count").GetInt64()));
            Assert.Equal(expected, doc.RootElement.GetProperty("pixel_accuracy").GetDouble(), 12);
        }
        // Two inputs, two numbered pictures, each the image, the prediction and the true mask (three 192-pixel panels).
        foreach (var n in new[] { 1, 2 })
        {
            var drawn = Image.Load(Path.Combine(folder, $"scene-{n}.png"), 3);
            Assert.True(drawn.Width >= 3 * 192, $"picture {n} is {drawn.Width} wide");
        }
        (code, output, err) = Run("evaluate", "--model", model, "--scenes", "8", "--json");
        Assert.True(code == 0, err);
        using (var doc = JsonDocument.Parse(output))
            Assert.Equal(8, doc.RootElement.GetProperty("images").GetInt32());
        (code, _, err) = Run("segment", "--model", model, "scene:100000", "--json");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("scene numbers run from 0 to 99999", err);
    }
}
