using System.Buffers.Binary;
using System.Text.Json;
using Striate.Cli;
using Striate.Tests.Support;
using Striate.Tests.Visualization;

namespace Striate.Tests.Cli;

/// <summary>
/// Data that does not fit the model, or that leaves a class without test images, and a run that fails in training:
/// clear errors with their exit codes, never an unhandled exception.
/// </summary>
[Collection(nameof(SerialCollection))]
public class DataShapeCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Run(args);

    // An IDX folder (raw files): the first trainCount training images of Fashion-MNIST, and testCount test images of
    // side testSide (the Fashion-MNIST test images, padded with black when larger) with the given labels.
    private static string Folder(int trainCount, int testSide, byte[] testLabels)
    {
        string dir = Repo.TempDir();
        static byte[] Images(int n, int side, Func<int, int, int, byte> pixel)
        {
            var b = new byte[16 + n * side * side];
            BinaryPrimitives.WriteInt32BigEndian(b, 0x803);
            BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), n);
            BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(8), side);
            BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(12), side);
            for (int i = 0; i < n; i++)
                for (int y = 0; y < side; y++)
                    for (int x = 0; x < side; x++) b[16 + (i * side + y) * side + x] = pixel(i, y, x);
            return b;
        }
        static byte[] Labels(byte[] labels)
        {
            var b = new byte[8 + labels.Length];
            BinaryPrimitives.WriteInt32BigEndian(b, 0x801);
            BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4), labels.Length);
            labels.CopyTo(b, 8);
            return b;
        }
        byte Pixel(Striate.Data.ImageDataset set, int i, int y, int x) => y < 28 && x < 28 ? (byte)Math.Round(set.Image(i)[y * 28 + x] * 255) : (byte)0;
        File.WriteAllBytes(Path.Combine(dir, "train-images-idx3-ubyte"), Images(trainCount, 28, (i, y, x) => Pixel(Repo.Train, i, y, x)));
        File.WriteAllBytes(Path.Combine(dir, "train-labels-idx1-ubyte"), Labels(Enumerable.Range(0, trainCount).Select(i => (byte)Repo.Train.Labels[i]).ToArray()));
        File.WriteAllBytes(Path.Combine(dir, "t10k-images-idx3-ubyte"), Images(testLabels.Length, testSide, (i, y, x) => Pixel(Repo.Test, i, y, x)));
        File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte"), Labels(testLabels));
        return dir;
    }

    [Fact]
    public void EvaluateReportsAClassWithoutTestImagesAsNullAndRefusesImagesOfAnotherSize()
    {
        string same = Folder(100, 28, [0, 0, 0]);
        var (code, output, err) = Run("evaluate", "--model", TrainedLeNet.Model, "--data", same, "--json");
        Assert.True(code == 0, err);
        var perClass = JsonDocument.Parse(output).RootElement.GetProperty("per_class_accuracy");
        Assert.Equal(JsonValueKind.Number, perClass[0].GetProperty("accuracy").ValueKind);
        Assert.Equal(JsonValueKind.Null, perClass[1].GetProperty("accuracy").ValueKind);
        var (tcode, toutput, _) = Run("evaluate", "--model", TrainedLeNet.Model, "--data", same);
        Assert.Equal(0, tcode);
        Assert.Contains("(no test images)", toutput);

        string larger = Folder(100, 32, [0, 1, 2]);
        var (lcode, _, lerr) = Run("evaluate", "--model", TrainedLeNet.Model, "--data", larger);
        Assert.Equal(StriateCli.UsageError, lcode);
        Assert.Contains("the model takes 1x28x28 images; the test images", lerr);
        Assert.Contains("1x32x32", lerr);
    }

    [Fact]
    public void TrainingRefusesTestImagesOfAnotherSizeBeforeTheFirstEpoch()
    {
        string dir = Folder(200, 32, [0, 1, 2, 3]);
        string out_ = Path.Combine(dir, "m.safetensors");
        var (code, output, err) = Run("train", "--data", dir, "--epochs", "1", "--out", out_);
        Assert.Equal(StriateCli.UsageError, code);
        Assert.Contains("both splits must have one size", err);
        Assert.DoesNotContain("epoch 1", output);
        Assert.False(File.Exists(out_));
    }

    [Fact]
    public void ARunThatDivergesIsAnErrorWithoutAStackTrace()
    {
        string out_ = Path.Combine(Repo.TempDir(), "d.safetensors");
        var (code, _, err) = Run("train", "--data", Repo.FashionMnist, "--optimizer", "sgd", "--lr", "1e30", "--limit", "300", "--test-limit", "100", "--epochs", "1", "--out", out_);
        Assert.Equal(StriateCli.Failure, code);
        Assert.StartsWith("error: Training diverged", err.Trim());
        Assert.DoesNotContain("   at ", err);
    }
}
