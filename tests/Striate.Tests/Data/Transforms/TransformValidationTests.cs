using Striate.Data;
using Striate.Data.Transforms;

namespace Striate.Tests.Data.Transforms;

public class TransformValidationTests
{
    public static TheoryData<string, Func<object>, string> BadParameters => new()
    {
        { "negative padding", () => new RandomCrop(-1), "padding must be >= 0, got -1" },
        { "negative crop size", () => new RandomCrop(0, height: -3), "height must be >= 1" },
        { "flip p > 1", () => new RandomHorizontalFlip(1.5f), "probability must be in [0, 1], got 1.5" },
        { "vertical flip p < 0", () => new RandomVerticalFlip(-0.1f), "probability must be in [0, 1], got -0.1" },
        { "erasing p NaN", () => new RandomErasing(float.NaN), "probability must be in [0, 1]" },
        { "erasing scale min > max", () => new RandomErasing(0.5f, scale: (0.4, 0.1)), "scale must be a range (min, max) with min <= max, got (0.4, 0.1)" },
        { "erasing scale > 1", () => new RandomErasing(0.5f, scale: (0.1, 1.5)), "scale must lie within [0, 1]" },
        { "erasing ratio 0", () => new RandomErasing(0.5f, ratio: (0, 2)), "ratio must be > 0" },
        { "resized crop scale min > max", () => new RandomResizedCrop(8, 8, scale: (0.9, 0.2)), "scale must be a range (min, max) with min <= max, got (0.9, 0.2)" },
        { "resized crop scale 0", () => new RandomResizedCrop(8, 8, scale: (0, 0)), "positive area" },
        { "resized crop ratio min > max", () => new RandomResizedCrop(8, 8, ratio: (2, 1)), "ratio must be a range" },
        { "resized crop size 0", () => new RandomResizedCrop(0, 8), "output size must be at least 1x1, got 0x8" },
        { "resize size 0", () => new Resize(4, 0), "output size must be at least 1x1, got 4x0" },
        { "blur even kernel", () => new GaussianBlur(4), "kernel size must be odd and positive, got 4" },
        { "blur negative sigma", () => new GaussianBlur(3, -1, 2), "sigma must be > 0, got (-1, 2)" },
        { "blur sigma min > max", () => new GaussianBlur(3, 2, 1), "sigma must be a range (min, max) with min <= max, got (2, 1)" },
        { "rotation min > max", () => new RandomRotation(10, -10), "degrees must be a range (min, max) with min <= max, got (10, -10)" },
        { "rotation NaN", () => new RandomRotation(double.NaN, 5), "degrees must be a range" },
        { "jitter negative brightness", () => new ColorJitter(brightness: -0.2f), "brightness must be >= 0, got -0.2" },
        { "jitter negative contrast", () => new ColorJitter(contrast: -1f), "contrast must be >= 0, got -1" },
        { "normalize zero std", () => new Normalize([0.5f], [0f]), "standard deviations must be > 0" },
        { "normalize length mismatch", () => new Normalize([0.5f, 0.5f], [1f]), "got 2 and 1" },
        { "rescale zero", () => new Rescale(0), "scale must be a finite non-zero number, got 0" },
        { "unknown preset", () => Compose.Named("heavy", 0)!, "Unknown augmentation 'heavy'. Valid augmentations: none, standard, strong, flip." },
    };

    [Theory]
    [MemberData(nameof(BadParameters))]
    public void BadParametersFailAtConstruction(string name, Func<object> make, string fragment)
    {
        var e = Assert.ThrowsAny<ArgumentException>(make);
        Assert.True(e.Message.Contains(fragment, StringComparison.Ordinal), $"{name}: message '{e.Message}' lacks '{fragment}'");
    }

    public static TheoryData<string, ImageTransform, string> MisfitImages => new()
    {
        { "crop larger than the image without padding", new RandomCrop(0, height: 12, width: 8), "a 12x8 window does not fit in a 10x8 image padded by 0; use padding >= 1" },
        { "crop inside a composition", new Compose(new RandomHorizontalFlip(), new RandomCrop(1, height: 13, width: 8)), "does not fit in a 10x8 image padded by 1" },
        { "normalize for the wrong channels", new Normalize([0f, 0f, 0f], [1f, 1f, 1f]), "statistics for 3 channels, but the images have 1" },
        { "blur kernel larger than the image", new GaussianBlur(17), "kernel size 17 needs images larger than 8 pixels on each side, got 10x8" },
    };

    [Theory]
    [MemberData(nameof(MisfitImages))]
    public void TransformsThatCannotApplyFailWhenTheLoaderIsBuilt(string name, ImageTransform transform, string fragment)
    {
        var data = ImageDataset.FromFloats(new float[3 * 80], [0, 1, 0], 1, 10, 8, ["a", "b"]);
        var e = Assert.ThrowsAny<ArgumentException>(() => new DataLoader(data, 2, transform: transform));
        Assert.True(e.Message.Contains(fragment, StringComparison.Ordinal), $"{name}: message '{e.Message}' lacks '{fragment}'");
    }

    [Fact]
    public void ContrastNeedsGrayOrRgb()
    {
        var data = ImageDataset.FromFloats(new float[2 * 2 * 16], [0, 1], 2, 4, 4, ["a", "b"]);
        var e = Assert.Throws<ArgumentException>(() => new DataLoader(data, 2, transform: new ColorJitter(contrast: 0.2f)));
        Assert.Contains("1 or 3 channels, got 2", e.Message);
        _ = new DataLoader(data, 2, transform: new ColorJitter(brightness: 0.2f)); // brightness alone is fine
    }
}
