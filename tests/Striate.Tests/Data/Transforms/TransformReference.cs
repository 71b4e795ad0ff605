namespace Striate.Tests.Data.Transforms;

/// <summary>Plain float64 versions of the geometric transforms, written to be obviously right.</summary>
internal static class TransformReference
{
    // src: [C, H, W]; the box [top, top + bh) x [left, left + bw) resized to [C, oh, ow] the way PyTorch's
    // interpolate(mode="bilinear", align_corners=False) resizes the cropped box.
    public static double[] ResizeBox(float[] src, int c, int h, int w, int top, int left, int bh, int bw, int oh, int ow)
    {
        var dst = new double[c * oh * ow];
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++)
                {
                    double fy = Math.Max((y + 0.5) * bh / oh - 0.5, 0), fx = Math.Max((x + 0.5) * bw / ow - 0.5, 0);
                    int y0 = (int)fy, x0 = (int)fx;
                    int y1 = Math.Min(y0 + 1, bh - 1), x1 = Math.Min(x0 + 1, bw - 1);
                    double ly = fy - y0, lx = fx - x0;
                    double P(int yy, int xx) => src[(ch * h + top + yy) * w + left + xx];
                    dst[(ch * oh + y) * ow + x] = (1 - ly) * ((1 - lx) * P(y0, x0) + lx * P(y0, x1)) + ly * ((1 - lx) * P(y1, x0) + lx * P(y1, x1));
                }
        return dst;
    }

    // 2-D convolution with the outer product of a 1-D kernel over a reflect-padded image.
    public static double[] Blur(float[] src, int c, int h, int w, float[] k)
    {
        int r = k.Length / 2;
        int Reflect(int i, int n) => i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
        var dst = new double[src.Length];
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    double acc = 0;
                    for (int a = 0; a < k.Length; a++)
                        for (int b = 0; b < k.Length; b++)
                            acc += (double)k[a] * k[b] * src[(ch * h + Reflect(y + a - r, h)) * w + Reflect(x + b - r, w)];
                    dst[(ch * h + y) * w + x] = acc;
                }
        return dst;
    }

    // Sum of squared differences between horizontal and vertical neighbours: the high-frequency energy.
    public static double Roughness(float[] img, int c, int h, int w)
    {
        double e = 0;
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    float v = img[(ch * h + y) * w + x];
                    if (x + 1 < w) e += Math.Pow(img[(ch * h + y) * w + x + 1] - v, 2);
                    if (y + 1 < h) e += Math.Pow(img[(ch * h + y + 1) * w + x] - v, 2);
                }
        return e;
    }

    public static float[] Random(int n, ulong seed) => Enumerable.Range(0, n).Select(i => Striate.Tensors.Generator.UniformAt(seed, (ulong)i)).ToArray();
}
