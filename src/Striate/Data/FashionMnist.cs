namespace Striate.Data;

/// <summary>
/// Fashion-MNIST (Zalando Research; Xiao, Rasul and Vollgraf, arXiv:1708.07747): 28 x 28 grayscale images of
/// clothing in 10 classes, 60,000 for training and 10,000 for testing, stored as MNIST-format IDX files
/// (see <see cref="MnistFormat"/>). The repository ships them under <c>data/fashion-mnist</c>.
/// </summary>
public static class FashionMnist
{
    /// <summary>The number of classes.</summary>
    public const int ClassCount = 10;

    /// <summary>The height and width of every image in pixels.</summary>
    public const int ImageSize = 28;

    /// <summary>The number of training images.</summary>
    public const int TrainCount = 60_000;

    /// <summary>The number of test images.</summary>
    public const int TestCount = 10_000;

    /// <summary>The class names, indexed by label: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal,
    /// 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        Array.AsReadOnly(["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]);

    /// <summary>Loads one split from <paramref name="folder"/> (see <see cref="MnistFormat.Load"/>).</summary>
    /// <param name="folder">The folder holding the IDX files, raw or gzip-compressed.</param>
    /// <param name="train"><see langword="true"/> for the training split, <see langword="false"/> for the test split.</param>
    /// <returns>The images and labels, with labels 0 to 9.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="folder"/> is null.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist; the message lists every path looked for.</exception>
    /// <exception cref="FileNotFoundException">A file is missing; the message lists every path looked at.</exception>
    /// <exception cref="InvalidDataException">A file is invalid, the counts differ, or a label is 10 or more.</exception>
    public static LabeledImageSet Load(string folder, bool train) => MnistFormat.Load(folder, train, ClassCount);
}
