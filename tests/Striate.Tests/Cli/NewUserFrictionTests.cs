using System.Diagnostics;
using System.Text.Json;
using Striate.Cli;
using Striate.Data;
using Striate.Models;
using Striate.Runs;
using Striate.Serialization;
using Striate.Tests.Data;
using Striate.Tests.Support;
using Striate.Training;

namespace Striate.Tests.Cli;

/// <summary>What a new user ran into, each as it behaves now.</summary>
public class NewUserFrictionTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    private static string[] Small(string output, int epochs) =>
        ["train", "--data", Repo.FashionMnist, "--limit", "300", "--test-limit", "100", "--epochs", epochs.ToString(), "--out", output];

    [Fact]
    public void AResumedRunWithoutOutContinuesInTheFileItResumes()
    {
        string model = Path.Combine(Repo.TempDir(), "a.safetensors");
        Assert.Equal(0, Run(Small(model, 1)).Code);
        string other = Path.GetFullPath(Path.Combine("runs", "lenet5.safetensors"));
        var otherBefore = File.Exists(other) ? File.GetLastWriteTimeUtc(other) : (DateTime?)null;

        var (code, _, err) = Run("train", "--data", Repo.FashionMnist, "--test-limit", "100", "--epochs", "2", "--resume", model);
        Assert.True(code == 0, err);
        Assert.Equal(2, Checkpoint.ReadHeader(model).Epoch);
        Assert.Equal(3, File.ReadAllLines(Path.ChangeExtension(model, ".csv")).Length); // header and two epochs
        // The default run file of the current folder was not written.
        Assert.Equal(otherBefore, File.Exists(other) ? File.GetLastWriteTimeUtc(other) : null);
    }

    [Fact]
    public void IndexNamesATestImageWhereverAnImageIsTaken()
    {
        string dir = Repo.TempDir(), embedding = Path.Combine(Repo.Root, "tests", "Striate.Tests", "Fixtures", "Compat", "embedding.safetensors");
        var (code, byIndex, err) = Run("embed", "--model", embedding, "--index", "3", "--json");
        var (code2, byArgument, err2) = Run("embed", "--model", embedding, "test:3", "--json");
        Assert.True(code == 0 && code2 == 0, err + err2);
        Assert.Equal(byArgument, byIndex);
        (code, _, err) = Run("verify", "--model", embedding, "--index", "0", "--index=1");
        Assert.True(code == 0, err);
        (code, _, err) = Run("visualize", "gradcam", "-m", "lenet5", "--index", "7", "-o", Path.Combine(dir, "g.png"));
        Assert.True(code == 0, err);
        Assert.True(File.Exists(Path.Combine(dir, "g.png")));
    }

    [Theory]
    [InlineData("visualize filters -m lenet5")]
    [InlineData("visualize activations -m lenet5 -l act1 test:0")]
    [InlineData("visualize receptive-field -m lenet5 -l conv2")]
    [InlineData("visualize occlusion -m lenet5 test:0")]
    [InlineData("filter --kernel sobel-x test:0")]
    [InlineData("report missing.safetensors")]
    public void QuickVerbsRefuseAnOutputThatCannotBeWrittenFirst(string command)
    {
        var (code, output, err) = Run([.. command.Split(' '), "-o", "/proc/nope/x.png"]);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--out '/proc/nope/x.png' cannot be written", err);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("train")]
    [InlineData("finetune")]
    [InlineData("triplet")]
    public void AnOutputThatCannotBeWrittenIsRefusedBeforeAnyWork(string verb)
    {
        string[] args = verb switch
        {
            "finetune" => ["finetune", "--classes", "0,1", "--epochs", "1"],
            "triplet" => ["train", "--task", "triplet", "--epochs", "1", "--limit", "200"],
            _ => ["train", "--epochs", "1", "--limit", "200"],
        };
        var (code, output, err) = Run([.. args, "--out", "/proc/nope/x.safetensors"]);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--out '/proc/nope/x.safetensors' cannot be written", err);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("--epochs", "abc", "--epochs expects a whole number, got 'abc'.")]
    [InlineData("--lr", "fast", "--lr expects a number, got 'fast'.")]
    [InlineData("--seed", "-1", "--seed expects a whole number >= 0, got '-1'.")]
    public void AValueOfTheWrongKindIsNamedInWords(string option, string value, string message)
    {
        var (code, output, err) = Run("train", option, value);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains(message, err);
        Assert.DoesNotContain("System.", err);
        Assert.Equal("", output);
    }

    [Fact]
    public void AFileThatIsNotACheckpointOrAFolderIsSaidSo()
    {
        string dir = Repo.TempDir();
        string csv = Path.Combine(dir, "lenet5.csv");
        File.WriteAllText(csv, "epoch,train_loss\n1,0.5\n");
        var (code, _, err) = Run("evaluate", "--model", csv);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains($"'{csv}' is not a safetensors file: it begins with text ('epoch,tr...')", err);

        File.WriteAllBytes(Path.Combine(dir, "m.safetensors"), [1, 0, 0, 0, 0, 0, 0, 0, (byte)'{']);
        (code, _, err) = Run("evaluate", "--model", dir);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains($"'{dir}' is a folder, not a model file; its checkpoints: {Path.Combine(dir, "m.safetensors")}.", err);
        (code, _, err) = Run("visualize", "filters", "--model", dir, "-o", Path.Combine(dir, "f.png"));
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("is a folder, not a model file", err);
    }

    [Fact]
    public void ModelNamesIgnoreCaseAndAMisspellingGetsASuggestion()
    {
        Assert.Equal("resnet18", ModelZoo.Check("ResNet18"));
        Assert.Equal("lenet5", ModelZoo.Find("LENET5"));
        var e = Assert.Throws<ArgumentException>(() => ModelZoo.Check("resnet-18"));
        Assert.StartsWith("Unknown model 'resnet-18'. Did you mean resnet18? Valid models:", e.Message);

        var (code, output, err) = Run("summary", "ResNet18", "--input", "3x64x64");
        Assert.True(code == 0, err);
        Assert.Contains("resnet18", output);
        (code, _, err) = Run("summary", "resnet-18");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("Did you mean resnet18?", err);
        (code, _, err) = Run("train", "--model", "lenet-5", "--epochs", "1");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("Did you mean lenet5?", err);
        string png = Path.Combine(Repo.TempDir(), "f.png");
        (code, _, err) = Run("visualize", "filters", "--model", "LeNet5", "-o", png);
        Assert.True(code == 0, err);
    }

    [Fact]
    public void ABatchLargerThanTheDataIsTheWholeDataNotAnOverflow()
    {
        Assert.Equal(1, new DataLoader(ImageDataset.FromFloats(new float[100 * 4], new int[100], 1, 2, 2, ["a"]), int.MaxValue).BatchCount);
        var (code, output, err) = Run("train", "--data", Repo.FashionMnist, "--batch-size", "2147483647", "--limit", "100", "--test-limit", "100", "--epochs", "1",
            "--json", "--out", Path.Combine(Repo.TempDir(), "b.safetensors"));
        Assert.True(code == 0, err);
        var epoch = JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0]).RootElement;
        Assert.InRange(epoch.GetProperty("train_loss").GetDouble(), 1.0, 5.0);   // one real step over ten classes
    }

    [Fact]
    public void ABatchThatCannotFitInMemoryIsRefusedWithTheLargestThatFits()
    {
        // 100 MiB an image, 1 GiB to use, 1M weights (16 MB with gradients and moments): at most 10 images.
        long mib = 1L << 20;
        string? problem = TrainingRun.BatchMemoryProblem("resnet18", 100 * mib, 1_000_000, 64, 60000, 1024 * mib);
        Assert.Equal("must be at most 10 here, got 64: a training batch of resnet18 needs about 0.10 GiB per image (6.26 GiB for 64 images with the weights), and this process may use 1.00 GiB.", problem);
        Assert.Null(TrainingRun.BatchMemoryProblem("resnet18", 100 * mib, 1_000_000, 10, 60000, 1024 * mib));
        // A batch larger than the training set needs only the training set.
        Assert.Null(TrainingRun.BatchMemoryProblem("resnet18", 100 * mib, 1_000_000, int.MaxValue, 8, 1024 * mib));
    }

    [Fact]
    public void EvaluateShowsTopFiveOnlyBeyondFiveClassesAndNumbersTheConfusionMatrix()
    {
        var three = new EvaluationResult(0.5, 6, 5, 6, new long[,] { { 2, 0, 0 }, { 0, 1, 1 }, { 0, 0, 2 } }, ["cat", "dog", "bird"]);
        string text = EvaluateCommand.Format(three, ["cat", "dog", "bird"]);
        Assert.DoesNotContain("top-5", text);
        var lines = text.Split('\n');
        int header = Array.FindIndex(lines, l => l.StartsWith("confusion matrix", StringComparison.Ordinal)) + 1;
        Assert.Equal(["0", "1", "2"], lines[header].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["1", "dog", "0", "1", "1"], lines[header + 2].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var ten = new EvaluationResult(0.5, 1, 1, 1, new long[10, 10], Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray());
        Assert.Contains("top-5", EvaluateCommand.Format(ten, Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray()));
    }

    [Fact]
    public void SummaryAndExplainReadBothOrdersOfAnUnambiguousInputSize()
    {
        var (code, output, err) = Run("explain", "conv", "--input", "3x224x224", "--kernel", "3", "--filters", "8", "--json");
        Assert.True(code == 0, err);
        var j = JsonDocument.Parse(output).RootElement;
        Assert.Equal((222, 222), (j.GetProperty("output_height").GetInt32(), j.GetProperty("output_width").GetInt32()));
        Assert.Equal(8 * (3 * 3 * 3 + 1), j.GetProperty("parameters").GetInt64());   // 3 channels, not 224
        (code, output, _) = Run("explain", "conv", "--input", "3x224x224", "--kernel", "3", "--filters", "8");
        Assert.StartsWith("reading --input 3x224x224 as 3 channels of 224x224", output);
        // The documented order is unchanged.
        Assert.Equal(96 * (11 * 11 * 3 + 1), JsonDocument.Parse(Run("explain", "conv", "--input", "227x227x3", "--kernel", "11", "--stride", "4", "--filters", "96", "--json").Out)
            .RootElement.GetProperty("parameters").GetInt64());

        (code, output, err) = Run("summary", "lenet5", "--input", "28x28x1");
        Assert.True(code == 0, err);
        Assert.StartsWith("reading --input 28x28x1 as 1 channel of 28x28", output);
        Assert.Equal(Run("summary", "lenet5", "--input", "1x28x28", "--json").Out, Run("summary", "lenet5", "--input", "28x28x1", "--json").Out);
    }

    [Fact]
    public void AFineTunedModelIsEvaluatedAndReportedOnItsOwnClasses()
    {
        string dir = Repo.TempDir(), model = Path.Combine(dir, "ft.safetensors");
        var (code, _, err) = Run("finetune", "--data", Repo.FashionMnist, "--classes", "5-9", "--per-class", "40", "--epochs", "2", "--test-limit", "100", "--out", model);
        Assert.True(code == 0, err);
        // The logs a training run writes, one line an epoch.
        Assert.Equal(3, File.ReadAllLines(Path.ChangeExtension(model, ".csv")).Length);
        Assert.Equal(2, File.ReadAllLines(Path.ChangeExtension(model, ".jsonl")).Length);

        (code, var output, err) = Run("evaluate", "--model", model, "--data", Repo.FashionMnist, "--json");
        Assert.True(code == 0, err);
        var j = JsonDocument.Parse(output).RootElement;
        Assert.Equal(5000, j.GetProperty("images").GetInt32());   // the 1,000 test images of each of the five classes
        Assert.Equal(["Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"], j.GetProperty("class_names").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(JsonValueKind.Null, j.GetProperty("top5_accuracy").ValueKind);

        (code, output, err) = Run("evaluate", "--model", model, "--data", Repo.FashionMnist, "--classes", "5,6", "--json");
        Assert.True(code == 0, err);
        Assert.Equal(2000, JsonDocument.Parse(output).RootElement.GetProperty("images").GetInt32());

        string html = Path.Combine(dir, "ft.html");
        (code, _, err) = Run("report", "--model", model, "--data", Repo.FashionMnist, "--test-limit", "200", "-o", html);
        Assert.True(code == 0, err);
        Assert.Contains(" on 200 images after 2 epochs", File.ReadAllText(html));   // 200 test images of the five classes
    }

    [Fact]
    public void DatasetImagesBecomeFilesAndEveryImageVerbTakesThemDirectly()
    {
        string dir = Repo.TempDir(), model = Path.Combine(dir, "m.safetensors");
        Assert.Equal(0, Run(Small(model, 1)).Code);
        var (code, output, err) = Run("images", "--index", "0", "7", "-o", dir);
        Assert.True(code == 0, err);
        string png = Path.Combine(dir, "test-0-ankle-boot.png");
        Assert.True(File.Exists(png), output);
        Assert.True(File.Exists(Path.Combine(dir, "test-7-shirt.png")), output);

        // The file written, the item named test:0 and --index 0 are one image to the model.
        JsonElement Top(params string[] input)
        {
            var (c, o, e) = Run(["predict", "--model", model, "--json", .. input]);
            Assert.True(c == 0, e);
            return JsonDocument.Parse(o.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0]).RootElement.GetProperty("top5")[0];
        }
        var byIndex = Top("--index", "0");
        foreach (var top in new[] { Top(png), Top("test:0") })
        {
            Assert.Equal(byIndex.GetProperty("class").GetString(), top.GetProperty("class").GetString());
            Assert.Equal(byIndex.GetProperty("probability").GetDouble(), top.GetProperty("probability").GetDouble(), 6);
        }
        (code, _, err) = Run("visualize", "saliency", "--model", model, "test:3", "-o", Path.Combine(dir, "s.png"));
        Assert.True(code == 0, err);
        (code, _, err) = Run("filter", "--kernel", "sobel-x", "train:5", "-o", Path.Combine(dir, "f.png"));
        Assert.True(code == 0, err);
        (code, _, err) = Run("predict", "--model", model, "test:10000");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("'test:10000': the test set has 10000 images (0 to 9999).", err);
    }

    [Fact]
    public async Task CtrlCStopsTheRunAndSaysHowToContinue()
    {
        string model = Path.Combine(Repo.TempDir(), "m.safetensors");
        // Through env --default-signal: a test run started in the background of a non-interactive shell ignores SIGINT,
        // and a child inherits that, so the signal would never reach the command.
        var psi = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("--default-signal=INT");
        psi.ArgumentList.Add("dotnet");
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Striate.Cli.dll"));
        // Twenty epochs of 2,000 images: long enough that the signal lands mid-run.
        foreach (var arg in new[] { "train", "--data", Repo.FashionMnist, "--limit", "2000", "--test-limit", "100", "--epochs", "20", "--out", model, "--json" })
            psi.ArgumentList.Add(arg);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string? first = p.StandardOutput.ReadLine();
        Assert.NotNull(first);
        using (var kill = Process.Start("kill", ["-INT", p.Id.ToString()])) kill.WaitForExit();
        string rest = await p.StandardOutput.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "the run did not stop after SIGINT");
        Assert.Equal(Interrupted.ExitCode, p.ExitCode);
        int saved = Checkpoint.ReadHeader(model).Epoch;
        Assert.InRange(saved, 1, 19);
        Assert.Contains($"interrupted: the checkpoint of epoch {saved} is {model}; continue with: striate train --resume {model} --epochs 20", await err);
        Assert.Equal(saved, 1 + rest.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void ExportWeightsOnlyDropsTheOptimizerStateAndCannotBeResumed()
    {
        string dir = Repo.TempDir(), model = Path.Combine(dir, "m.safetensors"), light = Path.Combine(dir, "light.safetensors");
        Assert.Equal(0, Run(Small(model, 1)).Code);
        var (code, output, err) = Run("export", "--model", model, "--weights-only", "-o", light);
        Assert.True(code == 0, err);
        Assert.Contains("bytes", output);
        // Adam's two moments per weight are gone: about a third of the size.
        Assert.InRange(new FileInfo(light).Length, new FileInfo(model).Length / 4, new FileInfo(model).Length / 2);
        Assert.DoesNotContain(SafeTensors.Read(light).Tensors, t => t.Name.StartsWith("optimizer.", StringComparison.Ordinal));

        string Accuracy(string m)
        {
            var (c, o, e) = Run("evaluate", "--model", m, "--data", Repo.FashionMnist, "--json");
            Assert.True(c == 0, e);
            return JsonDocument.Parse(o).RootElement.GetProperty("accuracy").GetRawText();
        }
        Assert.Equal(Accuracy(model), Accuracy(light));

        (code, _, err) = Run("train", "--data", Repo.FashionMnist, "--epochs", "2", "--resume", light, "--out", Path.Combine(dir, "r.safetensors"));
        Assert.NotEqual(0, code);
        Assert.Contains("holds weights only (striate export --weights-only)", err);
        (code, _, err) = Run("export", "--model", model, "-o", light);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("or --weights-only for a .safetensors checkpoint", err);
    }

    [Fact]
    public void ImageSizeResizesIdxDataSoEveryZooModelTrainsOnTheBundledData()
    {
        string dir = Repo.TempDir();
        var (code, _, err) = Run("train", "--model", "alexnet", "--epochs", "1", "--limit", "64", "--out", Path.Combine(dir, "x.safetensors"));
        Assert.NotEqual(0, code);
        Assert.Contains("alexnet cannot take 1x28x28 images", err);
        Assert.Contains("--image-size", err);

        string alex = Path.Combine(dir, "alexnet.safetensors");
        (code, _, err) = Run("train", "--data", Repo.FashionMnist, "--model", "alexnet", "--image-size", "227", "--epochs", "1", "--limit", "32", "--batch-size", "32",
            "--test-limit", "16", "--out", alex);
        Assert.True(code == 0, err);
        Assert.Equal((1, 227, 227), (Checkpoint.ReadHeader(alex).Spec.InChannels, Checkpoint.ReadHeader(alex).Spec.InputHeight, Checkpoint.ReadHeader(alex).Spec.InputWidth));

        // A small network at 32x32 learns, and the verbs that read test images resize them the same way.
        string model = Path.Combine(dir, "r.safetensors");
        (code, var output, err) = Run("train", "--data", Repo.FashionMnist, "--model", "resnet8-small", "--image-size", "32", "--epochs", "1", "--limit", "1000",
            "--test-limit", "200", "--json", "--out", model);
        Assert.True(code == 0, err);
        double trained = JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement.GetProperty("test_accuracy").GetDouble();
        Assert.InRange(trained, 0.2, 1.0);   // ten classes: chance is 0.1
        (code, output, err) = Run("evaluate", "--model", model, "--data", Repo.FashionMnist, "--json");
        Assert.True(code == 0, err);
        Assert.InRange(JsonDocument.Parse(output).RootElement.GetProperty("accuracy").GetDouble(), trained - 0.1, trained + 0.1);
        (code, _, err) = Run("predict", "--model", model, "--data", Repo.FashionMnist, "--index", "0");
        Assert.True(code == 0, err);
        (code, _, err) = Run("report", "--model", model, "--data", Repo.FashionMnist, "--test-limit", "50", "-o", Path.Combine(dir, "r.html"));
        Assert.True(code == 0, err);
    }

    [Fact]
    public void ChannelsConvertIdxAndCifarDataForANetworkThatTakesOthers()
    {
        string dir = Repo.TempDir(), rgb = Path.Combine(dir, "rgb.safetensors");
        // Gray Fashion-MNIST repeated into RGB for a three-channel LeNet-5: it learns, with the gray statistics per channel.
        var (code, output, err) = Run("train", "--data", Repo.FashionMnist, "--channels", "3", "--epochs", "1", "--limit", "2000", "--json", "--out", rgb);
        Assert.True(code == 0, err);
        var header = Checkpoint.ReadHeader(rgb);
        Assert.Equal(3, header.Spec.InChannels);
        Assert.Equal("3", header.Extra[Striate.Runs.TrainingOptions.ChannelsKey]);
        var ck = Checkpoint.Load(rgb);
        Assert.Equal(3, ck.Mean.Length);
        Assert.True(ck.Mean.Distinct().Count() == 1 && ck.Std.Distinct().Count() == 1);
        Assert.Equal(Repo.Train.Subset(Enumerable.Range(0, 2000).ToArray()).ChannelStatistics().Mean[0], ck.Mean[0]);
        double trained = JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement.GetProperty("test_accuracy").GetDouble();
        Assert.InRange(trained, 0.5, 1.0);
        // evaluate converts the gray test images the same way: the run's own figure, to the last digit.
        (code, output, err) = Run("evaluate", "--model", rgb, "--data", Repo.FashionMnist, "--json");
        Assert.True(code == 0, err);
        Assert.Equal(trained, JsonDocument.Parse(output).RootElement.GetProperty("accuracy").GetDouble());
        // A three-channel model trained without --channels still refuses gray test images.
        string plain = Path.Combine(dir, "plain.safetensors");
        Assert.Equal(0, Run("train", "--data", CifarTests.WriteCifar10(Repo.TempDir(), perBatch: 8), "--image-size", "28", "--epochs", "1", "--out", plain).Code);
        (code, _, err) = Run("evaluate", "--model", plain, "--data", Repo.FashionMnist);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("the model takes 3x28x28 images", err);

        // RGB CIFAR reduced to luma for a gray model; its report reads the CIFAR test images the same way.
        string cifar = CifarTests.WriteCifar10(Repo.TempDir(), perBatch: 8), gray = Path.Combine(dir, "gray.safetensors");
        (code, _, err) = Run("train", "--data", cifar, "--channels", "1", "--image-size", "28", "--epochs", "1", "--out", gray);
        Assert.True(code == 0, err);
        Assert.Equal((1, 28, 28), (Checkpoint.ReadHeader(gray).Spec.InChannels, Checkpoint.ReadHeader(gray).Spec.InputHeight, Checkpoint.ReadHeader(gray).Spec.InputWidth));
        (code, _, err) = Run("report", gray, "--data", cifar, "-o", Path.Combine(dir, "gray.html"));
        Assert.True(code == 0, err);
        // Resuming keeps the conversion.
        (code, _, err) = Run("train", "--resume", gray, "--data", cifar, "--epochs", "2");
        Assert.True(code == 0, err);
        Assert.Equal(1, Checkpoint.ReadHeader(gray).Spec.InChannels);
    }
}
