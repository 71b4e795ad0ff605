using Striate.Imaging;
using StbImageWriteSharp;

namespace Striate.Tests.Imaging;

/// <summary>Decoding refuses truncated and malformed JPEG files quickly, with the offset, and still reads real ones.</summary>
public class ImageFileLoadTests
{
    [Fact]
    public void ARealJpegStillLoads()
    {
        var rgb = new byte[16 * 12 * 3];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)(i * 7);
        string path = Path.Combine(Path.GetTempPath(), $"striate-{Guid.NewGuid():N}.jpg");
        try
        {
            using (var f = File.Create(path))
                new ImageWriter().WriteJpg(rgb, 16, 12, StbImageWriteSharp.ColorComponents.RedGreenBlue, f, 90);
            var (pixels, channels, h, w) = ImageFile.Load(path, 3);
            Assert.Equal((3, 12, 16), (channels, h, w));
            Assert.Equal(3 * 12 * 16, pixels.Length);
            Assert.Contains(pixels, v => v > 0.1f);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static TheoryData<byte[], string> BadJpegs => new()
    {
        { new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0x01, 0x02, 0x03 }, "truncated JPEG" },
        { new byte[] { 0xFF, 0xD8, 0xFF, 0xD9 }, "before any image data" },
        { new byte[] { 0xFF, 0xD8, 0x00, 0x00, 0x00 }, "expected a marker at byte 2" },
        { new byte[] { 0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x04, 0x00, 0x00, 0x11 }, "before any frame header" },
        { new byte[] { 0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xDA, 0x00, 0x04, 0x00, 0x00 }, "the frame header at byte 2 is 4 bytes, shorter than its fields" },
        { new byte[] { 0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x10, 0x00, 0x10, 0x01, 0x01, 0x11, 0x00, 0xFF, 0xDA, 0x00, 0x04, 0x00, 0x00 }, "no image data follows" },
        { new byte[] { 0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x00, 0x00, 0x10, 0x01, 0x01, 0x11, 0x00, 0xFF, 0xDA, 0x00, 0x04, 0x00, 0x00 }, "declares an image of 16x0 pixels" },
    };

    [Theory]
    [MemberData(nameof(BadJpegs))]
    public async Task MalformedJpegsAreRefusedWithTheReason(byte[] bytes, string reason)
    {
        string path = Path.Combine(Path.GetTempPath(), $"striate-{Guid.NewGuid():N}.jpg");
        try
        {
            File.WriteAllBytes(path, bytes);
            var load = Task.Run(() => Assert.Throws<InvalidDataException>(() => ImageFile.Load(path, 1)));
            var e = await load.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Contains(reason, e.Message);
            Assert.Contains(path, e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
    [Fact]
    public void AJpegCutShortOfItsEndMarkerIsRefused()
    {
        var gray = new byte[32 * 32];
        for (int i = 0; i < gray.Length; i++) gray[i] = (byte)(i * 13);
        string path = Path.Combine(Path.GetTempPath(), $"striate-{Guid.NewGuid():N}.jpg");
        try
        {
            using (var f = File.Create(path))
                new ImageWriter().WriteJpg(gray, 32, 32, StbImageWriteSharp.ColorComponents.Grey, f, 90);
            Assert.Equal((1, 32, 32), (ImageFile.Load(path, 1).Channels, ImageFile.Load(path, 1).Height, ImageFile.Load(path, 1).Width));
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..^40]);
            Assert.Contains("no end-of-image marker", Assert.Throws<InvalidDataException>(() => ImageFile.Load(path, 1)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TopDownBmpsLoadAndShortOnesAreRefused()
    {
        var gray = new float[5 * 7];
        for (int i = 0; i < gray.Length; i++) gray[i] = i / 40f;
        string dir = Striate.Tests.Support.Repo.TempDir(), bottomUp = Path.Combine(dir, "b.bmp"), topDown = Path.Combine(dir, "t.bmp"), cut = Path.Combine(dir, "c.bmp");
        Striate.Tests.Support.Bmp.WriteGray(bottomUp, gray, 5, 7);
        var (expected, _, h, w) = ImageFile.Load(bottomUp, 1);
        Assert.Equal((5, 7), (h, w));

        // The same image stored top-down: negative height, rows in the other order.
        var bytes = File.ReadAllBytes(bottomUp);
        int offset = BitConverter.ToInt32(bytes, 10), height = BitConverter.ToInt32(bytes, 22), rowBytes = (bytes.Length - offset) / height;
        var flipped = (byte[])bytes.Clone();
        BitConverter.GetBytes(-height).CopyTo(flipped, 22);
        for (int r = 0; r < height; r++) Array.Copy(bytes, offset + r * rowBytes, flipped, offset + (height - 1 - r) * rowBytes, rowBytes);
        File.WriteAllBytes(topDown, flipped);
        Assert.Equal(expected, ImageFile.Load(topDown, 1).Pixels);

        File.WriteAllBytes(cut, bytes[..^rowBytes]);
        Assert.Contains("truncated BMP", Assert.Throws<InvalidDataException>(() => ImageFile.Load(cut, 1)).Message);
    }
}
