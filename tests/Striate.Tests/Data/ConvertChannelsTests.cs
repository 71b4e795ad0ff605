using Striate.Data;
using Striate.Data.Transforms;
using Striate.Imaging;

namespace Striate.Tests.Data;

public class ConvertChannelsTests
{
    [Fact]
    public void GrayIsRepeatedAndRgbBecomesLumaAsImageDoes()
    {
        var gray = new float[] { 0.1f, 0.5f, 0.9f, 0.3f, 0.2f, 0.7f };
        var rgb = new float[18];
        new ConvertChannels(3).Apply(gray, rgb, 1, 2, 3, 0);
        for (int c = 0; c < 3; c++) Assert.Equal(gray, rgb.AsSpan(c * 6, 6).ToArray());

        var colour = Enumerable.Range(0, 18).Select(i => (i * 37 % 18) / 17f).ToArray();
        var luma = new float[6];
        new ConvertChannels(1).Apply(colour, luma, 3, 2, 3, 0);
        Assert.Equal(new Image(colour, 3, 2, 3).ToGray().Pixels, luma);
        Assert.Equal(0.299f * colour[0] + 0.587f * colour[6] + 0.114f * colour[12], luma[0]);

        Assert.Equal((3, 2, 3), new ConvertChannels(3).OutputShape(1, 2, 3));
        Assert.Contains("got 2 channels", Assert.Throws<ArgumentException>(() => new ConvertChannels(3).OutputShape(2, 2, 3)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvertChannels(2));
    }

    [Fact]
    public void RepeatingCommutesWithNormalisingByTheSharedStatistics()
    {
        var set = ImageDataset.FromFloats(Enumerable.Range(0, 2 * 4).Select(i => i / 8f).ToArray(), [0, 1], 1, 2, 2, ["a", "b"]);
        var (mean, std) = set.ChannelStatistics();
        var thenRepeat = set.Normalize(mean, std).WithChannels(3);
        var repeatThen = set.WithChannels(3).Normalize([mean[0], mean[0], mean[0]], [std[0], std[0], std[0]]);
        for (int i = 0; i < 2; i++) Assert.Equal(repeatThen.Image(i).ToArray(), thenRepeat.Image(i).ToArray());
        Assert.Same(set, set.WithChannels(1));
        Assert.Equal((3, 2, 2), (thenRepeat.Channels, thenRepeat.Height, thenRepeat.Width));
    }
}
