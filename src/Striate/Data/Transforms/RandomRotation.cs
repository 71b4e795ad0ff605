using Striate.Imaging;

namespace Striate.Data.Transforms;

/// <summary>
/// Rotates the image about its centre by an angle drawn uniformly from [<see cref="MinDegrees"/>,
/// <see cref="MaxDegrees"/>], counter-clockwise for positive angles, sampling bilinearly; pixels that come
/// from outside the image take <see cref="Fill"/>. This is torchvision's RandomRotation with
/// InterpolationMode.BILINEAR and expand=False, border included: the centre is ((W - 1) / 2, (H - 1) / 2), and
/// a sample with only part of its neighbourhood inside the image is S m + (1 - m) fill, where S is the
/// bilinear sum over the neighbours inside and m their total weight.
/// </summary>
public sealed class RandomRotation : ImageTransform
{
    /// <exception cref="ArgumentException">The range has min &gt; max or is not finite.</exception>
    public RandomRotation(double minDegrees, double maxDegrees, float fill = 0f)
    {
        CheckRange(nameof(RandomRotation), "degrees", minDegrees, maxDegrees, -360, 360);
        MinDegrees = minDegrees;
        MaxDegrees = maxDegrees;
        Fill = fill;
    }

    public double MinDegrees { get; }
    public double MaxDegrees { get; }

    /// <summary>The value of pixels rotated in from outside (for normalised images, the normalised value of black).</summary>
    public float Fill { get; }

    /// <summary>The angle in degrees that <paramref name="sampleSeed"/> rotates by.</summary>
    public double Angle(ulong sampleSeed) => Uniform(sampleSeed, 0, MinDegrees, MaxDegrees);

    public override void Apply(ReadOnlySpan<float> src, Span<float> dst, int channels, int height, int width, ulong sampleSeed)
    {
        double theta = Angle(sampleSeed) * Math.PI / 180;
        double cos = Math.Cos(theta), sin = Math.Sin(theta);
        double cy = (height - 1) * 0.5, cx = (width - 1) * 0.5;
        int plane = height * width;
        // The inverse map: output (y, x) takes the source point rotated back by theta (y points down, so a
        // counter-clockwise turn on screen is (u, v) -> (u cos + v sin, -u sin + v cos)).
        for (int y = 0; y < height; y++)
        {
            double v = y - cy;
            for (int x = 0; x < width; x++)
            {
                double u = x - cx;
                float sx = (float)(cx + u * cos - v * sin), sy = (float)(cy + u * sin + v * cos);
                for (int c = 0; c < channels; c++)
                    dst[c * plane + y * width + x] = Bilinear.Sample(src.Slice(c * plane, plane), height, width, sy, sx, Fill);
            }
        }
    }

    public override string ToString() => $"RandomRotation(degrees=({MinDegrees}, {MaxDegrees}), fill={Fill})";
}
