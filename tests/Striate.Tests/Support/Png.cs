using System.IO.Compression;

namespace Striate.Tests.Support;

/// <summary>Writes 8-bit PNG files (gray or RGB, no filtering), so tests can feed real image files to the decoders.</summary>
public static class Png
{
    /// <summary>Writes CHW planes in [0, 1] with 1 (gray) or 3 (RGB) channels.</summary>
    public static void Write(string path, float[] chw, int channels, int h, int w)
    {
        using var raw = new MemoryStream();
        for (int y = 0; y < h; y++)
        {
            raw.WriteByte(0); // filter: none
            for (int x = 0; x < w; x++)
                for (int c = 0; c < channels; c++)
                    raw.WriteByte((byte)Math.Clamp(MathF.Round(chw[(c * h + y) * w + x] * 255f), 0, 255));
        }
        using var packed = new MemoryStream();
        using (var z = new ZLibStream(packed, CompressionLevel.Fastest, leaveOpen: true)) raw.WriteTo(z);
        using var file = new MemoryStream();
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BigEndian(header, 0, w);
        BigEndian(header, 4, h);
        header[8] = 8;                              // bit depth
        header[9] = (byte)(channels == 1 ? 0 : 2); // gray or truecolour
        Chunk(file, "IHDR", header);
        Chunk(file, "IDAT", packed.ToArray());
        Chunk(file, "IEND", []);
        File.WriteAllBytes(path, file.ToArray());
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var len = new byte[4];
        BigEndian(len, 0, data.Length);
        s.Write(len);
        var body = new byte[4 + data.Length];
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(body, 0);
        data.CopyTo(body, 4);
        s.Write(body);
        var crc = new byte[4];
        BigEndian(crc, 0, (int)Crc(body));
        s.Write(crc);
    }

    private static void BigEndian(byte[] b, int o, int v)
    {
        b[o] = (byte)(v >> 24);
        b[o + 1] = (byte)(v >> 16);
        b[o + 2] = (byte)(v >> 8);
        b[o + 3] = (byte)v;
    }

    private static uint Crc(byte[] data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }
}
