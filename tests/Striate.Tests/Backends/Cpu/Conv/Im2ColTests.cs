using Striate.Backends.Cpu;
using Striate.Backends;

namespace Striate.Tests.Backends.Cpu;

public class Im2ColTests
{
    /// <summary>C, H, W, KH, KW, strideH, strideW, padTop, padBottom, padLeft, padRight, dilationH, dilationW, groups.</summary>
    public static TheoryData<int[]> Geometries => new()
    {
        new[] { 3, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
        new[] { 2, 8, 8, 3, 3, 2, 2, 0, 1, 1, 0, 1, 1, 1 },
        new[] { 4, 11, 13, 3, 2, 2, 3, 2, 0, 1, 3, 2, 3, 2 },
        new[] { 6, 10, 12, 5, 1, 1, 1, 2, 2, 0, 0, 1, 1, 2 },
        new[] { 2, 9, 10, 3, 3, 1, 1, 3, 1, 0, 2, 3, 2, 1 },
        new[] { 4, 12, 11, 3, 3, 3, 2, 1, 2, 2, 1, 2, 2, 2 },
        new[] { 1, 5, 6, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1 },
        new[] { 2, 3, 4, 5, 6, 1, 1, 4, 3, 5, 2, 1, 1, 1 },
        new[] { 3, 6, 5, 2, 3, 1, 3, 0, 5, 4, 0, 3, 1, 3 },
        new[] { 8, 28, 28, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1 },
        new[] { 2, 6, 7, 3, 3, 1, 1, 2, 2, 1, 3, 2, 2, 1 },
        new[] { 2, 5, 5, 3, 3, 1, 1, 7, 0, 8, 0, 3, 4, 2 },
        new[] { 2, 9, 45, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1 },
        new[] { 4, 6, 80, 2, 3, 1, 2, 0, 1, 2, 0, 1, 2, 2 },
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void PackRowsBuildsEachBandOfTheFullMatrix(int[] shape)
    {
        Conv2dGeometry geo = Geometry(shape);
        if (geo.Groups != 1) return;
        var rng = new Random(shape.Sum());
        float[] image = Fill(rng, geo.InChannels * geo.InHeight * geo.InWidth);
        float[] expected = ReferencePack(geo, image, 0);
        int ow = geo.OutWidth;
        foreach (int rows in new[] { 1, 2, 3 })
            for (int first = 0; first < geo.OutHeight; first += rows)
            {
                int count = Math.Min(rows, geo.OutHeight - first), ld = count * ow + 3;
                float[] band = new float[geo.ColRows * ld];
                Array.Fill(band, float.NaN);
                Im2Col.PackRows(in geo, image, band, ld, first, count);
                for (int r = 0; r < geo.ColRows; r++)
                    Assert.Equal(expected.AsSpan(r * geo.ColCols + first * ow, count * ow).ToArray(), band.AsSpan(r * ld, count * ow).ToArray());
            }
        Assert.Throws<ArgumentOutOfRangeException>(() => Im2Col.PackRows(in geo, image, new float[geo.ColRows * geo.ColCols], geo.ColCols, geo.OutHeight, 1));
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void PackMatchesDirectReference(int[] shape)
    {
        Conv2dGeometry geo = Geometry(shape);
        var rng = new Random(shape.Sum());
        float[] image = Fill(rng, geo.InChannels * geo.InHeight * geo.InWidth);
        for (int g = 0; g < geo.Groups; g++)
        {
            float[] cols = new float[geo.ColRows * geo.ColCols];
            Array.Fill(cols, float.NaN);
            Im2Col.Pack(in geo, image, g, cols);
            float[] expected = ReferencePack(geo, image, g);
            Assert.Equal(expected, cols);
        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void PackAndUnpackWithAWiderRowStrideTouchOnlyTheirColumns(int[] shape)
    {
        Conv2dGeometry geo = Geometry(shape);
        var rng = new Random(shape.Sum() + 2);
        int hw = geo.ColCols, ld = 3 * hw, offset = hw;
        float[] image = Fill(rng, geo.InChannels * geo.InHeight * geo.InWidth);
        float[] wide = new float[geo.ColRows * ld];
        Array.Fill(wide, 7f);
        Im2Col.Pack(in geo, image, 0, wide.AsSpan(offset), ld);
        float[] expected = ReferencePack(geo, image, 0);
        for (int r = 0; r < geo.ColRows; r++)
            for (int j = 0; j < ld; j++)
                Assert.Equal(j >= offset && j < offset + hw ? expected[r * hw + j - offset] : 7f, wide[r * ld + j]);

        float[] fromWide = new float[image.Length], fromNarrow = new float[image.Length];
        Im2Col.Unpack(in geo, wide.AsSpan(offset), 0, fromWide, ld);
        Im2Col.Unpack(in geo, expected, 0, fromNarrow);
        Assert.Equal(fromNarrow, fromWide);
        Assert.Throws<ArgumentOutOfRangeException>(() => Im2Col.Pack(in geo, image, 0, wide, hw - 1));
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void UnpackIsTheAdjointOfPack(int[] shape)
    {
        Conv2dGeometry geo = Geometry(shape);
        var rng = new Random(shape.Sum() + 1);
        int imageLength = geo.InChannels * geo.InHeight * geo.InWidth;
        int channelsPerGroup = geo.InChannelsPerGroup, plane = geo.InHeight * geo.InWidth;
        for (int g = 0; g < geo.Groups; g++)
        {
            float[] x = Fill(rng, imageLength);
            float[] y = Fill(rng, geo.ColRows * geo.ColCols);
            float[] packed = new float[y.Length];
            Im2Col.Pack(in geo, x, g, packed);
            float[] unpacked = new float[imageLength];
            Im2Col.Unpack(in geo, y, g, unpacked);

            double left = 0, right = 0, scale = 0;
            for (int i = 0; i < y.Length; i++)
            {
                left += (double)packed[i] * y[i];
                scale += Math.Abs((double)packed[i] * y[i]);
            }

            for (int i = 0; i < imageLength; i++)
            {
                right += (double)x[i] * unpacked[i];
            }

            Assert.True(Math.Abs(left - right) <= 1e-5 * scale, $"<Pack(x), y> = {left}, <x, Unpack(y)> = {right}");

            // Other groups' channels are neither read nor written.
            for (int i = 0; i < imageLength; i++)
            {
                if (i / plane / channelsPerGroup != g)
                {
                    Assert.Equal(0f, unpacked[i]);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void UnpackAccumulatesLikeReference(int[] shape)
    {
        Conv2dGeometry geo = Geometry(shape);
        var rng = new Random(shape.Sum() + 2);
        int imageLength = geo.InChannels * geo.InHeight * geo.InWidth;
        for (int g = 0; g < geo.Groups; g++)
        {
            float[] cols = Fill(rng, geo.ColRows * geo.ColCols);
            float[] dImage = Fill(rng, imageLength);
            double[] expected = dImage.Select(v => (double)v).ToArray();
            double[] magnitude = dImage.Select(v => Math.Abs((double)v)).ToArray();
            ForEachTap(geo, g, (row, col, index) =>
            {
                if (index >= 0)
                {
                    expected[index] += cols[row * geo.ColCols + col];
                    magnitude[index] += Math.Abs(cols[row * geo.ColCols + col]);
                }
            });

            Im2Col.Unpack(in geo, cols, g, dImage);
            for (int i = 0; i < imageLength; i++)
            {
                Assert.True(Math.Abs(dImage[i] - expected[i]) <= 1e-6 * magnitude[i], $"dImage[{i}] = {dImage[i]}, expected {expected[i]}");
            }
        }
    }

    [Fact]
    public void RejectsBadArguments()
    {
        Conv2dGeometry geo = Geometry([4, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
        float[] image = new float[4 * 5 * 5], cols = new float[geo.ColRows * geo.ColCols];
        Assert.Equal("image", Assert.Throws<ArgumentException>(() => Im2Col.Pack(in geo, image.AsSpan(1), 0, cols)).ParamName);
        Assert.Equal("cols", Assert.Throws<ArgumentException>(() => Im2Col.Pack(in geo, image, 0, cols.AsSpan(1))).ParamName);
        Assert.Equal("dImage", Assert.Throws<ArgumentException>(() => Im2Col.Unpack(in geo, cols, 1, image.AsSpan(1))).ParamName);
        Assert.Equal("cols", Assert.Throws<ArgumentException>(() => Im2Col.Unpack(in geo, cols.AsSpan(1), 1, image)).ParamName);
        Assert.Equal("group", Assert.Throws<ArgumentOutOfRangeException>(() => Im2Col.Pack(in geo, image, 2, cols)).ParamName);
        Conv2dGeometry bad = geo with { Groups = 3 };
        Assert.Equal("geo", Assert.Throws<ArgumentException>(() => Im2Col.Pack(in bad, image, 0, cols)).ParamName);
        Conv2dGeometry tooBig = geo with { KernelHeight = 9, PadTop = 0, PadBottom = 0 };
        Assert.Equal("geo", Assert.Throws<ArgumentException>(() => Im2Col.Unpack(in tooBig, cols, 0, image)).ParamName);
    }

    private static Conv2dGeometry Geometry(int[] s) =>
        new(1, s[0], s[1], s[2], s[0], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11], s[12], s[13]);

    /// <summary>The im2col matrix straight from its definition.</summary>
    private static float[] ReferencePack(Conv2dGeometry geo, float[] image, int group)
    {
        float[] cols = new float[geo.ColRows * geo.ColCols];
        ForEachTap(geo, group, (row, col, index) => cols[row * geo.ColCols + col] = index >= 0 ? image[index] : 0f);
        return cols;
    }

    /// <summary>Calls tap(row, col, index of the input sample or -1 for padding) for every im2col element.</summary>
    private static void ForEachTap(Conv2dGeometry geo, int group, Action<int, int, int> tap)
    {
        int cpg = geo.InChannels / geo.Groups;
        for (int c = 0; c < cpg; c++)
        {
            for (int kh = 0; kh < geo.KernelHeight; kh++)
            {
                for (int kw = 0; kw < geo.KernelWidth; kw++)
                {
                    int row = (c * geo.KernelHeight + kh) * geo.KernelWidth + kw;
                    for (int oh = 0; oh < geo.OutHeight; oh++)
                    {
                        for (int ow = 0; ow < geo.OutWidth; ow++)
                        {
                            int ih = oh * geo.StrideH - geo.PadTop + kh * geo.DilationH;
                            int iw = ow * geo.StrideW - geo.PadLeft + kw * geo.DilationW;
                            bool inside = ih >= 0 && ih < geo.InHeight && iw >= 0 && iw < geo.InWidth;
                            int index = inside ? ((group * cpg + c) * geo.InHeight + ih) * geo.InWidth + iw : -1;
                            tap(row, oh * geo.OutWidth + ow, index);
                        }
                    }
                }
            }
        }
    }

    private static float[] Fill(Random rng, int count)
    {
        var x = new float[count];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(rng.NextDouble() * 2 - 1);
        }

        return x;
    }
}
