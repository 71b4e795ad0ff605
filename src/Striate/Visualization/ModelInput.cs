using Striate.Tensors;
using Striate.Imaging;

namespace Striate.Visualization;

/// <summary>Turns a picture into the input a trained model expects: its channels and size, normalised as in training.</summary>
public static class ModelInput
{
    /// <summary>
    /// <paramref name="image"/> converted to <paramref name="channels"/> channels, resized to
    /// <paramref name="height"/> x <paramref name="width"/> and normalised per channel by (x - mean) / std, as a
    /// persistent tensor [1, C, H, W]. Also returns the resized picture (unnormalised) for overlays.
    /// </summary>
    public static (Tensor Input, Image Resized) FromImage(Image image, int channels, int height, int width, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (channels is not (1 or 3)) throw new ArgumentException($"ModelInput: the model takes {channels} channels; only 1 (gray) or 3 (RGB) can come from a picture.");
        var img = (channels == 1 ? image.ToGray() : image.ToRgb()).Resize(height, width);
        var t = Tensor.Persistent(new Shape(1, channels, height, width));
        int hw = height * width;
        for (int c = 0; c < channels; c++)
        {
            float m = c < mean.Count ? mean[c] : 0, s = c < std.Count && std[c] > 0 ? std[c] : 1;
            for (int i = 0; i < hw; i++) t.Data[c * hw + i] = (img.Pixels[c * hw + i] - m) / s;
        }
        return (t, img);
    }
}
