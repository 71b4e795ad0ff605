namespace Striate.Data.Transforms;

/// <summary>
/// Blurs with a Gaussian kernel of <see cref="KernelSize"/> taps (odd) whose sigma is drawn uniformly from
/// [<see cref="SigmaMin"/>, <see cref="SigmaMax"/>] per image, as torchvision's GaussianBlur: the kernel is
/// exp(-x^2 / (2 sigma^2)) at x = -(k-1)/2 .. (k-1)/2, divided by its sum, applied along rows then columns
/// over an image padded by reflection (without repeating the edge pixel). A constant image stays constant.
/// </summary>
public sealed class GaussianBlur : ImageTransform
{
    /// <exception cref="ArgumentException">The kernel size is not odd and positive, or a sigma is not positive, or min &gt; max.</exception>
    public GaussianBlur(int kernelSize, double sigmaMin = 0.1, double sigmaMax = 2.0)
    {
        if (kernelSize < 1 || kernelSize % 2 == 0)
            throw new ArgumentOutOfRangeException(nameof(kernelSize), $"GaussianBlur: kernel size must be odd and positive, got {kernelSize}.");
        if (!(sigmaMin > 0))
            throw new ArgumentOutOfRangeException(nameof(sigmaMin), $"GaussianBlur: sigma must be > 0, got ({sigmaMin}, {sigmaMax}).");
        CheckRange(nameof(GaussianBlur), "sigma", sigmaMin, sigmaMax, 0, double.MaxValue);
        KernelSize = kernelSize;
        SigmaMin = sigmaMin;
        SigmaMax = sigmaMax;
    }

    public int KernelSize { get; }
    public double SigmaMin { get; }
    public double SigmaMax { get; }

    /// <summary>Reflection padding needs the half-width below each side of the image.</summary>
    public override (int Channels, int Height, int Width) OutputShape(int channels, int height, int width) =>
        KernelSize / 2 < Math.Min(height, width) ? (channels, height, width)
            : throw new ArgumentException($"GaussianBlur: kernel size {KernelSize} needs images larger than {KernelSize / 2} pixels on each side, got {height}x{width}.");

    /// <summary>The normalised 1-D kernel for <paramref name="sigma"/>.</summary>
    public float[] Kernel(double sigma)
    {
        var k = new float[KernelSize];
        FillKernel(sigma, k);
        return k;
    }

    private void FillKernel(double sigma, Span<float> k)
    {
        float half = (KernelSize - 1) * 0.5f, sum = 0;
        for (int i = 0; i < KernelSize; i++)
        {
            float x = -half + i;
            k[i] = MathF.Exp(-0.5f * (x / (float)sigma) * (x / (float)sigma));
            sum += k[i];
        }
        for (int i = 0; i < KernelSize; i++) k[i] /= sum;
    }

    /// <summary>The sigma that <paramref name="sampleSeed"/> blurs with.</summary>
    public double Sigma(ulong sampleSeed) => Uniform(sampleSeed, 0, SigmaMin, SigmaMax);

    public override void Apply(ReadOnlySpan<float> src, Span<float> dst, int channels, int height, int width, ulong sampleSeed)
    {
        OutputShape(channels, height, width);
        Span<float> k = KernelSize <= 255 ? stackalloc float[KernelSize] : new float[KernelSize];
        FillKernel(Sigma(sampleSeed), k);
        int r = KernelSize / 2, plane = height * width;
        float[] rented = System.Buffers.ArrayPool<float>.Shared.Rent(plane);
        var tmp = rented.AsSpan(0, plane);
        // Reflect without repeating the edge: index -1 -> 1, n -> n - 2 (PyTorch's pad mode "reflect").
        static int Reflect(int i, int n) => i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
        for (int c = 0; c < channels; c++)
        {
            var s = src.Slice(c * plane, plane);
            var d = dst.Slice(c * plane, plane);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    float acc = 0;
                    for (int j = 0; j < KernelSize; j++) acc += k[j] * s[y * width + Reflect(x + j - r, width)];
                    tmp[y * width + x] = acc;
                }
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    float acc = 0;
                    for (int j = 0; j < KernelSize; j++) acc += k[j] * tmp[Reflect(y + j - r, height) * width + x];
                    d[y * width + x] = acc;
                }
        }
        System.Buffers.ArrayPool<float>.Shared.Return(rented);
    }

    public override string ToString() => $"GaussianBlur(kernel_size={KernelSize}, sigma=({SigmaMin}, {SigmaMax}))";
}
