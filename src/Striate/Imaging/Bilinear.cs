namespace Striate.Imaging;

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

    // plane: [H, W]; the value at the real position (y, x) in pixel-index coordinates, as torchvision's rotate
    // computes it: grid_sample with zero padding gives S = sum of w_i v_i over the neighbours inside the image,
    // the same sampling of a ones-plane gives the mask m = sum of their w_i, and the result is S m + (1 - m) fill.
    // Inside the image m = 1 and this is plain bilinear interpolation.
    public static float Sample(ReadOnlySpan<float> plane, int height, int width, float y, float x, float fill)
    {
        float fy = MathF.Floor(y), fx = MathF.Floor(x);
        int y0 = (int)fy, x0 = (int)fx;
        float wy = y - fy, wx = x - fx;
        if (y0 >= 0 && x0 >= 0 && y0 + 1 < height && x0 + 1 < width)
        {
            int p = y0 * width + x0;
            float t = plane[p] * (1 - wx) + plane[p + 1] * wx;
            float b = plane[p + width] * (1 - wx) + plane[p + width + 1] * wx;
            return t * (1 - wy) + b * wy;
        }
        float s = 0, m = 0;
        Add(plane, height, width, y0, x0, (1 - wy) * (1 - wx), ref s, ref m);
        Add(plane, height, width, y0, x0 + 1, (1 - wy) * wx, ref s, ref m);
        Add(plane, height, width, y0 + 1, x0, wy * (1 - wx), ref s, ref m);
        Add(plane, height, width, y0 + 1, x0 + 1, wy * wx, ref s, ref m);
        return s * m + (1 - m) * fill;
    }

    private static void Add(ReadOnlySpan<float> plane, int height, int width, int y, int x, float w, ref float s, ref float m)
    {
        if ((uint)y >= (uint)height || (uint)x >= (uint)width) return;
        s += w * plane[y * width + x];
        m += w;
    }
}
