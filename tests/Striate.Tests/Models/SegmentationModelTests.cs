using Striate.Models;
using Striate.Nn;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Tests.Models;

/// <summary>U-Net and FCN-32s/16s/8s: the papers' shapes, the skip connections, the bilinear start of the learned upsampling, and the sizes they refuse.</summary>
public class SegmentationModelTests
{
    private static long Params(Module m) => m.Parameters().Sum(p => (long)p.Numel);

    [Fact]
    public void TheValidUNetMapsThePapers572PixelsTo388()
    {
        var net = new UNet(1, 2, baseChannels: 2, depth: 4, validPadding: true, generator: new Generator(1));
        Assert.Equal(388, net.OutputSize(572));
        net.Eval();
        using var _ = Autograd.NoGrad();
        var y = net.Forward(Tensor.Uniform(new Generator(2), 0, 1, 1, 1, 572, 572));
        Assert.Equal(new[] { 1, 2, 388, 388 }, y.Shape.ToArray());
    }

    [Fact]
    public void TheSummaryShowsTheSkipConnectionsWithTheirShapesAndReceptiveFields()
    {
        var unet = ModelSummary.Of(new UNet(1, 2, baseChannels: 2, depth: 4, validPadding: true, generator: new Generator(1)), 1, 572, 572, "unet");
        // The paper's figure: 568 -> 392, 280 -> 200, 136 -> 104, 64 -> 56, each cropped and concatenated with the up-convolution.
        Assert.Equal(["up4", "up3", "up2", "up1"], unet.Skips.Select(k => k.Into));
        Assert.Equal(["down4", "down3", "down2", "down1"], unet.Skips.Select(k => k.From));
        Assert.Equal(new[] { 16, 64, 64 }, unet.Skips[0].FromShape);
        Assert.Equal(new[] { 16, 56, 56 }, unet.Skips[0].UsedShape);
        Assert.Equal(new[] { 32, 56, 56 }, unet.Skips[0].JoinedShape);
        Assert.Equal(new[] { 2, 568, 568 }, unet.Skips[3].FromShape);
        Assert.Equal(new[] { 2, 392, 392 }, unet.Skips[3].UsedShape);
        Assert.Equal(new[] { 4, 392, 392 }, unet.Skips[3].JoinedShape);
        // Receptive fields by hand: two 3x3 convolutions add 4 jumps, a 2x2 pool one jump and doubles it.
        // down1 5; pool 6 (jump 2); down2 6 + 8 = 14; pool 16 (jump 4); down3 32; pool 36 (jump 8); down4 68.
        Assert.Equal(new long[] { 68, 32, 14, 5 }, unet.Skips.Select(k => k.FromReceptiveField));
        Assert.Equal(2, unet.Rows.Single(r => r.Name == "pool1").Jump);
        // Up the expanding path each 2x2 up-convolution halves the jump (one input pixel per output pixel) and each
        // pair of convolutions adds 4 jumps: bottom 140 at jump 16, then 172, 188, 196, 200 at jump 1.
        Assert.Equal((140L, 16L), (unet.Rows.Single(r => r.Name == "bottom.3").ReceptiveField, unet.Rows.Single(r => r.Name == "bottom.3").Jump));
        Assert.Equal((200L, 1L), (unet.Rows[^1].ReceptiveField, unet.Rows[^1].Jump));
        string text = unet.ToString();
        Assert.Contains("skip connections:", text);
        Assert.Contains("down1 (2x568x568, centre-cropped to 2x392x392, RF 5) concatenated at up1 -> 4x392x392", text);
        Assert.Contains("\"skip_connections\"", unet.ToJson());

        var fcn = ModelSummary.Of(Fcn.Small(8, 11, 1, new Generator(1)), 1, 64, 64, "fcn8s-small");
        Assert.Equal(["score_pool4", "score_pool3"], fcn.Skips.Select(k => k.From));
        Assert.All(fcn.Skips, k => Assert.Equal("added", k.How));
        Assert.Equal(new[] { 11, 4, 4 }, fcn.Skips[0].JoinedShape);
        Assert.Equal(new[] { 11, 8, 8 }, fcn.Skips[1].JoinedShape);
        Assert.True(fcn.Skips[0].FromReceptiveField > fcn.Skips[1].FromReceptiveField);
        // The scores come back to the input's grid: jump 32 at score_fr, 1 after upscore8.
        Assert.Equal(32, fcn.Rows.Single(r => r.Name == "score_fr").Jump);
        Assert.Equal(1, fcn.Rows[^1].Jump);
        Assert.Empty(ModelSummary.Of(Fcn.Small(32, 11, 1, new Generator(1)), 1, 64, 64).Skips);
    }

    [Fact]
    public void ThePapersUNetHasItsParameterCount()
    {
        // Counted from the paper's figure: two 3x3 convolutions per level (64 ... 1024 channels), 2x2 up-convolutions
        // halving the channels, a 1x1 convolution to 2 classes; every layer with a bias.
        long expected = 0;
        long Conv(int i, int o, int k) => (long)i * o * k * k + o;
        int c = 1;
        for (int l = 0; l < 4; l++) { int w = 64 << l; expected += Conv(c, w, 3) + Conv(w, w, 3); c = w; }
        expected += Conv(512, 1024, 3) + Conv(1024, 1024, 3);
        for (int l = 3; l >= 0; l--) { int w = 64 << l; expected += Conv(2 * w, w, 2) + Conv(2 * w, w, 3) + Conv(w, w, 3); }
        expected += Conv(64, 2, 1);
        Assert.Equal(expected, Params(new UNet(1, 2)));
        Assert.Contains("up1.upconv.weight", new UNet(1, 2, 4, 2).StateDict().Select(kv => kv.Key));
    }

    [Fact]
    public void TheSamePaddedUNetKeepsTheSizeAndTrains()
    {
        var net = new UNet(1, 3, baseChannels: 4, depth: 3, validPadding: false, batchNorm: true, generator: new Generator(3));
        var x = Tensor.Uniform(new Generator(4), 0, 1, 2, 1, 24, 16);
        var y = net.Forward(x);
        Assert.Equal(new[] { 2, 3, 24, 16 }, y.Shape.ToArray());
        int[] targets = [.. Enumerable.Range(0, 2 * 24 * 16).Select(i => i % 3)];
        F.CrossEntropy(y, targets).Backward();
        Assert.All(net.Parameters(), p => Assert.True(p.Grad is not null && p.Grad.ToArray().Any(v => v != 0), "a parameter got no gradient"));
    }

    [Fact]
    public void SizesAUNetCannotTakeAreRefusedWithSizesItCan()
    {
        var valid = new UNet(1, 2, 2, 4);
        var e = Assert.Throws<ArgumentException>(() => valid.OutputSize(570));
        Assert.Contains("an input side of 570 pixels gives a 279-pixel map before max pool 2; expected an even side", e.Message);
        Assert.Contains("sizes such as 140, 156, 172", e.Message);
        Assert.Equal(4, valid.OutputSize(188));
        var same = new UNet(1, 2, 2, 3, validPadding: false);
        Assert.Contains("a multiple of 8", Assert.Throws<ArgumentException>(() => same.Forward(Tensor.Zeros(1, 1, 20, 16))).Message);
        Assert.Contains("expected images [N, 1, H, W], got [1, 3, 16, 16]", Assert.Throws<ArgumentException>(() => same.Forward(Tensor.Zeros(1, 3, 16, 16))).Message);
    }

    [Theory]
    [InlineData(32)]
    [InlineData(16)]
    [InlineData(8)]
    public void AnFcnScoresEveryPixel(int stride)
    {
        var net = Fcn.Small(stride, 11, 1, new Generator(5));
        net.Eval();
        using var _ = Autograd.NoGrad();
        Assert.Equal(new[] { 2, 11, 64, 96 }, net.Forward(Tensor.Uniform(new Generator(6), 0, 1, 2, 1, 64, 96)).Shape.ToArray());
        var names = net.StateDict().Select(kv => kv.Key).ToList();
        Assert.Equal(stride <= 16, names.Contains("score_pool4.weight"));
        Assert.Equal(stride == 8, names.Contains("score_pool3.weight"));
        Assert.Contains(stride switch { 32 => "upscore.weight", 16 => "upscore16.weight", _ => "upscore8.weight" }, names);
        Assert.Contains("multiples of 32", Assert.Throws<ArgumentException>(() => net.Forward(Tensor.Zeros(1, 1, 48, 64))).Message);
    }

    [Fact]
    public void TheFcnOnVgg16HasTorchvisionsFeatureNames()
    {
        var fcn = Fcn.Vgg16(8, 21);
        var vgg = Vgg.Vgg16(1000, 3, false, null);
        var features = vgg.StateDict().Select(kv => kv.Key).Where(k => k.StartsWith("features.", StringComparison.Ordinal));
        Assert.Equal(features, fcn.StateDict().Select(kv => kv.Key).Where(k => k.StartsWith("features.", StringComparison.Ordinal)));
        Assert.Equal(new[] { 4096, 512, 7, 7 }, fcn.Fc6.Weight.Shape.ToArray());
        Assert.Throws<ArgumentException>(() => new Fcn(4, 2));
    }

    [Fact]
    public void TheUpsamplingStartsAsBilinearInterpolation()
    {
        // Away from the border (where the transposed convolution sees zeros and interpolation clamps), a bilinear-started
        // up-convolution by 2 is PyTorch's bilinear upsampling by 2.
        var x = Tensor.Uniform(new Generator(7), -1, 1, 1, 3, 6, 7);
        var up = Fcn.Bilinear(3, 2);
        float[] a = up.Forward(x).ToArray(), b = F.Interpolate(x, 2.0, 2.0, InterpolationMode.Bilinear).ToArray();
        for (int c = 0; c < 3; c++)
            for (int i = 1; i < 11; i++)
                for (int j = 1; j < 13; j++)
                    Assert.True(Math.Abs(b[(c * 12 + i) * 14 + j] - a[(c * 12 + i) * 14 + j]) < 1e-6, $"channel {c}, pixel ({i}, {j})");
        // Channels do not mix, and the kernel of the paper's code.
        Assert.Equal([0.0625f, 0.1875f, 0.1875f, 0.0625f], Fcn.BilinearKernel(4)[..4]);
        Assert.Equal(0f, up.Weight.Data[1 * 16]);
    }
}
