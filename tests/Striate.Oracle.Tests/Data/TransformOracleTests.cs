using Striate.Data.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace Striate.Oracle.Tests.Data;

/// <summary>
/// The geometric and filtering transforms against libtorch, computed the way torchvision computes them
/// (torchvision.transforms.v2.functional on float tensors, antialias=False), in float64 (float32 reported).
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
        var img = Values(3 * h * w, 1);
        var mine = new float[3 * oh * ow];
        new Resize(oh, ow).Apply(img, mine, 3, h, w, 0);
        string what = $"resize {h}x{w} -> {oh}x{ow}";
        var theirs = TorchInterop.Reference(what, 1e-5, dtype => nn.functional.interpolate(TorchInterop.ToTensor(img, [1, 3, h, w], dtype: dtype),
            [oh, ow], mode: InterpolationMode.Bilinear, align_corners: false, antialias: false));
        OracleAssert.Close(theirs, mine, 1e-5, what);
    }

    [Fact]
    public void ResizedCropIsCropThenInterpolate()
    {
        int h = 23, w = 19;
        var img = Values(2 * h * w, 2);
        var crop = new RandomResizedCrop(10, 14);
        var mine = new float[2 * 10 * 14];
        for (ulong s = 0; s < 10; s++)
        {
            var (top, left, bh, bw) = crop.Box(h, w, s);
            crop.Apply(img, mine, 2, h, w, s);
            string what = $"resized crop {s} box ({top}, {left}, {bh}, {bw})";
            var theirs = TorchInterop.Reference(what, 1e-5, dtype =>
            {
                var box = TorchInterop.ToTensor(img, [1, 2, h, w], dtype: dtype)[.., .., top..(top + bh), left..(left + bw)];
                return nn.functional.interpolate(box, [10, 14], mode: InterpolationMode.Bilinear, align_corners: false, antialias: false);
            });
            OracleAssert.Close(theirs, mine, 1e-5, what);
        }
    }

    [Theory]
    [InlineData(3, 0.8)]
    [InlineData(5, 1.7)]
    [InlineData(7, 0.3)]
    public void BlurIsReflectPadThenConvolutionWithTorchvisionsKernel(int k, double sigma)
    {
        int c = 3, h = 11, w = 9;
        var img = Values(c * h * w, 3);
        var blur = new GaussianBlur(k, sigma, sigma);
        var mine = new float[img.Length];
        blur.Apply(img, mine, c, h, w, 0);
        // torchvision _get_gaussian_kernel1d / _get_gaussian_kernel2d, then pad(reflect) and a depthwise conv2d.
        // torchvision builds the kernel in the image's dtype; float64 here, its float32 rounding is within 1e-6.
        double half = (k - 1) * 0.5;
        Tensor Kernel1d(ScalarType dtype)
        {
            var x1 = torch.linspace(-half, half, k, dtype: dtype);
            var pdf = torch.exp(-0.5 * (x1 / sigma).pow(2));
            return pdf / pdf.sum();
        }
        var k1 = TorchInterop.Reference($"blur 1-D kernel k={k} sigma={sigma}", 1e-6, Kernel1d);
        OracleAssert.Close(k1, blur.Kernel(sigma), 1e-6, "1-D kernel");
        string what = $"blur k={k} sigma={sigma}";
        var theirs = TorchInterop.Reference(what, 1e-5, dtype =>
        {
            var k1d = Kernel1d(dtype);
            var weight = (k1d.unsqueeze(1) * k1d.unsqueeze(0)).expand(c, 1, k, k);
            var x = nn.functional.pad(TorchInterop.ToTensor(img, [1, c, h, w], dtype: dtype), [k / 2, k / 2, k / 2, k / 2], PaddingModes.Reflect);
            return nn.functional.conv2d(x, weight, groups: c);
        });
        OracleAssert.Close(theirs, mine, 1e-5, what);
    }

    [Theory]
    [InlineData(9, 13, 30.0, 0f)]
    [InlineData(10, 7, -47.5, -0.4f)]
    [InlineData(8, 8, 90.0, 2f)]
    public void RotationIsTorchvisionsAffineGridAndGridSample(int h, int w, double degrees, float fill)
    {
        var img = Values(2 * h * w, 4);
        var mine = new float[img.Length];
        new RandomRotation(degrees, degrees, fill).Apply(img, mine, 2, h, w, 0);
        // torchvision: matrix = _get_inverse_affine_matrix([0, 0], -angle, ...) = [cos, -sin, 0, sin, cos, 0];
        // _gen_affine_grid over pixel centres relative to the image centre; grid_sample(zeros, align_corners=False)
        // of the image with a ones-plane appended; out = img * mask + (1 - mask) * fill.
        double a = degrees * Math.PI / 180;
        string what = $"rotate {h}x{w} by {degrees}";
        var theirs = TorchInterop.Reference(what, 1e-4, dtype =>
        {
            var theta = torch.tensor(new[] { Math.Cos(a), -Math.Sin(a), 0, Math.Sin(a), Math.Cos(a), 0 }, [1, 2, 3], dtype: dtype);
            var baseGrid = torch.empty(1, h, w, 3, dtype: dtype);
            baseGrid[.., .., .., 0].copy_(torch.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, w, dtype: dtype));
            baseGrid[.., .., .., 1].copy_(torch.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, h, dtype: dtype).unsqueeze(-1));
            baseGrid[.., .., .., 2].fill_(1);
            var rescaled = theta.transpose(1, 2) / torch.tensor(new[] { 0.5 * w, 0.5 * h }, dtype: dtype);
            var grid = baseGrid.view(1, h * w, 3).bmm(rescaled).view(1, h, w, 2);
            var x = torch.cat([TorchInterop.ToTensor(img, [1, 2, h, w], dtype: dtype), torch.ones(1, 1, h, w, dtype: dtype)], 1);
            var sampled = nn.functional.grid_sample(x, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false);
            var mask = sampled[.., 2..3].expand(1, 2, h, w);
            return sampled[.., 0..2] * mask + (1 - mask) * fill;
        });
        OracleAssert.Close(theirs, mine, 1e-4, what);
    }
}
