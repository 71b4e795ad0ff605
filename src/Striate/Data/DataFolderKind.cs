namespace Striate.Data;

/// <summary>What a data folder holds (<see cref="DataFolder.Recognize"/>).</summary>
public enum DataFolderKind
{
    /// <summary>The four IDX files of MNIST or Fashion-MNIST (gzip or raw).</summary>
    Idx,

    /// <summary>CIFAR-10's binary batches (data_batch_1.bin ... test_batch.bin), directly or in the archive's folder.</summary>
    Cifar10,

    /// <summary>CIFAR-100's binary files (train.bin, test.bin), directly or in the archive's folder.</summary>
    Cifar100,

    /// <summary>train/ and test/, each with one sub-folder of images per class.</summary>
    ImageFolder,
}
