using Striate.Backends.Cpu;
using Striate.Ops;
using Striate.Tensors;

namespace Striate.Tests.Backends.Cpu;

/// <summary>
/// tanh is odd bit for bit, exact at zero and correctly rounded from float64 (checked against Math.Tanh rounded to
/// float32) on every vector width: scripts/test runs these again with 256-bit, 128-bit and scalar paths.
/// </summary>
public class TanhKernelTests
{
    private static float Want(float x) => (float)Math.Tanh(x);

    private static float[] Apply(float[] x)
    {
        var y = new float[x.Length];
        TanhKernel.Forward(x, y);
        return y;
    }

    // Every power of two from the smallest subnormal up, each with its neighbours, and values around the 2^-12 switch,
    // around 1 and up to saturation (tanh rounds to 1 from about 9.01).
    private static float[] Probes()
    {
        var v = new List<float> { 0f, float.Epsilon, 1e-30f, 1f / 4096, BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(1f / 4096) - 1),
            0.5f, 0.549306f, 1f, 2f, 8.9f, 9.01f, 9.02f, 15f, 20f, 88f, float.MaxValue, float.PositiveInfinity };
        for (int e = -149; e <= 127; e++)
        {
            float p = MathF.ScaleB(1f, e);
            int bits = BitConverter.SingleToInt32Bits(p);
            v.Add(p);
            v.Add(BitConverter.Int32BitsToSingle(bits + 1));
            if (bits > 0) v.Add(BitConverter.Int32BitsToSingle(bits - 1));
        }
        var gen = new Generator(17);
        v.AddRange(Tensor.Uniform(gen, 0f, 10f, 4093).ToArray());
        v.AddRange(Tensor.Uniform(gen, 0f, 0.01f, 1021).ToArray());
        return v.ToArray();
    }

    [Fact]
    public void IsFloat32sRoundingOfFloat64Tanh()
    {
        float[] x = Probes();
        float[] y = Apply(x);
        for (int i = 0; i < x.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(y[i]) == BitConverter.SingleToInt32Bits(Want(x[i])),
                $"tanh({x[i]:R}) = {y[i]:R}, float64 tanh rounds to {Want(x[i]):R}.");
    }

    [Fact]
    public void IsOddBitForBit()
    {
        float[] x = Probes();
        float[] neg = Array.ConvertAll(x, v => -v);
        float[] y = Apply(x), yn = Apply(neg);
        for (int i = 0; i < x.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(yn[i]) == BitConverter.SingleToInt32Bits(-y[i]),
                $"tanh(-{x[i]:R}) = {yn[i]:R}, -tanh({x[i]:R}) = {-y[i]:R}.");
    }

    [Fact]
    public void KeepsTheSignOfZeroAndHandlesInfinitiesAndNaN()
    {
        float[] y = Apply([0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e-40f, -1e-40f]);
        Assert.Equal(0, BitConverter.SingleToInt32Bits(y[0]));
        Assert.Equal(int.MinValue, BitConverter.SingleToInt32Bits(y[1])); // -0
        Assert.Equal(1f, y[2]);
        Assert.Equal(-1f, y[3]);
        Assert.True(float.IsNaN(y[4]));
        Assert.Equal(1e-40f, y[5]);
        Assert.Equal(-1e-40f, y[6]);
    }

    [Fact]
    public void EveryLengthUpTo67MatchesTheScalarPath()
    {
        // Lengths 0..67 cover each vector width's full blocks and every tail length.
        var gen = new Generator(3);
        float[] all = Tensor.Uniform(gen, -5f, 5f, 67).ToArray();
        for (int n = 0; n <= all.Length; n++)
        {
            float[] x = all[..n];
            float[] y = Apply(x);
            for (int i = 0; i < n; i++)
                Assert.True(BitConverter.SingleToInt32Bits(y[i]) == BitConverter.SingleToInt32Bits(TanhKernel.Scalar(x[i])),
                    $"length {n}, index {i}: {y[i]:R} against the scalar path's {TanhKernel.Scalar(x[i]):R}.");
        }
    }

    [Fact]
    public void TheOpUsesIt()
    {
        var y = F.Tanh(Tensor.FromArray([0f, -0f, 0.3f, -0.3f, 9.5f], 5)).ToArray();
        Assert.Equal(0, BitConverter.SingleToInt32Bits(y[0]));
        Assert.Equal(int.MinValue, BitConverter.SingleToInt32Bits(y[1]));
        Assert.Equal(-y[2], y[3]);
        Assert.Equal(Want(0.3f), y[2]);
        Assert.Equal(1f, y[4]);
    }

    [Fact]
    public void AShortDestinationIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => TanhKernel.Forward(new float[4], new float[3]));
        Assert.Contains("destination holds 3 values, the source 4", e.Message);
    }
}
