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
