using System.Globalization;
using Striate.Tensors;

namespace Striate.Ops;

public static partial class F
{
    /// <summary>
    /// The centre <paramref name="height"/> x <paramref name="width"/> of images [N, C, H, W] (U-Net's crop of a
    /// contracting path's map to the size of the expanding path's); when the margin is odd the extra row or column
    /// is cut from the bottom or right, as torchvision's center_crop does.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not [N, C, H, W] or is smaller than the crop.</exception>
    public static Tensor CenterCrop(Tensor x, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4) throw new ArgumentException($"center_crop: expected images [N, C, H, W], got {x.Shape}.");
        if (height < 1 || width < 1 || height > x.Shape[2] || width > x.Shape[3])
            throw new ArgumentException($"center_crop: cannot cut {height}x{width} from {x.Shape[2]}x{x.Shape[3]} images ({x.Shape}); expected a size from 1x1 to the input's.");
        int top = (int)Math.Round((x.Shape[2] - height) / 2.0, MidpointRounding.ToEven), left = (int)Math.Round((x.Shape[3] - width) / 2.0, MidpointRounding.ToEven);
        // torchvision: top = int(round((H - h) / 2.0)), Python's round halves to even.
        return Narrow(Narrow(x, 2, top, height), 3, left, width);
    }

    /// <summary>
    /// Soft Dice loss for segmentation: from logits [N, C, H, W] and one class index per pixel (N*H*W, in N, H, W
    /// order), p = softmax over the classes, and for each class c, dice_c = (2 sum(p_c y_c) + s) / (sum p_c + sum y_c + s)
    /// over all pixels of the batch (y_c the pixels of class c, s = <paramref name="smooth"/>); the loss is 1 - the
    /// mean of dice_c over the classes. Pixels whose target is <paramref name="ignoreIndex"/> count for nothing.
    /// </summary>
    /// <exception cref="ArgumentException">The logits are not [N, C, H, W], the target count differs from N*H*W,
    /// a target is outside [0, C) and not the ignore index, or the smoothing is negative.</exception>
    public static Tensor DiceLoss(Tensor logits, ReadOnlySpan<int> targets, float smooth = 1f, int ignoreIndex = -100)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank != 4) throw new ArgumentException($"dice_loss: expected logits [N, C, H, W], got {logits.Shape}.");
        int n = logits.Shape[0], c = logits.Shape[1], hw = logits.Shape[2] * logits.Shape[3];
        if (targets.Length != n * hw)
            throw new ArgumentException($"dice_loss: expected {n * hw} targets (one per pixel of {logits.Shape}), got {targets.Length}.");
        if (!(smooth >= 0) || float.IsInfinity(smooth))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"dice_loss: expected a smoothing >= 0, got {smooth}."));
        var onehot = new float[n * c * hw];
        var keep = new float[n * hw];
        for (int i = 0; i < n; i++)
            for (int p = 0; p < hw; p++)
            {
                int t = targets[i * hw + p];
                if (t == ignoreIndex) continue;
                if (t < 0 || t >= c)
                    throw new ArgumentException($"dice_loss: target {t} at pixel {i * hw + p} is not a class of {c} (nor the ignore index {ignoreIndex}).");
                onehot[(i * c + t) * hw + p] = 1;
                keep[i * hw + p] = 1;
            }
        var y = Tensor.FromArray(onehot, n, c, logits.Shape[2], logits.Shape[3]);
        var probs = Mul(Softmax(logits, 1), Tensor.FromArray(keep, n, 1, logits.Shape[2], logits.Shape[3]));
        int[] pixels = [0, 2, 3];
        var intersection = Sum(Mul(probs, y), pixels);
        var cardinality = Add(Sum(probs, pixels), Sum(y, pixels));
        var dice = Div(AddScalar(MulScalar(intersection, 2f), smooth), AddScalar(cardinality, smooth));
        return AddScalar(Neg(Mean(dice)), 1f);
    }
}
