using Striate.Data.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace Striate.Oracle.Tests.Data;

/// <summary>
/// The geometric and filtering transforms against libtorch, computed the way torchvision computes them
/// (torchvision.transforms.v2.functional on float tensors, antialias=False).
/// </summary>
public class TransformOracleTests
{
    private static float[] Values(int n, ulong seed) => Enumerable.Range(0, n).Select(i => Striate.Tensors.Generator.UniformAt(seed, (ulong)i)).ToArray();

    [Theory]
    [InlineData(7, 5, 11, 3)]
    [InlineData(7, 5, 4, 9)]
    [InlineData(29, 31, 13, 8)]
    [InlineData(6, 6, 1, 1)]
    public void ResizeIsInterpolateBilinearWithoutAlignCorners(int h, int w, int oh, int ow)
    {
        using var scope = NewDisposeScope();
        var img = Values(3 * h * w, 1);
        var mine = new float[3 * oh * ow];
        new Resize(oh, ow).Apply(img, mine, 3, h, w, 0);
        var x = TorchInterop.ToTensor(img, [1, 3, h, w]);
        var theirs = nn.functional.interpolate(x, [oh, ow], mode: InterpolationMode.Bilinear, align_corners: false, antialias: false);
        OracleAssert.Close(TorchInterop.ToArray(theirs), mine, 1e-5, $"resize {h}x{w} -> {oh}x{ow}");
    }

    [Fact]
    public void ResizedCropIsCropThenInterpolate()
    {
        using var scope = NewDisposeScope();
        int h = 23, w = 19;
        var img = Values(2 * h * w, 2);
        var crop = new RandomResizedCrop(10, 14);
        var x = TorchInterop.ToTensor(img, [1, 2, h, w]);
        var mine = new float[2 * 10 * 14];
        for (ulong s = 0; s < 10; s++)
        {
            var (top, left, bh, bw) = crop.Box(h, w, s);
            crop.Apply(img, mine, 2, h, w, s);
            var box = x[.., .., top..(top + bh), left..(left + bw)];
            var theirs = nn.functional.interpolate(box, [10, 14], mode: InterpolationMode.Bilinear, align_corners: false, antialias: false);
            OracleAssert.Close(TorchInterop.ToArray(theirs), mine, 1e-5, $"resized crop {s} box ({top}, {left}, {bh}, {bw})");
        }
    }

    [Theory]
    [InlineData(3, 0.8)]
    [InlineData(5, 1.7)]
    [InlineData(7, 0.3)]
    public void BlurIsReflectPadThenConvolutionWithTorchvisionsKernel(int k, double sigma)
    {
        using var scope = NewDisposeScope();
        int c = 3, h = 11, w = 9;
        var img = Values(c * h * w, 3);
        var blur = new GaussianBlur(k, sigma, sigma);
        var mine = new float[img.Length];
        blur.Apply(img, mine, c, h, w, 0);
        // torchvision _get_gaussian_kernel1d / _get_gaussian_kernel2d, then pad(reflect) and a depthwise conv2d.
        float half = (k - 1) * 0.5f;
        var x1 = torch.linspace(-half, half, k);
        var pdf = torch.exp(-0.5f * (x1 / (float)sigma).pow(2));
        var k1 = pdf / pdf.sum();
        OracleAssert.Close(TorchInterop.ToArray(k1), blur.Kernel(sigma), 1e-6, "1-D kernel");
        var k2 = k1.unsqueeze(1) * k1.unsqueeze(0);
        var weight = k2.expand(c, 1, k, k);
        var x = nn.functional.pad(TorchInterop.ToTensor(img, [1, c, h, w]), [k / 2, k / 2, k / 2, k / 2], PaddingModes.Reflect);
        var theirs = nn.functional.conv2d(x, weight, groups: c);
        OracleAssert.Close(TorchInterop.ToArray(theirs), mine, 1e-5, $"blur k={k} sigma={sigma}");
    }

    [Theory]
    [InlineData(9, 13, 30.0, 0f)]
    [InlineData(10, 7, -47.5, -0.4f)]
    [InlineData(8, 8, 90.0, 2f)]
    public void RotationIsTorchvisionsAffineGridAndGridSample(int h, int w, double degrees, float fill)
    {
        using var scope = NewDisposeScope();
        var img = Values(2 * h * w, 4);
        var mine = new float[img.Length];
        new RandomRotation(degrees, degrees, fill).Apply(img, mine, 2, h, w, 0);
        // torchvision: matrix = _get_inverse_affine_matrix([0, 0], -angle, ...) = [cos, -sin, 0, sin, cos, 0];
        // _gen_affine_grid over pixel centres relative to the image centre; grid_sample(zeros, align_corners=False)
        // of the image with a ones-plane appended; out = img * mask + (1 - mask) * fill.
        double a = degrees * Math.PI / 180;
        var theta = torch.tensor(new float[] { (float)Math.Cos(a), (float)-Math.Sin(a), 0, (float)Math.Sin(a), (float)Math.Cos(a), 0 }, [1, 2, 3]);
        var baseGrid = torch.empty(1, h, w, 3);
        baseGrid[.., .., .., 0].copy_(torch.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, w));
        baseGrid[.., .., .., 1].copy_(torch.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, h).unsqueeze(-1));
        baseGrid[.., .., .., 2].fill_(1);
        var rescaled = theta.transpose(1, 2) / torch.tensor(new float[] { 0.5f * w, 0.5f * h });
        var grid = baseGrid.view(1, h * w, 3).bmm(rescaled).view(1, h, w, 2);
        var x = torch.cat([TorchInterop.ToTensor(img, [1, 2, h, w]), torch.ones(1, 1, h, w)], 1);
        var sampled = nn.functional.grid_sample(x, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false);
        var mask = sampled[.., 2..3].expand(1, 2, h, w);
        var theirs = sampled[.., 0..2] * mask + (1 - mask) * fill;
        OracleAssert.Close(TorchInterop.ToArray(theirs), mine, 1e-4, $"rotate {h}x{w} by {degrees}");
    }
}
