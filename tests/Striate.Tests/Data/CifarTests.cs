using Striate.Data;
using Striate.Tests.Support;

namespace Striate.Tests.Data;

public class CifarTests
{
    // Record r of file f: label bytes, then pixel p = (f * 7 + r * 13 + p) mod 256 (red plane, green, blue).
    private static byte[] Records(int file, int count, Func<int, byte[]> labels)
    {
        var bytes = new List<byte>();
        for (int r = 0; r < count; r++)
        {
            bytes.AddRange(labels(r));
            for (int p = 0; p < Cifar.ImageBytes; p++) bytes.Add((byte)((file * 7 + r * 13 + p) % 256));
        }
        return bytes.ToArray();
    }

    public static string WriteCifar10(string dir, int perBatch)
    {
        for (int f = 1; f <= 5; f++)
            File.WriteAllBytes(Path.Combine(dir, $"data_batch_{f}.bin"), Records(f, perBatch, r => [(byte)((f + r) % 10)]));
        File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), Records(0, perBatch, r => [(byte)(r % 10)]));
        return dir;
    }

    [Fact]
    public void Cifar10ReadsEveryBatchInOrderAsChwImages()
    {
        string dir = WriteCifar10(Repo.TempDir(), perBatch: 3);
        var train = Cifar.Load10(dir, train: true);
        Assert.Equal((15, 3, 32, 32), (train.Count, train.Channels, train.Height, train.Width));
        Assert.Equal(Cifar.Cifar10ClassNames, train.ClassNames);
        Assert.Equal([1, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 6, 5, 6, 7], train.Labels);
        // Image 4 is record 1 of data_batch_2: the green value at (y 5, x 9) is pixel byte 1024 + 5 * 32 + 9.
        int p = 1024 + 5 * 32 + 9;
        Assert.Equal((2 * 7 + 1 * 13 + p) % 256 * (1f / 255f), train.Image(4)[p]);
        var test = Cifar.Load10(dir, train: false);
        Assert.Equal([0, 1, 2], test.Labels);

        // The archive's folder name is found from its parent, and batches.meta.txt names the classes.
        string parent = Repo.TempDir(), inner = Path.Combine(parent, "cifar-10-batches-bin");
        Directory.CreateDirectory(inner);
        WriteCifar10(inner, 1);
        File.WriteAllLines(Path.Combine(inner, "batches.meta.txt"), Enumerable.Range(0, 10).Select(i => $"c{i}").Append(""));
        Assert.Equal("c9", Cifar.Load10(parent, train: false).ClassNames[9]);
    }

    [Fact]
    public void Cifar100ReadsFineOrCoarseLabels()
    {
        string dir = Repo.TempDir();
        File.WriteAllBytes(Path.Combine(dir, "train.bin"), Records(1, 4, r => [(byte)(19 - r), (byte)(99 - r * 20)]));
        File.WriteAllBytes(Path.Combine(dir, "test.bin"), Records(2, 2, r => [(byte)r, (byte)(r + 50)]));
        var fine = Cifar.Load100(dir, train: true);
        Assert.Equal([99, 79, 59, 39], fine.Labels);
        Assert.Equal(100, fine.ClassCount);
        Assert.Equal((1 * 7 + 3 * 13 + 2047) % 256 * (1f / 255f), fine.Image(3)[2047]);
        Assert.Equal([19, 18, 17, 16], Cifar.Load100(dir, train: true, coarse: true).Labels);
        Assert.Equal(20, Cifar.Load100(dir, train: true, coarse: true).ClassCount);
        Assert.Equal([50, 51], Cifar.Load100(dir, train: false).Labels);
    }

    [Fact]
    public void TruncatedFilesAndBadLabelsAreClearErrors()
    {
        string dir = WriteCifar10(Repo.TempDir(), perBatch: 2);
        string file = Path.Combine(dir, "data_batch_3.bin");
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..^100]);
        var e = Assert.Throws<InvalidDataException>(() => Cifar.Load10(dir, train: true));
        Assert.Contains("data_batch_3.bin", e.Message);
        Assert.Contains("3073-byte records", e.Message);
        Assert.Contains("truncated", e.Message);

        bytes[3073] = 10; // record 1's label
        File.WriteAllBytes(file, bytes);
        var label = Assert.Throws<InvalidDataException>(() => Cifar.Load10(dir, train: true));
        Assert.Contains("record 1 has label 10", label.Message);

        File.WriteAllBytes(file, []);
        Assert.Throws<InvalidDataException>(() => Cifar.Load10(dir, train: true));
        File.Delete(file);
        Assert.Throws<FileNotFoundException>(() => Cifar.Load10(dir, train: true));

        // A CIFAR-10 file read as CIFAR-100 does not tile 3074-byte records.
        string hundred = Repo.TempDir();
        File.WriteAllBytes(Path.Combine(hundred, "train.bin"), Records(0, 2, _ => [1]));
        Assert.Contains("3074-byte records", Assert.Throws<InvalidDataException>(() => Cifar.Load100(hundred, train: true)).Message);
    }
    [Fact]
    public void AnOversizedNamesFileAndAnOversizedDatasetAreInvalidData()
    {
        string dir = Path.Combine(Repo.TempDir(), "cifar-10-batches-bin");
        Directory.CreateDirectory(dir);
        WriteCifar10(dir, 1);
        File.WriteAllText(Path.Combine(dir, "batches.meta.txt"), new string('x', 100_000));
        var e = Assert.Throws<InvalidDataException>(() => Striate.Data.Cifar.Load10(Path.GetDirectoryName(dir)!, train: true));
        Assert.Contains("expected at most 65,536", e.Message);
        var big = Assert.Throws<InvalidDataException>(() => Striate.Data.ImageDataset.CheckSize(400_000, 3, 32, 32));
        Assert.Contains("at most 1,073,741,824", big.Message);
        Striate.Data.ImageDataset.CheckSize(60_000, 3, 32, 32);
    }
}
