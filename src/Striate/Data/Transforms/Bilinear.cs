namespace Striate.Data.Transforms;

/// <summary>Bilinear sampling of CHW planes, shared by the resizing and rotating transforms.</summary>
internal static class Bilinear
{
    // src: [C, H, W]; box: rows [top, top + boxH), columns [left, left + boxW) of it -> dst: [C, outH, outW].
    // PyTorch's interpolate(mode="bilinear", align_corners=False, antialias=False): output pixel centres map to
    // source coordinates (o + 0.5) * in / out - 0.5, clamped below at 0; the right / bottom neighbour is clamped
    // to the box, so the box behaves as if it had been cropped out first (torchvision's resized_crop).
    public static void ResizeBox(ReadOnlySpan<float> src, int channels, int height, int width, int top, int left, int boxH, int boxW,
        Span<float> dst, int outH, int outW)
    {
        if (dst.Length < channels * outH * outW) throw new ArgumentException($"Bilinear: destination holds {dst.Length} values, need {channels * outH * outW}.");
        float sy = (float)boxH / outH, sx = (float)boxW / outW;
        for (int c = 0; c < channels; c++)
        {
            var plane = src.Slice(c * height * width, height * width);
            for (int y = 0; y < outH; y++)
            {
                float fy = Math.Max((y + 0.5f) * sy - 0.5f, 0);
                int y0 = Math.Min((int)fy, boxH - 1), y1 = Math.Min(y0 + 1, boxH - 1);
                float wy = fy - y0;
                var r0 = plane.Slice((top + y0) * width + left, boxW);
                var r1 = plane.Slice((top + y1) * width + left, boxW);
                var d = dst.Slice((c * outH + y) * outW, outW);
                for (int x = 0; x < outW; x++)
                {
                    float fx = Math.Max((x + 0.5f) * sx - 0.5f, 0);
                    int x0 = Math.Min((int)fx, boxW - 1), x1 = Math.Min(x0 + 1, boxW - 1);
                    float wx = fx - x0;
                    float t = r0[x0] * (1 - wx) + r0[x1] * wx;
                    float b = r1[x0] * (1 - wx) + r1[x1] * wx;
                    d[x] = t * (1 - wy) + b * wy;
                }
            }
        }
    }

    // plane: [H, W]; the value at the real position (y, x) in pixel-index coordinates, with every pixel outside
    // the image taken as `fill` (torchvision's grid_sample with a ones-mask blend does the same).
    public static float Sample(ReadOnlySpan<float> plane, int height, int width, float y, float x, float fill)
    {
        float fy = MathF.Floor(y), fx = MathF.Floor(x);
        int y0 = (int)fy, x0 = (int)fx;
        float wy = y - fy, wx = x - fx;
        float t = At(plane, height, width, y0, x0, fill) * (1 - wx) + At(plane, height, width, y0, x0 + 1, fill) * wx;
        float b = At(plane, height, width, y0 + 1, x0, fill) * (1 - wx) + At(plane, height, width, y0 + 1, x0 + 1, fill) * wx;
        return t * (1 - wy) + b * wy;
    }

    private static float At(ReadOnlySpan<float> plane, int height, int width, int y, int x, float fill) =>
        (uint)y < (uint)height && (uint)x < (uint)width ? plane[y * width + x] : fill;
}
