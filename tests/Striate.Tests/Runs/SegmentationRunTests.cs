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
        var (model, name, channels, classes) = SegmentationFile.Load(path);
        Assert.Equal(1, channels);
        Assert.Equal("unet-small", name);
        Assert.Equal(train.ClassNames, classes);
        Assert.Equal(records[^1].MeanIoU, SegmentationRun.Evaluate(model, test).MeanIoU, 12);
        string other = Path.Combine(Repo.TempDir(), "lenet.safetensors");
        new Striate.Models.LeNet5().Save(other);
        Assert.Contains("is not a segmentation model", Assert.Throws<InvalidDataException>(() => SegmentationFile.Load(other)).Message);
    }

    [Fact]
    public void AResumedRunEndsBitForBitWhereTheWholeRunEnds()
    {
        var options = new SceneOptions { Size = 32, MinItems = 1, MaxItems = 2, MinScale = 1, MaxScale = 1 };
        var train = SegmentationScenes.Generate(Repo.Train.Subset([.. Enumerable.Range(0, 500)]), 48, 1, options);
        var test = SegmentationScenes.Generate(Repo.Test.Subset([.. Enumerable.Range(0, 100)]), 16, 2, options);
        var settings = new SegmentationOptions { Model = "unet-small", Epochs = 3, BatchSize = 16, Seed = 5 };
        string dir = Repo.TempDir(), whole = Path.Combine(dir, "whole.safetensors"), part = Path.Combine(dir, "part.safetensors"), rest = Path.Combine(dir, "rest.safetensors");
        new SegmentationRun(train, test, settings).Run(checkpoint: whole);
        // The same run stopped after its first epoch (as Ctrl-C stops it: the epoch's file is written, then the run ends).
        using (var stop = new CancellationTokenSource())
            Assert.ThrowsAny<OperationCanceledException>(() => new SegmentationRun(train, test, settings).Run(e => stop.Cancel(), part, stop.Token));
        var resumed = new SegmentationRun(train, test, settings);
        var saved = SegmentationFile.Read(part);
        Assert.Equal(new SegmentationFile.Progress(1, 3, saved.Progress!.Seconds), saved.Progress);
        Assert.NotEmpty(saved.OptimizerState);
        resumed.Resume(saved);
        var records = resumed.Run(checkpoint: rest);
        Assert.Equal([2, 3], records.Select(r => r.Epoch));
        var a = SegmentationFile.Read(whole);
        var b = SegmentationFile.Read(rest);
        foreach (var ((ka, ta), (kb, tb)) in a.Model.StateDict().Zip(b.Model.StateDict()))
        {
            Assert.Equal(ka, kb);
            Assert.Equal(ta.ToArray(), tb.ToArray());
        }
        Assert.Equal(a.OptimizerState.Select(kv => kv.Value.ToArray()), b.OptimizerState.Select(kv => kv.Value.ToArray()));
        Assert.Equal(a.Progress!.Updates, b.Progress!.Updates);
        // A file for another model, or one without the optimizer's state, is refused.
        var fcn = new SegmentationRun(train, test, settings with { Model = "fcn32s-small" });
        Assert.Contains("this run trains fcn32s-small", Assert.Throws<InvalidDataException>(() => fcn.Resume(saved)).Message);
        string bare = Path.Combine(dir, "bare.safetensors");
        SegmentationFile.Save(bare, saved.Name, saved.Model, 1, saved.ClassNames);
        Assert.Contains("cannot resume training", Assert.Throws<InvalidDataException>(() => new SegmentationRun(train, test, settings).Resume(SegmentationFile.Read(bare))).Message);
    }

    [Fact]
    public void TheCommandLineResumesWithTheSavedSettings()
    {
        string dir = Repo.TempDir(), model = Path.Combine(dir, "unet.safetensors");
        string[] common = ["train", "--task", "segment", "--scenes", "32", "--test-scenes", "8", "--batch-size", "16", "--lr", "0.003"];
        var (code, _, err) = Run([.. common, "--epochs", "1", "--out", model]);
        Assert.True(code == 0, err);
        (code, var output, err) = Run("train", "--task", "segment", "--resume", model, "--epochs", "2", "--out", model);
        Assert.True(code == 0, err);
        Assert.Contains("resuming", output);
        Assert.Contains("after epoch 1", output);
        Assert.Contains("32 training scenes and 8 test scenes", output);
        Assert.Contains("epoch 2/2", output);
        Assert.DoesNotContain("epoch 1/2", output);
        (code, _, err) = Run("train", "--task", "segment", "--resume", model, "--epochs", "3", "--lr", "0.01");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("--lr 0.01: the run being resumed used 0.003", err);
        (code, _, err) = Run("train", "--task", "segment", "--resume", model, "--epochs", "2");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("has done 2 epochs; give --epochs above that", err);
        string bare = Path.Combine(dir, "bare.safetensors");
        (code, _, err) = Run("export", "--model", model, "--weights-only", "-o", bare);
        Assert.True(code == 0, err);
        Assert.True(new FileInfo(bare).Length * 2 < new FileInfo(model).Length);
        (code, _, err) = Run("train", "--task", "segment", "--resume", bare, "--epochs", "3");
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("holds no optimizer state or progress", err);
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
        Assert.Contains("--task segment trains unet-small, fcn32s-small, fcn16s-small, fcn8s-small, fcn32s, fcn16s, fcn8s; 'lenet5' is not one of them", err);
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
