using Striate.Backends.Cpu;
using Striate.Tests.Tensors;
using Striate.Threading;
using Striate.Backends;

namespace Striate.Tests.Backends.Cpu;

/// <summary>
/// The convolution kernels against a float64 loop nest, on shapes chosen to take every path: one image per
/// column block (large maps), several images per block with a ragged last block (small maps), pointwise with and
/// without gathering, groups, and blocks spread over threads or the GEMM threaded; then 1 vs 2 threads bit for bit.
/// </summary>
[Collection(nameof(ThreadCountCollection))]
public class ConvKernelsTests
{
    /// <summary>N, C, H, W, OC, K, stride, pad, dilation, groups.</summary>
    public static TheoryData<int[]> Shapes => new()
    {
        new[] { 3, 4, 20, 18, 6, 3, 1, 1, 1, 1 },   // 360 columns: one image per block
        new[] { 7, 5, 6, 5, 4, 3, 1, 1, 1, 1 },     // 30 columns: 7 images in blocks of 7
        new[] { 11, 3, 5, 4, 8, 3, 2, 1, 1, 1 },    // 6 columns: blocks of 11, stride 2
        new[] { 9, 4, 3, 3, 6, 1, 1, 0, 1, 2 },     // pointwise, 9 columns, gathered, 2 groups
        new[] { 2, 6, 17, 16, 4, 1, 1, 0, 1, 1 },   // pointwise, 272 columns, read in place
        new[] { 5, 6, 7, 7, 6, 3, 1, 2, 2, 3 },     // dilation 2, 3 groups, 49 columns
        new[] { 40, 8, 4, 4, 16, 3, 1, 1, 1, 1 },   // 16 columns: 16 images per block, ragged last block of 8
        new[] { 1, 3, 9, 9, 5, 3, 1, 1, 1, 1 },     // a single image
        new[] { 3, 6, 13, 11, 6, 3, 1, 1, 1, 6 },   // depthwise 3x3, vector rows with a tail
        new[] { 2, 4, 20, 19, 8, 3, 1, 2, 2, 4 },   // depthwise, channel multiplier 2, dilation 2
        new[] { 3, 5, 12, 13, 5, 3, 2, 1, 1, 5 },   // depthwise stride 2 (scalar path)
        new[] { 2, 3, 9, 40, 3, 5, 1, 0, 1, 3 },    // depthwise 5x5 unpadded, wide rows
        new[] { 8, 32, 8, 8, 32, 3, 1, 1, 1, 1 },   // Winograd forward and input gradient, 16 tiles per image
        new[] { 5, 40, 11, 13, 36, 3, 1, 0, 1, 1 }, // Winograd, unpadded, odd output sizes (partial tiles)
        new[] { 8, 32, 6, 6, 48, 3, 1, 2, 1, 1 },   // Winograd, padding 2 (the input gradient is then unpadded)
        new[] { 9, 32, 4, 4, 32, 3, 1, 1, 1, 1 },   // 4x4 maps: im2col, not Winograd (36 tiles)
        new[] { 40, 32, 4, 4, 40, 3, 1, 1, 1, 1 },  // 4x4 maps, 40 images: Winograd with the gather transforms (160 tiles, a partial vector)
        new[] { 21, 36, 7, 7, 32, 3, 1, 1, 1, 1 },  // 7x7 maps: partial tiles through the gather tables, 36 input channels (a partial vector of kernels)
        new[] { 1, 8, 40, 40, 8, 3, 1, 1, 1, 1 },   // one large image: the forward pass in two bands of 20 output rows; threads share col2im by channel
        new[] { 2, 3, 70, 66, 8, 7, 2, 3, 1, 1 },   // a 7x7 / 2 stem in bands of output rows (18 + 17 rows of 33)
        new[] { 1, 3, 90, 90, 8, 7, 2, 3, 1, 1 },   // one image of a stem: 3 bands of 15 rows on one thread, 4 of 12 on two
        new[] { 1, 4, 40, 36, 6, 3, 1, 2, 2, 1 },   // dilation 2 in bands
        new[] { 1, 16, 61, 59, 8, 3, 2, 1, 1, 1 },  // the same with stride 2 and ragged channel parts
        new[] { 1, 64, 25, 23, 32, 3, 1, 1, 1, 1 }, // Winograd, one image, tile rows longer than a vector
        new[] { 1, 128, 66, 64, 32, 3, 1, 1, 1, 1 }, // Winograd in bands of tile rows (1,056 tiles: 7 + 7 + 7 + 7 + 5 rows)
        new[] { 1, 32, 67, 65, 128, 3, 1, 0, 1, 1 }, // the same unpadded with odd outputs (the input gradient pads 2)
        new[] { 2, 32, 64, 62, 32, 3, 1, 1, 1, 1 }, // Winograd F(4x4, 3x3): 2 x 16 x 16 tiles, the last tile column partial (62 = 15 x 4 + 2)
        new[] { 4, 33, 50, 45, 35, 3, 1, 0, 1, 1 }, // F(4x4, 3x3) unpadded, odd channel counts, 48 x 43 outputs
        new[] { 2, 32, 60, 61, 40, 3, 1, 2, 1, 1 }, // F(4x4, 3x3) with padding 2 (62 x 63 outputs)
        new[] { 6, 1, 28, 28, 6, 5, 1, 2, 1, 1 },   // LeNet-5 conv1: direct, rows of 28 = 3 x 8 + 4
        new[] { 5, 6, 14, 14, 16, 5, 1, 0, 1, 1 },  // LeNet-5 conv2: direct, two channel blocks, rows of 10 = 8 + 4 overlapping
        new[] { 3, 3, 9, 11, 13, 3, 1, 1, 1, 1 },   // direct, a partial channel block, rows of 11 = 8 + 8 overlapping
        new[] { 2, 2, 7, 7, 3, 2, 1, 0, 1, 1 },     // direct, rows of 6 = 4 + 4 overlapping, an even kernel
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardAndBothGradientsMatchTheFloat64Reference(int[] s)
    {
        var g = Geometry(s);
        var rng = new Random(s.Sum());
        float[] x = Fill(rng, g.Batch * g.InChannels * g.InHeight * g.InWidth);
        float[] w = Fill(rng, g.OutChannels * g.InChannelsPerGroup * g.KernelHeight * g.KernelWidth);
        float[] bias = Fill(rng, g.OutChannels);
        float[] dy = Fill(rng, g.Batch * g.OutChannels * g.OutHeight * g.OutWidth);

        var (y, dx, dw) = Reference(g, x, w, bias, dy);
        float[] y32 = Poisoned(dy.Length), dx32 = Poisoned(x.Length), dw32 = Poisoned(w.Length), db32 = Poisoned(bias.Length);
        ConvKernels.Forward(g, x, w, bias, y32);
        ConvKernels.BackwardData(g, dy, w, dx32);
        ConvKernels.BackwardWeight(g, x, dy, dw32, db32);
        // Layers the direct kernel takes also keep im2col + GEMM correct (the path without AVX2).
        float[] im2col = Poisoned(dy.Length), dwIm2col = Poisoned(w.Length);
        ConvKernels.Forward(g, x, w, bias, default, false, im2col, algorithms: NoDirect);
        ConvKernels.BackwardWeight(g, x, dy, dwIm2col, default, NoDirect);

        AssertClose(y, y32, "forward");
        AssertClose(y, im2col, "forward by im2col");
        AssertClose(dw, dwIm2col, "weight gradient by im2col");
        AssertClose(dx, dx32, "input gradient");
        AssertClose(dw, dw32, "weight gradient");
        for (int oc = 0; oc < g.OutChannels; oc++)
        {
            double sum = 0;
            int hw = g.OutHeight * g.OutWidth;
            for (int n = 0; n < g.Batch; n++)
                for (int i = 0; i < hw; i++) sum += dy[(n * g.OutChannels + oc) * hw + i];
            Assert.True(Math.Abs(sum - db32[oc]) <= 1e-4 * (1 + Math.Abs(sum)), $"bias gradient {oc}: {db32[oc]} vs {sum}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void OneAndTwoThreadsGiveTheSameBits(int[] s)
    {
        var g = Geometry(s);
        var rng = new Random(s.Sum() + 5);
        float[] x = Fill(rng, g.Batch * g.InChannels * g.InHeight * g.InWidth);
        float[] w = Fill(rng, g.OutChannels * g.InChannelsPerGroup * g.KernelHeight * g.KernelWidth);
        float[] dy = Fill(rng, g.Batch * g.OutChannels * g.OutHeight * g.OutWidth);
        (float[] y, float[] dx, float[] dw) Run(int threads)
        {
            int saved = Parallelism.Threads;
            Parallelism.Threads = threads;
            try
            {
                return AllThreePasses(g, x, w, dy);
            }
            finally
            {
                Parallelism.Threads = saved;
            }
        }
        var one = Run(1);
        var two = Run(2);
        Assert.Equal(one.y, two.y);
        Assert.Equal(one.dx, two.dx);
        Assert.Equal(one.dw, two.dw);
    }

    [Fact]
    public void WinogradStaysWithin1e4OfTheDirectMethodOnResNetLayersInAllThreePasses()
    {
        foreach (var s in new[] { new[] { 4, 64, 16, 16, 64, 3, 1, 1, 1, 1 }, new[] { 8, 128, 8, 8, 128, 3, 1, 1, 1, 1 }, new[] { 8, 256, 8, 8, 256, 3, 1, 1, 1, 1 }, new[] { 32, 512, 4, 4, 512, 3, 1, 1, 1, 1 } })
        {
            var g = Geometry(s);
            Assert.True(WinogradKernels.Applies(g));
            var rng = new Random(s.Sum());
            float[] x = Fill(rng, g.Batch * g.InChannels * g.InHeight * g.InWidth);
            float[] w = Fill(rng, g.OutChannels * g.InChannels * 9);
            float[] dy = Fill(rng, g.Batch * g.OutChannels * g.OutHeight * g.OutWidth);
            (float[] y, float[] dx, float[] dw) fast = AllThreePasses(g, x, w, dy);
            (float[] y, float[] dx, float[] dw) direct = AllThreePasses(g, x, w, dy, new ConvAlgorithms(Winograd: false));
            Assert.True(RelativeError(direct.y, fast.y) < 1e-4, $"forward {RelativeError(direct.y, fast.y)}");
            Assert.True(RelativeError(direct.dx, fast.dx) < 1e-4, $"input gradient {RelativeError(direct.dx, fast.dx)}");
            Assert.True(RelativeError(direct.dw, fast.dw) < 1e-4, $"weight gradient {RelativeError(direct.dw, fast.dw)}");
            Assert.NotEqual(direct.dw, fast.dw);
            Assert.NotEqual(direct.y, fast.y);
        }
    }

    [Fact]
    public void TheDirectKernelTakesSmallLayersAndFusesBiasResidualAndReluLikeTheComposition()
    {
        bool vector = System.Runtime.Intrinsics.X86.Fma.IsSupported && System.Runtime.Intrinsics.X86.Avx2.IsSupported;
        Assert.Equal(vector, DirectConvKernels.Applies(Geometry([64, 1, 28, 28, 6, 5, 1, 2, 1, 1])));
        Assert.Equal(vector, DirectConvKernels.Applies(Geometry([64, 6, 14, 14, 16, 5, 1, 0, 1, 1])));
        Assert.False(DirectConvKernels.Applies(Geometry([8, 32, 8, 8, 32, 3, 1, 1, 1, 1])));  // many channels: GEMM
        Assert.False(DirectConvKernels.Applies(Geometry([8, 3, 16, 16, 8, 3, 2, 1, 1, 1])));  // stride 2
        Assert.False(DirectConvKernels.Applies(Geometry([8, 3, 5, 3, 8, 3, 1, 0, 1, 1])));    // one output column
        foreach (var s in new[] { new[] { 4, 6, 14, 14, 16, 5, 1, 0, 1, 1 }, new[] { 3, 3, 9, 11, 13, 3, 1, 1, 1, 1 } })
        {
            var g = Geometry(s);
            var rng = new Random(s.Sum());
            float[] x = Fill(rng, g.Batch * g.InChannels * g.InHeight * g.InWidth);
            float[] w = Fill(rng, g.OutChannels * g.InChannels * g.KernelHeight * g.KernelWidth);
            float[] bias = Fill(rng, g.OutChannels);
            int n = g.Batch * g.OutChannels * g.OutHeight * g.OutWidth;
            float[] residual = Fill(rng, n);
            residual[7] = float.NaN;
            float[] plain = new float[n], fused = Poisoned(n), im2col = Poisoned(n);
            ConvKernels.Forward(g, x, w, bias, plain);
            ConvKernels.Forward(g, x, w, bias, residual, true, fused);
            ConvKernels.Forward(g, x, w, bias, residual, true, im2col, algorithms: NoDirect);
            for (int i = 0; i < n; i++)
            {
                float expected = Math.Max(plain[i] + residual[i], 0f);
                // The direct kernel adds the bias and the residual to the same sum the plain call finishes with.
                if (vector) Assert.Equal(expected, fused[i]);
                else Assert.True(Math.Abs(expected - fused[i]) <= 1e-5f * (1 + Math.Abs(expected)) || float.IsNaN(expected) && float.IsNaN(fused[i]), $"{i}: {fused[i]} vs {expected}");
                Assert.True(Math.Abs(expected - im2col[i]) <= 1e-5f * (1 + Math.Abs(expected)) || float.IsNaN(expected) && float.IsNaN(im2col[i]), $"{i}: {im2col[i]} vs {expected}");
            }
            Assert.True(float.IsNaN(fused[7]));
            Assert.Contains(0f, fused);
        }
    }

    [Fact]
    public void WinogradFusesBiasResidualAndReluLikeTheComposition()
    {
        // A wide map (17 tiles a row: two full vectors interleaved in registers and a one-tile tail) and two small
        // ones that go through the gather transforms (4x4 maps, and 7x7 with partial tiles).
        foreach (var s in new[] { new[] { 2, 32, 36, 34, 32, 3, 1, 1, 1, 1 }, new[] { 40, 32, 4, 4, 40, 3, 1, 1, 1, 1 }, new[] { 21, 36, 7, 7, 32, 3, 1, 1, 1, 1 } })
        {
            var g = Geometry(s);
            Assert.True(WinogradKernels.Applies(g), string.Join(",", s));
            var (x, w, bias, residual) = Winograd3x3Operands(g, s.Sum());
            int n = residual.Length;
            residual[3] = float.NaN;
            float[] plain = new float[n], fused = Poisoned(n);
            ConvKernels.Forward(g, x, w, bias, plain);
            ConvKernels.Forward(g, x, w, bias, residual, true, fused);
            for (int i = 0; i < n; i++)
            {
                float expected = MathF.Max(plain[i] + residual[i], 0f);
                Assert.True(expected.Equals(fused[i]), $"{string.Join(",", s)} at {i}: {fused[i]} vs {expected}");
            }
            Assert.True(float.IsNaN(fused[3]));
            Assert.Contains(0f, fused);
        }
    }

    [Fact]
    public void WinogradIsKeptForMapsWhereItPays()
    {
        foreach (var s in ((IEnumerable<object[]>)Shapes).Select(row => (int[])row[0]).Where(s => s[1] >= 32 && s[5] == 3 && s[6] == 1 && s[4] >= 32 && s[3] > 4))
            Assert.True(WinogradKernels.Applies(Geometry(s)), string.Join(",", s));
        Assert.True(WinogradKernels.Applies(Geometry([16, 64, 32, 32, 64, 3, 1, 1, 1, 1])));
        Assert.True(WinogradKernels.Applies(Geometry([16, 256, 8, 8, 256, 3, 1, 1, 1, 1])));
        Assert.False(WinogradKernels.Applies(Geometry([8, 512, 4, 4, 512, 3, 1, 1, 1, 1])));
        Assert.True(WinogradKernels.Applies(Geometry([16, 512, 4, 4, 512, 3, 1, 1, 1, 1])));
        Assert.True(WinogradKernels.Applies(Geometry([64, 512, 4, 4, 512, 3, 1, 1, 1, 1])));
        Assert.True(WinogradKernels.Applies(Geometry([16, 512, 7, 7, 512, 3, 1, 1, 1, 1])));
        Assert.True(WinogradKernels.Applies(Geometry([1, 256, 14, 14, 256, 3, 1, 1, 1, 1])));
        Assert.False(WinogradKernels.Applies(Geometry([1, 512, 7, 7, 512, 3, 1, 1, 1, 1])));
        Assert.True(WinogradKernels.Applies(Geometry([1, 512, 7, 7, 512, 3, 1, 1, 1, 1]), weightsKept: true));
        Assert.False(WinogradKernels.Applies(Geometry([1, 512, 5, 5, 512, 3, 1, 1, 1, 1]), weightsKept: true));
        Assert.False(WinogradKernels.Applies(Geometry([2, 512, 7, 7, 512, 3, 1, 1, 1, 1])));
        Assert.True(WinogradKernels.Applies(Geometry([4, 256, 14, 14, 256, 3, 1, 1, 1, 1])));
        Assert.False(WinogradKernels.Applies(Geometry([16, 3, 32, 32, 64, 3, 1, 1, 1, 1])));
        Assert.False(WinogradKernels.Applies(Geometry([16, 64, 32, 32, 64, 3, 2, 1, 1, 1])));
        Assert.False(WinogradKernels.Applies(Geometry([16, 64, 32, 32, 64, 3, 1, 2, 2, 1])));
    }

    [Fact]
    public void KeptWinogradWeightsTakeSmallMapsAndStayWithin1e4OfIm2col()
    {
        // One 7x7 image (16 tiles) and an odd 9x7 map (20 tiles, partial ones): im2col without a cache, Winograd with one.
        foreach (var s in new[] { new[] { 1, 64, 7, 7, 96, 3, 1, 1, 1, 1 }, new[] { 1, 48, 9, 7, 40, 3, 1, 1, 1, 1 } })
        {
            var g = Geometry(s);
            Assert.False(WinogradKernels.Applies(g));
            Assert.True(WinogradKernels.Applies(g, weightsKept: true));
            var (x, w, bias, residual) = Winograd3x3Operands(g, s.Sum());
            int n = residual.Length;
            float[] im2col = Poisoned(n), first = Poisoned(n), second = Poisoned(n);
            ConvKernels.Forward(g, x, w, bias, residual, true, im2col);
            var cache = new Striate.Backends.ConvWeightCache();
            ConvKernels.Forward(g, x, w, bias, residual, true, first, cache);
            Assert.Equal(16L * g.OutChannels * g.InChannels * sizeof(float), cache.Bytes);
            ConvKernels.Forward(g, x, w, bias, residual, true, second, cache);
            Assert.Equal(first, second);
            Assert.NotEqual(im2col, first);
            Assert.True(RelativeError(im2col, first) < 1e-4, $"{RelativeError(im2col, first)}");
            Assert.Contains(0f, first);
        }
    }

    [Fact]
    public void Winograd4x4TakesWideMapsAndStaysWithin1e4OfTheDirectMethod()
    {
        Assert.True(WinogradKernels.Applies4x4(Geometry([1, 64, 56, 56, 64, 3, 1, 1, 1, 1]), weightsKept: true));
        Assert.False(WinogradKernels.Applies4x4(Geometry([1, 64, 56, 56, 64, 3, 1, 1, 1, 1])));   // 196 tiles: not without the kept transform
        Assert.True(WinogradKernels.Applies4x4(Geometry([8, 64, 32, 32, 64, 3, 1, 1, 1, 1])));    // 512 tiles
        Assert.False(WinogradKernels.Applies4x4(Geometry([64, 256, 14, 14, 256, 3, 1, 1, 1, 1]), weightsKept: true));  // 14x14: F(2x2, 3x3)
        Assert.False(WinogradKernels.Applies4x4(Geometry([64, 16, 32, 32, 64, 3, 1, 1, 1, 1])));  // few channels
        Assert.False(WinogradKernels.Applies4x4(Geometry([64, 64, 64, 64, 64, 3, 2, 1, 1, 1])));  // stride 2
        Assert.False(WinogradKernels.Applies4x4(Geometry([64, 64, 64, 64, 64, 3, 1, 2, 2, 1])));  // dilation 2
        // ResNet-18's wide layers at batch 1 with the transform kept (as a session runs them) and CIFAR's at batch 8
        // without; bias, residual and ReLU fused. F(2x2, 3x3) for comparison: a few times closer, also far below 1e-4.
        foreach (var (s, kept) in new[] { (new[] { 1, 64, 56, 56, 64, 3, 1, 1, 1, 1 }, true), (new[] { 1, 128, 28, 28, 128, 3, 1, 1, 1, 1 }, true), (new[] { 8, 64, 32, 32, 64, 3, 1, 1, 1, 1 }, false) })
        {
            var g = Geometry(s);
            var (x, w, bias, residual) = Winograd3x3Operands(g, s.Sum());
            int n = residual.Length;
            float[] direct = Poisoned(n), f4 = Poisoned(n), f2 = Poisoned(n), again = Poisoned(n);
            ConvKernels.Forward(g, x, w, bias, residual, true, direct, algorithms: new ConvAlgorithms(Winograd: false));
            var cache = kept ? new Striate.Backends.ConvWeightCache() : null;
            ConvKernels.Forward(g, x, w, bias, residual, true, f4, cache);
            ConvKernels.Forward(g, x, w, bias, residual, true, again, cache);
            if (kept) Assert.Equal(36L * g.OutChannels * g.InChannels * sizeof(float), cache!.Bytes);
            WinogradKernels.Forward(g, x, w, bias, residual, true, f2, kept ? new Striate.Backends.ConvWeightCache() : null);
            Assert.Equal(f4, again);
            Assert.NotEqual(f2, f4);
            double e4 = RelativeError(direct, f4), e2 = RelativeError(direct, f2);
            Assert.True(e4 < 1e-4, $"{string.Join(",", s)}: F(4x4, 3x3) {e4}");
            Assert.True(e2 < e4, $"{string.Join(",", s)}: F(2x2, 3x3) {e2}, F(4x4, 3x3) {e4}");
            Assert.Contains(0f, f4);
        }
    }

    [Fact]
    public void Winograd4x4FusesBiasResidualAndReluLikeTheComposition()
    {
        // Whole vectors of tiles and a partial last one (62 columns: 16 tiles, the last two columns wide).
        var g = Geometry([1, 40, 30, 62, 48, 3, 1, 1, 1, 1]);
        var (x, w, bias, residual) = Winograd3x3Operands(g, 7);
        int n = residual.Length;
        residual[5] = float.NaN;
        residual[n - 1] = float.NaN;
        var cache = new Striate.Backends.ConvWeightCache();
        float[] plain = new float[n], fused = Poisoned(n);
        WinogradKernels.Forward4x4(g, x, w, bias, default, false, plain, cache);
        WinogradKernels.Forward4x4(g, x, w, bias, residual, true, fused, cache);
        for (int i = 0; i < n; i++)
        {
            float expected = MathF.Max(plain[i] + residual[i], 0f);
            Assert.True(expected.Equals(fused[i]), $"at {i}: {fused[i]} vs {expected}");
        }
        Assert.True(float.IsNaN(fused[5]) && float.IsNaN(fused[n - 1]));
        Assert.Contains(0f, fused);
    }

    // Random input, 3x3 weights, bias and residual for g, from one seed.
    private static (float[] X, float[] W, float[] Bias, float[] Residual) Winograd3x3Operands(Conv2dGeometry g, int seed)
    {
        var rng = new Random(seed);
        float[] x = Fill(rng, g.Batch * g.InChannels * g.InHeight * g.InWidth);
        float[] w = Fill(rng, g.OutChannels * g.InChannels * 9);
        float[] bias = Fill(rng, g.OutChannels);
        return (x, w, bias, Fill(rng, g.Batch * g.OutChannels * g.OutHeight * g.OutWidth));
    }

    // max |a - b| / max |a|
    // Forward (no bias), input gradient and weight gradient with whatever switches are set.
    private static readonly ConvAlgorithms NoDirect = new(Direct: false);

    private static (float[] Y, float[] Dx, float[] Dw) AllThreePasses(Conv2dGeometry g, float[] x, float[] w, float[] dy, ConvAlgorithms? algorithms = null)
    {
        float[] y = new float[dy.Length], dx = new float[x.Length], dw = new float[w.Length];
        ConvKernels.Forward(g, x, w, default, default, false, y, algorithms: algorithms);
        ConvKernels.BackwardData(g, dy, w, dx, algorithms);
        ConvKernels.BackwardWeight(g, x, dy, dw, default, algorithms);
        return (y, dx, dw);
    }

    private static double RelativeError(float[] a, float[] b) =>
        a.Zip(b, (p, q) => Math.Abs((double)p - q)).Max() / a.Max(v => Math.Abs((double)v));

    [Fact]
    public void FewBlocksAreEvenedOutOverTheThreads()
    {
        Assert.Equal(4, ConvKernels.BalancedImages(16, 6, 2));   // 3 blocks -> 4 blocks of 4
        Assert.Equal(8, ConvKernels.BalancedImages(16, 16, 2));  // 1 block -> 2
        Assert.Equal(6, ConvKernels.BalancedImages(16, 6, 1));   // one thread: unchanged
        Assert.Equal(8, ConvKernels.BalancedImages(16, 8, 2));   // already even
        Assert.Equal(1, ConvKernels.BalancedImages(1, 1, 2));    // one image
        Assert.Equal(1, ConvKernels.BalancedImages(64, 1, 2));   // many blocks
        Assert.Equal(3, ConvKernels.BalancedImages(9, 5, 4));    // 2 blocks over 4 threads -> 3 blocks of 3
    }

    [Fact]
    public void SmallMapsAreBatchedAndLargeMapsAreNot()
    {
        Assert.Equal(1, ConvKernels.ImagesPerBlock(Geometry([16, 64, 32, 32, 64, 3, 1, 1, 1, 1])));
        Assert.Equal(16, ConvKernels.ImagesPerBlock(Geometry([16, 512, 4, 4, 512, 3, 1, 1, 1, 1])));
        Assert.Equal(4, ConvKernels.ImagesPerBlock(Geometry([64, 256, 8, 8, 256, 3, 1, 1, 1, 1])));
        Assert.Equal(3, ConvKernels.ImagesPerBlock(Geometry([3, 512, 4, 4, 512, 3, 1, 1, 1, 1])));
        Assert.Equal(1, ConvKernels.ImagesPerBlock(Geometry([1, 512, 4, 4, 512, 3, 1, 1, 1, 1])));
    }

    private static Conv2dGeometry Geometry(int[] s) =>
        new(s[0], s[1], s[2], s[3], s[4], s[5], s[5], s[6], s[6], s[7], s[7], s[7], s[7], s[8], s[8], s[9]);

    private static (double[] Y, double[] Dx, double[] Dw) Reference(Conv2dGeometry g, float[] x, float[] w, float[] bias, float[] dy)
    {
        int oh = g.OutHeight, ow = g.OutWidth, cpg = g.InChannelsPerGroup, ocg = g.OutChannelsPerGroup, k = g.KernelHeight;
        var y = new double[dy.Length];
        var dx = new double[x.Length];
        var dw = new double[w.Length];
        for (int n = 0; n < g.Batch; n++)
            for (int oc = 0; oc < g.OutChannels; oc++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        int yi = ((n * g.OutChannels + oc) * oh + i) * ow + j;
                        double acc = bias[oc];
                        for (int c = 0; c < cpg; c++)
                            for (int ki = 0; ki < k; ki++)
                                for (int kj = 0; kj < k; kj++)
                                {
                                    int r = i * g.StrideH - g.PadTop + ki * g.DilationH, q = j * g.StrideW - g.PadLeft + kj * g.DilationW;
                                    if (r < 0 || r >= g.InHeight || q < 0 || q >= g.InWidth) continue;
                                    int xi = ((n * g.InChannels + oc / ocg * cpg + c) * g.InHeight + r) * g.InWidth + q;
                                    int wi = ((oc * cpg + c) * k + ki) * k + kj;
                                    acc += (double)x[xi] * w[wi];
                                    dx[xi] += (double)dy[yi] * w[wi];
                                    dw[wi] += (double)dy[yi] * x[xi];
                                }
                        y[yi] = acc;
                    }
        return (y, dx, dw);
    }

    private static void AssertClose(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 1 + expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * scale, $"{what}[{i}]: {actual[i]} vs {expected[i]}");
    }

    private static float[] Poisoned(int n)
    {
        var a = new float[n];
        Array.Fill(a, float.NaN);
        return a;
    }

    private static float[] Fill(Random rng, int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }
}
