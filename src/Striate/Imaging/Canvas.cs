namespace Striate.Imaging;

/// <summary>
/// A small RGB rasteriser for charts: filled and outlined rectangles, lines, text in <see cref="BitmapFont"/>, and
/// pictures pasted in. Coordinates are pixels, x to the right and y down; anything outside the canvas is clipped.
/// </summary>
public sealed class Canvas
{
    /// <summary>A white canvas of <paramref name="width"/> x <paramref name="height"/> pixels.</summary>
    public Canvas(int width, int height)
    {
        Image = new Image(3, height, width);
        Array.Fill(Image.Pixels, 1f);
    }

    /// <summary>The picture drawn so far (RGB).</summary>
    public Image Image { get; }

    public int Width => Image.Width;
    public int Height => Image.Height;

    /// <summary>Sets one pixel (clipped).</summary>
    public void Set(int x, int y, (float R, float G, float B) c)
    {
        if (x < 0 || y < 0 || x >= Width || y >= Height) return;
        int hw = Width * Height, i = y * Width + x;
        Image.Pixels[i] = c.R;
        Image.Pixels[hw + i] = c.G;
        Image.Pixels[2 * hw + i] = c.B;
    }

    /// <summary>Fills the rectangle with corner (x, y), <paramref name="w"/> wide and <paramref name="h"/> high.</summary>
    public void FillRect(int x, int y, int w, int h, (float R, float G, float B) c)
    {
        for (int yy = Math.Max(y, 0); yy < Math.Min(y + h, Height); yy++)
            for (int xx = Math.Max(x, 0); xx < Math.Min(x + w, Width); xx++) Set(xx, yy, c);
    }

    /// <summary>Outlines the rectangle with a line <paramref name="thickness"/> pixels wide, drawn inside it.</summary>
    public void Rect(int x, int y, int w, int h, (float R, float G, float B) c, int thickness = 1)
    {
        FillRect(x, y, w, thickness, c);
        FillRect(x, y + h - thickness, w, thickness, c);
        FillRect(x, y, thickness, h, c);
        FillRect(x + w - thickness, y, thickness, h, c);
    }

    /// <summary>A straight line from (x0, y0) to (x1, y1) (Bresenham), <paramref name="thickness"/> pixels wide.</summary>
    public void Line(int x0, int y0, int x1, int y1, (float R, float G, float B) c, int thickness = 1)
    {
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
        int lo = -(thickness - 1) / 2;
        while (true)
        {
            FillRect(x0 + lo, y0 + lo, thickness, thickness, c);
            if (x0 == x1 && y0 == y1) break;
            int e2 = 2 * err;
            if (e2 >= dy) { err += dy; x0 += sx; }
            if (e2 <= dx) { err += dx; y0 += sy; }
        }
    }

    /// <summary>Writes <paramref name="text"/> with its top-left corner at (x, y), each font pixel <paramref name="scale"/> pixels square.</summary>
    public void Text(int x, int y, string text, (float R, float G, float B) c, int scale = 1)
    {
        for (int i = 0; i < text.Length; i++)
            for (int col = 0; col < BitmapFont.GlyphWidth; col++)
                for (int row = 0; row < BitmapFont.GlyphHeight + BitmapFont.Descent; row++)
                    if (BitmapFont.IsSet(text[i], col, row))
                        FillRect(x + (i * BitmapFont.Advance + col) * scale, y + row * scale, scale, scale, c);
    }

    /// <summary>Pastes <paramref name="picture"/> (gray or RGB) with its top-left corner at (x, y).</summary>
    public void Draw(Image picture, int x, int y)
    {
        for (int yy = 0; yy < picture.Height; yy++)
            for (int xx = 0; xx < picture.Width; xx++)
                Set(x + xx, y + yy, picture.Channels == 1
                    ? (picture[0, yy, xx], picture[0, yy, xx], picture[0, yy, xx])
                    : (picture[0, yy, xx], picture[1, yy, xx], picture[2, yy, xx]));
    }
}
