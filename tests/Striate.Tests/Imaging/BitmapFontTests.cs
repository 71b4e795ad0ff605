using Striate.Imaging;

namespace Striate.Tests.Imaging;

/// <summary>The chart font: letters with descenders are not digits.</summary>
public class BitmapFontTests
{
    private static bool[,] Glyph(char c)
    {
        var g = new bool[BitmapFont.GlyphWidth, BitmapFont.GlyphHeight + BitmapFont.Descent];
        for (int x = 0; x < BitmapFont.GlyphWidth; x++)
            for (int y = 0; y < BitmapFont.GlyphHeight + BitmapFont.Descent; y++)
                g[x, y] = BitmapFont.IsSet(c, x, y);
        return g;
    }

    [Theory]
    [InlineData('g', '9')]
    [InlineData('y', '9')]
    [InlineData('q', '9')]
    [InlineData('p', 'P')]
    [InlineData('j', 'J')]
    public void ADescenderLetterIsNotTheDigitOrCapitalItResembled(char letter, char lookalike) =>
        Assert.NotEqual(Glyph(lookalike), Glyph(letter));

    [Theory]
    [InlineData('g')]
    [InlineData('j')]
    [InlineData('p')]
    [InlineData('q')]
    [InlineData('y')]
    public void DescendersReachBelowTheBaselineAndNothingElseDoes(char c)
    {
        bool below = Enumerable.Range(0, BitmapFont.GlyphWidth).Any(x => BitmapFont.IsSet(c, x, BitmapFont.GlyphHeight));
        Assert.True(below, $"'{c}' has no descender");
        // The x-height letters without a tail stay above it, and the top row of a lower-case letter (but i, j's dot) is empty.
        foreach (char other in "aceimnorsuvwxz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            Assert.False(Enumerable.Range(0, BitmapFont.GlyphWidth).Any(x => BitmapFont.IsSet(other, x, BitmapFont.GlyphHeight)), $"'{other}' reaches below the baseline");
    }

    [Fact]
    public void EdgeIsDrawnUnlikeEd9e()
    {
        float[] Draw(string text)
        {
            var c = new Canvas(48, 12);
            c.Text(1, 1, text, (0f, 0f, 0f));
            return c.Image.Pixels;
        }
        Assert.NotEqual(Draw("ed9e"), Draw("edge"));
        Assert.NotEqual(Draw("sobel-9"), Draw("sobel-y"));
    }
}
