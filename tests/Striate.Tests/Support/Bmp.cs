namespace Striate.Tests.Support;

/// <summary>Writes 24-bit BMP files, so tests can feed real image files to the decoders.</summary>
public static class Bmp
{
    /// <summary>A gray image [h, w] in [0, 1], each pixel repeated scale x scale times.</summary>
    public static void WriteGray(string path, float[] pixels, int h, int w, int scale = 1)
    {
        int W = w * scale, H = h * scale, row = (W * 3 + 3) / 4 * 4;
        var data = new byte[54 + row * H];
        void I32(int o, int v) => BitConverter.GetBytes(v).CopyTo(data, o);
        data[0] = (byte)'B';
        data[1] = (byte)'M';
        I32(2, data.Length);
        I32(10, 54);
        I32(14, 40);
        I32(18, W);
        I32(22, H);
        data[26] = 1;
        data[28] = 24;
        I32(34, row * H);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                byte v = (byte)Math.Clamp(MathF.Round(pixels[(y / scale) * w + x / scale] * 255f), 0, 255);
                int o = 54 + (H - 1 - y) * row + x * 3; // bottom-up rows
                data[o] = data[o + 1] = data[o + 2] = v;
            }
        File.WriteAllBytes(path, data);
    }
}
