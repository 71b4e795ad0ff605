using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Striate.Threading;

namespace Striate.Backends.Cpu;

/// <summary>
/// Single-precision general matrix multiply on row-major storage.
/// </summary>
/// <remarks>
/// Large products run the classic packed, cache-blocked scheme: op(B) is packed in KC x NC blocks of NR-wide
/// column panels, op(A) in MC x KC blocks of MR-high row panels, and a register-blocked MR x NR micro-kernel
/// walks the packed panels. Tiny products, and those with fewer than 8 columns (where a register tile would be
/// mostly padding), run direct vectorised loops over the stored matrices instead. Threads take disjoint blocks of
/// C; the k reduction is always cut into the same KC blocks and summed in the same order, so the result does not
/// depend on the thread count.
/// </remarks>
public static partial class Gemm
{
    /// <summary>Below this many multiply-adds (about 16^3), packing costs more than it saves.</summary>
    private const long SmallProblem = 4096;

    /// <summary>Below this many multiply-adds (about 10 µs on one core), waking and joining a second thread costs more than it saves.</summary>
    private const long ParallelProblem = 1024 * 1024;

    /// <summary>The micro-kernel family this machine runs, chosen once from the supported instruction sets.</summary>
    internal static readonly KernelKind DefaultKernel =
        Avx512F.IsSupported ? KernelKind.Avx512 :
        Fma.IsSupported && Vector256.IsHardwareAccelerated ? KernelKind.Avx2 :
        Vector128.IsHardwareAccelerated ? KernelKind.Vector128 :
        KernelKind.Scalar;

    /// <summary>The instruction-set families the micro-kernels are written for.</summary>
    internal enum KernelKind
    {
        /// <summary>Plain scalar multiply and add; used where no fused vector multiply-add is available.</summary>
        Scalar,

        /// <summary>256-bit vectors with FMA3: a 6 x 16 micro-tile.</summary>
        Avx2,

        /// <summary>128-bit vectors (SSE or NEON), fused multiply-add where available: a 6 x 8 micro-tile.</summary>
        Vector128,

        /// <summary>512-bit vectors with AVX-512F: a 6 x 32 micro-tile.</summary>
        Avx512,
    }

    // C[m,n] = alpha * sum_k op(A)[m,k] * op(B)[k,n] + beta * C[m,n]; row-major; lda/ldb/ldc are row strides of the stored matrices.
    /// <summary>
    /// Computes <c>C = alpha * op(A) * op(B) + beta * C</c> on row-major matrices, where op(X) is X or its transpose.
    /// </summary>
    /// <param name="transA">When true, A is stored [k, m] and op(A) = A^T; otherwise A is stored [m, k].</param>
    /// <param name="transB">When true, B is stored [n, k] and op(B) = B^T; otherwise B is stored [k, n].</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A) and rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">The stored A.</param>
    /// <param name="lda">Row stride of the stored A; at least its column count.</param>
    /// <param name="b">The stored B.</param>
    /// <param name="ldb">Row stride of the stored B; at least its column count.</param>
    /// <param name="beta">Scale of the old C; when 0, C is overwritten without being read.</param>
    /// <param name="c">C, [m, n].</param>
    /// <param name="ldc">Row stride of C; at least n.</param>
    /// <exception cref="ArgumentException">A size or stride is negative or too small, or a span is too short.</exception>
    public static void Sgemm(
        bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc) =>
        Sgemm(DefaultKernel, Parallelism.Threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>
    /// <see cref="Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>
    /// with an explicit micro-kernel family and number of work partitions.
    /// </summary>
    internal static unsafe void Sgemm(
        KernelKind kernel, int threads,
        bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (kernel == KernelKind.Avx512 && !Avx512F.IsSupported ||
            kernel == KernelKind.Avx2 && !(Fma.IsSupported && Avx.IsSupported) ||
            kernel == KernelKind.Vector128 && !Vector128.IsHardwareAccelerated)
        {
            throw new PlatformNotSupportedException($"The {kernel} GEMM kernel needs instructions this processor lacks.");
        }

        CheckMatrix(a, transA ? k : m, transA ? m : k, lda, nameof(a), nameof(lda));
        CheckMatrix(b, transB ? n : k, transB ? k : n, ldb, nameof(b), nameof(ldb));
        CheckMatrix(c, m, n, ldc, nameof(c), nameof(ldc));

        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0 || alpha == 0f)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            var op = new Operands(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            long work = (long)m * n * k;
            int partitions = work < ParallelProblem ? 1 : threads;
            if (work < SmallProblem || (n < 8 && kernel != KernelKind.Scalar))
            {
                Direct(kernel, in op, partitions);
                return;
            }

            switch (kernel)
            {
                case KernelKind.Avx512:
                    Blocked<Avx512Kernel>(in op, partitions);
                    break;
                case KernelKind.Avx2:
                    Blocked<Avx2Kernel>(in op, partitions);
                    break;
                case KernelKind.Vector128:
                    Blocked<Vector128Kernel>(in op, partitions);
                    break;
                default:
                    Blocked<ScalarKernel>(in op, partitions);
                    break;
            }
        }
    }

    private static void CheckMatrix(ReadOnlySpan<float> span, int rows, int cols, int ld, string name, string ldName)
    {
        if (ld < Math.Max(1, cols))
        {
            throw new ArgumentOutOfRangeException(
                ldName, ld, $"The row stride must be at least {Math.Max(1, cols)} for a matrix with {cols} columns.");
        }

        long required = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (span.Length < required)
        {
            throw new ArgumentException(
                $"A {rows} x {cols} matrix with row stride {ld} needs at least {required} elements, but '{name}' has {span.Length}.",
                name);
        }
    }

    // C: [m, ldc]. C = beta * C, or zeros when beta is 0 (so NaNs in the old C do not survive).
    private static void ScaleC(int m, int n, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            Span<float> row = c.Slice(i * ldc, n);
            if (beta == 0f)
            {
                row.Clear();
            }
            else if (beta != 1f)
            {
                for (int j = 0; j < row.Length; j++)
                {
                    row[j] *= beta;
                }
            }
        }
    }

    /// <summary>The arguments of one call, pinned.</summary>
    private readonly unsafe struct Operands(
        bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        public readonly bool TransA = transA;
        public readonly bool TransB = transB;
        public readonly int M = m;
        public readonly int N = n;
        public readonly int K = k;
        public readonly float Alpha = alpha;
        public readonly float* A = a;
        public readonly nint Lda = lda;
        public readonly float* B = b;
        public readonly nint Ldb = ldb;
        public readonly float Beta = beta;
        public readonly float* C = c;
        public readonly nint Ldc = ldc;
    }
}
