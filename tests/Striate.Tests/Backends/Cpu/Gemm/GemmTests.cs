using Striate.Backends.Cpu;
using Striate.Threading;

namespace Striate.Tests.Backends.Cpu;

public class GemmTests
{
    private static readonly int[] Sizes = [1, 2, 3, 5, 7, 8, 13, 16, 17, 31, 32, 33, 47, 64, 65, 100, 129];

    public static TheoryData<bool, bool> Transposes => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    /// <summary>The micro-kernel families this processor can run (as ints: the enum is internal).</summary>
    public static TheoryData<int> Kernels => new(SupportedKernels.Select(kernel => (int)kernel));

    private static IEnumerable<Gemm.KernelKind> SupportedKernels
    {
        get
        {
            yield return Gemm.KernelKind.Scalar;
            if (System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated)
            {
                yield return Gemm.KernelKind.Vector128;
            }

            if (System.Runtime.Intrinsics.X86.Fma.IsSupported)
            {
                yield return Gemm.KernelKind.Avx2;
            }

            if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
            {
                yield return Gemm.KernelKind.Avx512;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Transposes))]
    public void MatchesReferenceOverSizeCube(bool transA, bool transB)
    {
        var rng = new Random(HashCode.Combine(transA, transB));
        foreach (int m in Sizes)
        {
            foreach (int n in Sizes)
            {
                foreach (int k in Sizes)
                {
                    Check(rng, Gemm.DefaultKernel, 2, transA, transB, m, n, k, 1f, 0f, pad: 0);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void EveryKernelMatchesReferenceOnOneToForty(int kernelIndex)
    {
        var kernel = (Gemm.KernelKind)kernelIndex;
        var rng = new Random(kernelIndex);
        for (int s = 1; s <= 40; s++)
        {
            foreach ((bool ta, bool tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
            {
                // Each size in turn along m, n and k, against partners small enough for the direct path and
                // large enough for the packed one.
                Check(rng, kernel, 2, ta, tb, s, 9, 11, 1f, 0f, pad: 1);
                Check(rng, kernel, 2, ta, tb, 11, s, 9, 1f, 0f, pad: 1);
                Check(rng, kernel, 2, ta, tb, 9, 11, s, 1f, 0f, pad: 1);
                Check(rng, kernel, 2, ta, tb, s, 70, 41, 1f, 0f, pad: 3);
                Check(rng, kernel, 2, ta, tb, 41, s, 70, 1f, 0f, pad: 3);
                Check(rng, kernel, 2, ta, tb, 70, 41, s, 1f, 0f, pad: 3);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void AlphaBetaVariants(int kernelIndex)
    {
        var kernel = (Gemm.KernelKind)kernelIndex;
        var rng = new Random(7);
        (float Alpha, float Beta)[] scales = [(1f, 0f), (0.5f, 0f), (1f, 1f), (-1.5f, 0.25f), (2f, -1f)];
        foreach ((float alpha, float beta) in scales)
        {
            foreach ((bool ta, bool tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
            {
                Check(rng, kernel, 2, ta, tb, 5, 7, 3, alpha, beta, pad: 2);
                Check(rng, kernel, 2, ta, tb, 37, 45, 70, alpha, beta, pad: 5);
                Check(rng, kernel, 2, ta, tb, 64, 100, 300, alpha, beta, pad: 0);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void LongRowsOfBArePackedAndMatchReference(int kernelIndex)
    {
        // A single A block (m <= MC) with B rows longer than the in-place limit: B is packed, ragged edges included.
        var kernel = (Gemm.KernelKind)kernelIndex;
        var rng = new Random(13);
        Check(rng, kernel, 2, false, false, 70, 1100, 50, 1f, 0f, pad: 0);
        Check(rng, kernel, 2, false, false, 13, 2051, 27, 0.5f, 1f, pad: 3);
        Check(rng, kernel, 1, false, false, 64, 1025, 9, 1f, 0f, pad: 0);
    }

    [Theory]
    [MemberData(nameof(Transposes))]
    public void LargeMatchesReference(bool transA, bool transB)
    {
        var rng = new Random(11);
        Check(rng, Gemm.DefaultKernel, 2, transA, transB, 300, 517, 263, 1f, 0f, pad: 3);
        Check(rng, Gemm.DefaultKernel, 2, transA, transB, 517, 300, 611, 0.75f, 0.5f, pad: 0);

        // Fewer than 8 columns take the direct path, split over rows when large enough.
        Check(rng, Gemm.DefaultKernel, 2, transA, transB, 700, 5, 419, 1f, 0f, pad: 1);
        Check(rng, Gemm.DefaultKernel, 2, transA, transB, 333, 1, 1000, -0.5f, 2f, pad: 2);
    }

    [Theory]
    [InlineData(300, 517, 263)]
    [InlineData(517, 300, 263)]
    [InlineData(64, 784, 576)]
    [InlineData(40, 100, 300)]
    [InlineData(250, 37, 1100)]
    [InlineData(2000, 5, 300)]
    [InlineData(3000, 1, 700)]
    public void ThreadCountDoesNotChangeBits(int m, int n, int k)
    {
        var rng = new Random(m + n + k);
        foreach ((bool ta, bool tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            float[] a = Fill(rng, m * k), b = Fill(rng, k * n), c0 = Fill(rng, m * n);
            int lda = ta ? m : k, ldb = tb ? k : n;
            float[] one = (float[])c0.Clone(), two = (float[])c0.Clone();
            int saved = Parallelism.Threads;
            try
            {
                Parallelism.Threads = 1;
                Gemm.Sgemm(ta, tb, m, n, k, 1.25f, a, lda, b, ldb, 0.5f, one, n);
                Parallelism.Threads = 2;
                Gemm.Sgemm(ta, tb, m, n, k, 1.25f, a, lda, b, ldb, 0.5f, two, n);
            }
            finally
            {
                Parallelism.Threads = saved;
            }

            Assert.Equal(one, two);

            // Other partition counts must agree as well, whatever the processor count.
            foreach (Gemm.KernelKind kernel in SupportedKernels)
            {
                float[] reference = (float[])c0.Clone();
                Gemm.Sgemm(kernel, 1, ta, tb, m, n, k, 1.25f, a, lda, b, ldb, 0.5f, reference, n);
                foreach (int partitions in new[] { 2, 3, 5 })
                {
                    float[] split = (float[])c0.Clone();
                    Gemm.Sgemm(kernel, partitions, ta, tb, m, n, k, 1.25f, a, lda, b, ldb, 0.5f, split, n);
                    Assert.Equal(reference, split);
                }
            }
        }
    }

    [Fact]
    public void ALastPanelOf17To20ColumnsGivesTheBitsOfTheFullTile()
    {
        // The same rows of B, with 0 to 3 columns after them or 12 more: the columns past 32 go through the 16 + 4 tail
        // or the full 32-column tile. Every element sees the same FMAs in the same order either way. m = 40 takes
        // the packed path (6-row panels and a partial one); k = 300 spans two k blocks, so beta = 1 is used in between.
        var rng = new Random(21);
        const int m = 40, k = 300, wide = 64;
        float[] a = Enumerable.Range(0, m * k).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        float[] b = Enumerable.Range(0, k * wide).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        float[] start = Enumerable.Range(0, m * wide).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        foreach (var (alpha, beta) in new[] { (1f, 0f), (0.75f, 0.5f) })
        {
            float[] full = (float[])start.Clone();
            Gemm.Sgemm(Gemm.DefaultKernel, 1, false, false, m, wide, k, alpha, a, k, b, wide, beta, full, wide);
            foreach (int n in new[] { 49, 50, 51, 52 })
            {
                float[] bn = new float[k * n], cn = new float[m * n];
                for (int p = 0; p < k; p++) Array.Copy(b, p * wide, bn, p * n, n);
                for (int i = 0; i < m; i++) Array.Copy(start, i * wide, cn, i * n, n);
                Gemm.Sgemm(Gemm.DefaultKernel, 1, false, false, m, n, k, alpha, a, k, bn, n, beta, cn, n);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                        Assert.True(full[i * wide + j].Equals(cn[i * n + j]), $"n {n}, beta {beta}, C[{i}, {j}]: {cn[i * n + j]} vs {full[i * wide + j]}");
            }
        }
    }

    [Fact]
    public void ZeroAlphaOrEmptyKScalesC()
    {
        float[] a = [float.NaN, 1f, 2f, 3f], b = [4f, 5f, float.NaN, 7f];
        float[] c = [1f, 2f, 3f, 4f];
        Gemm.Sgemm(false, false, 2, 2, 2, 0f, a, 2, b, 2, 2f, c, 2);
        Assert.Equal([2f, 4f, 6f, 8f], c);

        float[] garbage = [float.NaN, float.NaN, float.NaN, float.NaN];
        Gemm.Sgemm(false, false, 2, 2, 0, 1f, [], 1, [], 2, 0f, garbage, 2);
        Assert.Equal([0f, 0f, 0f, 0f], garbage);

        Gemm.Sgemm(false, false, 0, 0, 5, 1f, [], 5, [], 1, 0f, [], 1);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        float[] a = new float[6], b = new float[6], c = new float[4];
        Assert.Equal("a", Assert.Throws<ArgumentException>(
            () => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a.AsSpan(0, 5), 3, b, 2, 0f, c, 2)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(
            () => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, b.AsSpan(0, 5), 2, 0f, c, 2)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(
            () => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c.AsSpan(0, 3), 2)).ParamName);
        Assert.Equal("lda", Assert.Throws<ArgumentOutOfRangeException>(
            () => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 2, b, 2, 0f, c, 2)).ParamName);
        Assert.Equal("ldb", Assert.Throws<ArgumentOutOfRangeException>(
            () => Gemm.Sgemm(false, true, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2)).ParamName);
        Assert.Equal("ldc", Assert.Throws<ArgumentOutOfRangeException>(
            () => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 1)).ParamName);
        Assert.Equal("m", Assert.Throws<ArgumentOutOfRangeException>(
            () => Gemm.Sgemm(false, false, -1, 2, 3, 1f, a, 3, b, 2, 0f, c, 2)).ParamName);

        // The message names what was expected and what was given: A^T stored [3, 2] needs 6 elements, got 5.
        string message = Assert.Throws<ArgumentException>(
            () => Gemm.Sgemm(true, false, 2, 2, 3, 1f, a.AsSpan(0, 5), 2, b, 2, 0f, c, 2)).Message;
        Assert.Contains("at least 6", message);
        Assert.Contains("has 5", message);
    }

    /// <summary>Runs one product with row strides <c>width + pad</c> and compares it to a float64 reference.</summary>
    private static void Check(
        Random rng, Gemm.KernelKind kernel, int threads, bool transA, bool transB,
        int m, int n, int k, float alpha, float beta, int pad)
    {
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        float[] a = Fill(rng, aRows * lda), b = Fill(rng, bRows * ldb), c = Fill(rng, m * ldc);
        if (beta == 0f)
        {
            // beta == 0 must not read C: garbage there may not leak into the result.
            Array.Fill(c, float.NaN);
        }

        float[] before = (float[])c.Clone();
        Gemm.Sgemm(kernel, threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < ldc; j++)
            {
                if (j >= n)
                {
                    // The stride padding of C is not part of the matrix and must be left alone.
                    Assert.Equal(BitConverter.SingleToInt32Bits(before[i * ldc + j]), BitConverter.SingleToInt32Bits(c[i * ldc + j]));
                    continue;
                }

                double sum = 0, magnitude = 0;
                for (int p = 0; p < k; p++)
                {
                    double x = transA ? a[p * lda + i] : a[i * lda + p];
                    double y = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += x * y;
                    magnitude += Math.Abs(x * y);
                }

                double old = beta == 0f ? 0 : before[i * ldc + j];
                double expected = alpha * sum + beta * old;
                double scale = Math.Abs(alpha) * magnitude + Math.Abs(beta * old);
                double tolerance = 1e-5 * Math.Sqrt(k) * scale + 1e-30;
                double actual = c[i * ldc + j];
                if (!(Math.Abs(actual - expected) <= tolerance))
                {
                    Assert.Fail(
                        $"{kernel} transA={transA} transB={transB} m={m} n={n} k={k} alpha={alpha} beta={beta} pad={pad}: " +
                        $"C[{i},{j}] = {actual}, expected {expected} within {tolerance}.");
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
