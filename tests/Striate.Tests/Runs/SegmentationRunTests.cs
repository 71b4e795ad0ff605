using Striate.Cli;
using Striate.Data;
using Striate.Runs;
using Striate.Tensors;
using Striate.Tests.Support;

namespace Striate.Tests.Runs;

/// <summary>Training a segmentation model on scenes: it learns, its file keeps it, and the command line refuses what it cannot do.</summary>
public class SegmentationRunTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    [Fact]
    public void AUNetLearnsTheScenesAndItsFileKeepsIt()
    {
        var options = new SceneOptions { Size = 32, MinItems = 1, MaxItems = 1, MinScale = 1, MaxScale = 1 };
        var train = SegmentationScenes.Generate(Repo.Train.Subset([.. Enumerable.Range(0, 2000)]), 384, 1, options);
        var test = SegmentationScenes.Generate(Repo.Test.Subset([.. Enumerable.Range(0, 500)]), 64, 2, options);
        var run = new SegmentationRun(train, test, new SegmentationOptions { Model = "unet-small", Epochs = 3, BatchSize = 16, LearningRate = 3e-3f });
        var before = run.Evaluate(test);
        string path = Path.Combine(Repo.TempDir(), "unet.safetensors");
        var records = run.Run(checkpoint: path);
        Assert.Equal(3, records.Count);
        // Background against item is the first thing it learns (which item comes later): the background's IoU is
        // high after a few epochs, and the mean IoU has risen from the untrained model's.
        Assert.True(records[^1].ClassIoU[0] > 0.85, $"background IoU {records[^1].ClassIoU[0]:F3} after 3 epochs ({before.ClassIoU()[0]:F3} before)");
        Assert.True(records[^1].MeanIoU > before.MeanIoU + 0.1, $"mean IoU {before.MeanIoU:F3} before, {records[^1].MeanIoU:F3} after");
        var (model, name, classes) = SegmentationFile.Load(path);
        Assert.Equal("unet-small", name);
        Assert.Equal(train.ClassNames, classes);
        Assert.Equal(records[^1].MeanIoU, SegmentationRun.Evaluate(model, test).MeanIoU, 12);
        string other = Path.Combine(Repo.TempDir(), "lenet.safetensors");
        new Striate.Models.LeNet5().Save(other);
        Assert.Contains("is not a segmentation model", Assert.Throws<InvalidDataException>(() => SegmentationFile.Load(other)).Message);
    }

    [Fact]
    public void TheCommandLineTrainsAndRefusesWhatItCannot()
    {
        string model = Path.Combine(Repo.TempDir(), "fcn.safetensors");
        var (code, output, err) = Run("train", "--task", "segment", "--model", "fcn8s-small", "--scenes", "48", "--test-scenes", "16", "--scene-size", "64",
            "--epochs", "1", "--batch-size", "16", "--out", model);
        Assert.True(code == 0, err);
        Assert.Contains("epoch 1/1: train loss", output);
        Assert.Contains("mean IoU", output);
        Assert.Equal("fcn8s-small", SegmentationFile.Load(model).Name);

        (code, _, err) = Run("train", "--task", "segment", "--model", "lenet5");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--task segment trains unet-small, fcn32s-small, fcn16s-small, fcn8s-small; 'lenet5' is not one of them", err);
        (code, _, err) = Run("train", "--task", "segment", "--model", "fcn8s-small", "--scene-size", "48");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--scene-size 48: fcn8s-small takes sides that are multiples of 32", err);
        (code, _, err) = Run("train", "--model", "unet-small", "--epochs", "1");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--model unet-small is a segmentation model; train it with --task segment", err);
        (code, _, err) = Run("train", "--task", "segment", "--text", "x.txt");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--task segment does not use --text", err);
    }
}
