using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Striate.Backends.Cpu;

public static partial class Gemm
{
    // c: [rows, ldc], cols floats per row. The tile of C is read or written once, after all kc steps; asking for its
    // cache lines first hides the miss behind the multiply (2048^3 on one thread: 97 -> 106 GFLOP/s).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchTile(float* c, nint ldc, int rows, int cols)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < cols; j += 16)
            {
                Sse.Prefetch0(c + r * ldc + j);
            }
        }
    }

    /// <summary>
    /// AVX-512F: a 6 x 32 tile held in 12 zmm accumulators. Each k step loads two B vectors and broadcasts 6 A
    /// values into 12 independent FMAs, enough to cover the FMA latency on both FMA pipes. Blocking: a 256 x 32 B
    /// micro-panel (32 KiB) stays in a 48 KiB L1 across the A panels; a 144 x 256 A block (144 KiB) sits in L2;
    /// a 256 x 2048 B block (2 MiB) in L3.
    /// </summary>
    private readonly struct Avx512Kernel : IMicroKernel
    {
        public static int Mr => 6;

        public static int Nr => 32;

        public static int Mc => 144;

        public static int Kc => 256;

        public static int Nc => 2048;

        // a: [kc, 6] packed A; b: [kc, ldb], 32 columns used; c: [rows <= 6, ldc], cols <= 32 used. C = alpha * a^T b + beta * C.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static unsafe void Run<TA>(int kc, float* a, nint lda, float* b, nint ldb, float* c, nint ldc, float alpha, float beta, int rows, int cols)
            where TA : struct, IAPanel
        {
            if (cols <= 16)
            {
                RunHalf<TA>(kc, a, lda, b, ldb, c, ldc, alpha, beta, rows, cols);
                return;
            }

            if (cols <= 20)
            {
                RunHalfAndFour<TA>(kc, a, lda, b, ldb, c, ldc, alpha, beta, rows, cols);
                return;
            }

            // The tile of C is read (or written) once, after kc steps: asking for its lines now hides the miss.
            PrefetchTile(c, ldc, rows, 32);

            Vector512<float> c00 = default, c01 = default;
            Vector512<float> c10 = default, c11 = default;
            Vector512<float> c20 = default, c21 = default;
            Vector512<float> c30 = default, c31 = default;
            Vector512<float> c40 = default, c41 = default;
            Vector512<float> c50 = default, c51 = default;

            for (int p = 0; p < kc; p++)
            {
                Vector512<float> b0 = Vector512.Load(b);
                Vector512<float> b1 = Vector512.Load(b + 16);
                Vector512<float> a0 = Vector512.Create(a[TA.Row(0, lda)]);
                c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00);
                c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
                Vector512<float> a1 = Vector512.Create(a[TA.Row(1, lda)]);
                c10 = Avx512F.FusedMultiplyAdd(a1, b0, c10);
                c11 = Avx512F.FusedMultiplyAdd(a1, b1, c11);
                Vector512<float> a2 = Vector512.Create(a[TA.Row(2, lda)]);
                c20 = Avx512F.FusedMultiplyAdd(a2, b0, c20);
                c21 = Avx512F.FusedMultiplyAdd(a2, b1, c21);
                Vector512<float> a3 = Vector512.Create(a[TA.Row(3, lda)]);
                c30 = Avx512F.FusedMultiplyAdd(a3, b0, c30);
                c31 = Avx512F.FusedMultiplyAdd(a3, b1, c31);
                Vector512<float> a4 = Vector512.Create(a[TA.Row(4, lda)]);
                c40 = Avx512F.FusedMultiplyAdd(a4, b0, c40);
                c41 = Avx512F.FusedMultiplyAdd(a4, b1, c41);
                Vector512<float> a5 = Vector512.Create(a[TA.Row(5, lda)]);
                c50 = Avx512F.FusedMultiplyAdd(a5, b0, c50);
                c51 = Avx512F.FusedMultiplyAdd(a5, b1, c51);

                a += TA.Step(6);
                b += ldb;
            }

            Vector512<float> alphaV = Vector512.Create(alpha);
            if (rows == 6 && cols == 32)
            {
                if (beta == 0f)
                {
                    (c00 * alphaV).Store(c);
                    (c01 * alphaV).Store(c + 16);
                    c += ldc;
                    (c10 * alphaV).Store(c);
                    (c11 * alphaV).Store(c + 16);
                    c += ldc;
                    (c20 * alphaV).Store(c);
                    (c21 * alphaV).Store(c + 16);
                    c += ldc;
                    (c30 * alphaV).Store(c);
                    (c31 * alphaV).Store(c + 16);
                    c += ldc;
                    (c40 * alphaV).Store(c);
                    (c41 * alphaV).Store(c + 16);
                    c += ldc;
                    (c50 * alphaV).Store(c);
                    (c51 * alphaV).Store(c + 16);
                }
                else
                {
                    Vector512<float> betaV = Vector512.Create(beta);
                    Avx512F.FusedMultiplyAdd(c00, alphaV, Vector512.Load(c) * betaV).Store(c);
                    Avx512F.FusedMultiplyAdd(c01, alphaV, Vector512.Load(c + 16) * betaV).Store(c + 16);
                    c += ldc;
                    Avx512F.FusedMultiplyAdd(c10, alphaV, Vector512.Load(c) * betaV).Store(c);
                    Avx512F.FusedMultiplyAdd(c11, alphaV, Vector512.Load(c + 16) * betaV).Store(c + 16);
                    c += ldc;
                    Avx512F.FusedMultiplyAdd(c20, alphaV, Vector512.Load(c) * betaV).Store(c);
                    Avx512F.FusedMultiplyAdd(c21, alphaV, Vector512.Load(c + 16) * betaV).Store(c + 16);
                    c += ldc;
                    Avx512F.FusedMultiplyAdd(c30, alphaV, Vector512.Load(c) * betaV).Store(c);
                    Avx512F.FusedMultiplyAdd(c31, alphaV, Vector512.Load(c + 16) * betaV).Store(c + 16);
                    c += ldc;
                    Avx512F.FusedMultiplyAdd(c40, alphaV, Vector512.Load(c) * betaV).Store(c);
                    Avx512F.FusedMultiplyAdd(c41, alphaV, Vector512.Load(c + 16) * betaV).Store(c + 16);
                    c += ldc;
                    Avx512F.FusedMultiplyAdd(c50, alphaV, Vector512.Load(c) * betaV).Store(c);
                    Avx512F.FusedMultiplyAdd(c51, alphaV, Vector512.Load(c + 16) * betaV).Store(c + 16);
                }

                return;
            }

            // An edge tile: the same arithmetic, with the stores (and loads of the old C) masked to the valid part.
            Vector512<float> mask0 = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(cols)).AsSingle();
            Vector512<float> mask1 = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(cols - 16)).AsSingle();
            StorePartial(c, c00, c01, mask0, mask1, alphaV, beta);
            if (rows == 1)
            {
                return;
            }

            c += ldc;
            StorePartial(c, c10, c11, mask0, mask1, alphaV, beta);
            if (rows == 2)
            {
                return;
            }

            c += ldc;
            StorePartial(c, c20, c21, mask0, mask1, alphaV, beta);
            if (rows == 3)
            {
                return;
            }

            c += ldc;
            StorePartial(c, c30, c31, mask0, mask1, alphaV, beta);
            if (rows == 4)
            {
                return;
            }

            c += ldc;
            StorePartial(c, c40, c41, mask0, mask1, alphaV, beta);
            if (rows == 5)
            {
                return;
            }

            c += ldc;
            StorePartial(c, c50, c51, mask0, mask1, alphaV, beta);
        }

        /// <summary>
        /// The left half of a tile, for a last panel of at most 16 columns: 6 accumulators instead of 12, one B vector per
        /// k step. Six independent FMA chains still cover the FMA latency here (one 512-bit FMA issues per cycle), so a
        /// 16-column product (Winograd's 16 tiles of a 7x7 map) runs near the full kernel's rate instead of half of it:
        /// 512 x 16 x 512 went from 55 to about 100 GFLOP/s on one thread.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static unsafe void RunHalf<TA>(int kc, float* a, nint lda, float* b, nint ldb, float* c, nint ldc, float alpha, float beta, int rows, int cols)
            where TA : struct, IAPanel
        {
            PrefetchTile(c, ldc, rows, 16);

            Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
            for (int p = 0; p < kc; p++)
            {
                Vector512<float> b0 = Vector512.Load(b);
                c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[TA.Row(0, lda)]), b0, c0);
                c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[TA.Row(1, lda)]), b0, c1);
                c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[TA.Row(2, lda)]), b0, c2);
                c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[TA.Row(3, lda)]), b0, c3);
                c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[TA.Row(4, lda)]), b0, c4);
                c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[TA.Row(5, lda)]), b0, c5);
                a += TA.Step(6);
                b += ldb;
            }

            Vector512<float> alphaV = Vector512.Create(alpha);
            Vector512<float> mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(cols)).AsSingle();
            StoreHalf(c, c0, mask, alphaV, beta);
            if (rows > 1) StoreHalf(c + ldc, c1, mask, alphaV, beta);
            if (rows > 2) StoreHalf(c + 2 * ldc, c2, mask, alphaV, beta);
            if (rows > 3) StoreHalf(c + 3 * ldc, c3, mask, alphaV, beta);
            if (rows > 4) StoreHalf(c + 4 * ldc, c4, mask, alphaV, beta);
            if (rows > 5) StoreHalf(c + 5 * ldc, c5, mask, alphaV, beta);
        }

        /// <summary>
        /// A last panel of 17 to 20 columns (49-column products: Winograd's 49 tiles of a 14x14 map, im2col of a 7x7
        /// map): the half kernel's 6 accumulators plus 6 of 128 bits for columns 16 to 19, instead of the full tile's 12.
        /// On a core that issues one 512-bit or two 128-bit FMAs per cycle, that is 9 cycles per k step instead of 12;
        /// measured on one thread, 512 x 49 x 2304 went from 84 to 90 GFLOP/s and 256 x 49 x 256 from 85 to 91.
        /// Each column's lane sees the same FMAs in the same order as in the full tile, so the bits do not change.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static unsafe void RunHalfAndFour<TA>(int kc, float* a, nint lda, float* b, nint ldb, float* c, nint ldc, float alpha, float beta, int rows, int cols)
            where TA : struct, IAPanel
        {
            PrefetchTile(c, ldc, rows, 32);

            Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
            Vector128<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default;
            for (int p = 0; p < kc; p++)
            {
                Vector512<float> b0 = Vector512.Load(b);
                Vector128<float> b1 = Vector128.Load(b + 16);
                Vector512<float> a0 = Vector512.Create(a[TA.Row(0, lda)]);
                c0 = Avx512F.FusedMultiplyAdd(a0, b0, c0);
                d0 = Fma.MultiplyAdd(a0.GetLower().GetLower(), b1, d0);
                Vector512<float> a1 = Vector512.Create(a[TA.Row(1, lda)]);
                c1 = Avx512F.FusedMultiplyAdd(a1, b0, c1);
                d1 = Fma.MultiplyAdd(a1.GetLower().GetLower(), b1, d1);
                Vector512<float> a2 = Vector512.Create(a[TA.Row(2, lda)]);
                c2 = Avx512F.FusedMultiplyAdd(a2, b0, c2);
                d2 = Fma.MultiplyAdd(a2.GetLower().GetLower(), b1, d2);
                Vector512<float> a3 = Vector512.Create(a[TA.Row(3, lda)]);
                c3 = Avx512F.FusedMultiplyAdd(a3, b0, c3);
                d3 = Fma.MultiplyAdd(a3.GetLower().GetLower(), b1, d3);
                Vector512<float> a4 = Vector512.Create(a[TA.Row(4, lda)]);
                c4 = Avx512F.FusedMultiplyAdd(a4, b0, c4);
                d4 = Fma.MultiplyAdd(a4.GetLower().GetLower(), b1, d4);
                Vector512<float> a5 = Vector512.Create(a[TA.Row(5, lda)]);
                c5 = Avx512F.FusedMultiplyAdd(a5, b0, c5);
                d5 = Fma.MultiplyAdd(a5.GetLower().GetLower(), b1, d5);
                a += TA.Step(6);
                b += ldb;
            }

            Vector512<float> alphaV = Vector512.Create(alpha);
            int extra = cols - 16;
            StoreHalfAndFour(c, c0, d0, extra, alphaV, alpha, beta);
            if (rows > 1) StoreHalfAndFour(c + ldc, c1, d1, extra, alphaV, alpha, beta);
            if (rows > 2) StoreHalfAndFour(c + 2 * ldc, c2, d2, extra, alphaV, alpha, beta);
            if (rows > 3) StoreHalfAndFour(c + 3 * ldc, c3, d3, extra, alphaV, alpha, beta);
            if (rows > 4) StoreHalfAndFour(c + 4 * ldc, c4, d4, extra, alphaV, alpha, beta);
            if (rows > 5) StoreHalfAndFour(c + 5 * ldc, c5, d5, extra, alphaV, alpha, beta);
        }

        // c: one C row of 16 + extra columns (extra 1 to 4), with the full tile's store arithmetic per element.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe void StoreHalfAndFour(float* c, Vector512<float> acc, Vector128<float> tail, int extra, Vector512<float> alphaV, float alpha, float beta)
        {
            StoreHalf(c, acc, Vector512<float>.AllBitsSet, alphaV, beta);
            StoreFour(c + 16, tail, extra, alpha, beta);
        }

        // c: the first `count` (1 to 4) of four columns of one C row, with the vector stores' arithmetic per lane.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe void StoreFour(float* c, Vector128<float> acc, int count, float alpha, float beta)
        {
            for (int j = 0; j < count; j++)
                c[j] = beta == 0f ? acc.GetElement(j) * alpha : MathF.FusedMultiplyAdd(acc.GetElement(j), alpha, c[j] * beta);
        }

        // c: [16] of one C row; stores the lanes selected by the mask.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe void StoreHalf(float* c, Vector512<float> acc, Vector512<float> mask, Vector512<float> alphaV, float beta)
        {
            if (beta == 0f)
            {
                Avx512F.MaskStore(c, mask, acc * alphaV);
                return;
            }

            Vector512<float> old = Avx512F.MaskLoad(c, mask, Vector512<float>.Zero);
            Avx512F.MaskStore(c, mask, Avx512F.FusedMultiplyAdd(acc, alphaV, old * Vector512.Create(beta)));
        }

        // c: [32] of one C row; stores the lanes selected by the masks.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe void StorePartial(
            float* c, Vector512<float> acc0, Vector512<float> acc1,
            Vector512<float> mask0, Vector512<float> mask1, Vector512<float> alphaV, float beta)
        {
            if (beta == 0f)
            {
                Avx512F.MaskStore(c, mask0, acc0 * alphaV);
                Avx512F.MaskStore(c + 16, mask1, acc1 * alphaV);
                return;
            }

            Vector512<float> betaV = Vector512.Create(beta);
            Vector512<float> old0 = Avx512F.MaskLoad(c, mask0, Vector512<float>.Zero);
            Avx512F.MaskStore(c, mask0, Avx512F.FusedMultiplyAdd(acc0, alphaV, old0 * betaV));
            Vector512<float> old1 = Avx512F.MaskLoad(c + 16, mask1, Vector512<float>.Zero);
            Avx512F.MaskStore(c + 16, mask1, Avx512F.FusedMultiplyAdd(acc1, alphaV, old1 * betaV));
        }
    }

    /// <summary>
    /// FMA3 on 256-bit vectors: a 6 x 16 tile held in 12 ymm accumulators, leaving 4 of the 16 registers for B and the
    /// A broadcast. Blocking: a 256 x 16 B micro-panel (16 KiB) in L1, a 72 x 256 A block (72 KiB) in L2, a 256 x 2048 B
    /// block (2 MiB) in L3.
    /// </summary>
    private readonly struct Avx2Kernel : IMicroKernel
    {
        public static int Mr => 6;

        public static int Nr => 16;

        public static int Mc => 72;

        public static int Kc => 256;

        public static int Nc => 2048;

        // a: [kc, 6] packed A; b: [kc, ldb], 16 columns used; c: [rows <= 6, ldc], cols <= 16 used. C = alpha * a^T b + beta * C.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static unsafe void Run<TA>(int kc, float* a, nint lda, float* b, nint ldb, float* c, nint ldc, float alpha, float beta, int rows, int cols)
            where TA : struct, IAPanel
        {
            PrefetchTile(c, ldc, rows, 16);
            Vector256<float> c00 = default, c01 = default;
            Vector256<float> c10 = default, c11 = default;
            Vector256<float> c20 = default, c21 = default;
            Vector256<float> c30 = default, c31 = default;
            Vector256<float> c40 = default, c41 = default;
            Vector256<float> c50 = default, c51 = default;

            for (int p = 0; p < kc; p++)
            {
                Vector256<float> b0 = Vector256.Load(b);
                Vector256<float> b1 = Vector256.Load(b + 8);
                Vector256<float> a0 = Vector256.Create(a[TA.Row(0, lda)]);
                c00 = Fma.MultiplyAdd(a0, b0, c00);
                c01 = Fma.MultiplyAdd(a0, b1, c01);
                Vector256<float> a1 = Vector256.Create(a[TA.Row(1, lda)]);
                c10 = Fma.MultiplyAdd(a1, b0, c10);
                c11 = Fma.MultiplyAdd(a1, b1, c11);
                Vector256<float> a2 = Vector256.Create(a[TA.Row(2, lda)]);
                c20 = Fma.MultiplyAdd(a2, b0, c20);
                c21 = Fma.MultiplyAdd(a2, b1, c21);
                Vector256<float> a3 = Vector256.Create(a[TA.Row(3, lda)]);
                c30 = Fma.MultiplyAdd(a3, b0, c30);
                c31 = Fma.MultiplyAdd(a3, b1, c31);
                Vector256<float> a4 = Vector256.Create(a[TA.Row(4, lda)]);
                c40 = Fma.MultiplyAdd(a4, b0, c40);
                c41 = Fma.MultiplyAdd(a4, b1, c41);
                Vector256<float> a5 = Vector256.Create(a[TA.Row(5, lda)]);
                c50 = Fma.MultiplyAdd(a5, b0, c50);
                c51 = Fma.MultiplyAdd(a5, b1, c51);

                a += TA.Step(6);
                b += ldb;
            }

            Vector256<float> alphaV = Vector256.Create(alpha);
            if (rows == 6 && cols == 16)
            {
                if (beta == 0f)
                {
                    (c00 * alphaV).Store(c);
                    (c01 * alphaV).Store(c + 8);
                    c += ldc;
                    (c10 * alphaV).Store(c);
                    (c11 * alphaV).Store(c + 8);
                    c += ldc;
                    (c20 * alphaV).Store(c);
                    (c21 * alphaV).Store(c + 8);
                    c += ldc;
                    (c30 * alphaV).Store(c);
                    (c31 * alphaV).Store(c + 8);
                    c += ldc;
                    (c40 * alphaV).Store(c);
                    (c41 * alphaV).Store(c + 8);
                    c += ldc;
                    (c50 * alphaV).Store(c);
                    (c51 * alphaV).Store(c + 8);
                }
                else
                {
                    Vector256<float> betaV = Vector256.Create(beta);
                    Fma.MultiplyAdd(c00, alphaV, Vector256.Load(c) * betaV).Store(c);
                    Fma.MultiplyAdd(c01, alphaV, Vector256.Load(c + 8) * betaV).Store(c + 8);
                    c += ldc;
                    Fma.MultiplyAdd(c10, alphaV, Vector256.Load(c) * betaV).Store(c);
                    Fma.MultiplyAdd(c11, alphaV, Vector256.Load(c + 8) * betaV).Store(c + 8);
                    c += ldc;
                    Fma.MultiplyAdd(c20, alphaV, Vector256.Load(c) * betaV).Store(c);
                    Fma.MultiplyAdd(c21, alphaV, Vector256.Load(c + 8) * betaV).Store(c + 8);
                    c += ldc;
                    Fma.MultiplyAdd(c30, alphaV, Vector256.Load(c) * betaV).Store(c);
                    Fma.MultiplyAdd(c31, alphaV, Vector256.Load(c + 8) * betaV).Store(c + 8);
                    c += ldc;
                    Fma.MultiplyAdd(c40, alphaV, Vector256.Load(c) * betaV).Store(c);
                    Fma.MultiplyAdd(c41, alphaV, Vector256.Load(c + 8) * betaV).Store(c + 8);
                    c += ldc;
                    Fma.MultiplyAdd(c50, alphaV, Vector256.Load(c) * betaV).Store(c);
                    Fma.MultiplyAdd(c51, alphaV, Vector256.Load(c + 8) * betaV).Store(c + 8);
                }

                return;
            }

            // An edge tile: the same arithmetic, with the stores (and loads of the old C) masked to the valid part.
            Vector256<float> mask0 = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(cols)).AsSingle();
            Vector256<float> mask1 = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(cols - 8)).AsSingle();
            StorePartial(c, c00, c01, mask0, mask1, alphaV, beta);
            if (rows == 1)
            {
                return;
            }

            c += ldc;
            StorePartial(c, c10, c11, mask0, mask1, alphaV, beta);
            if (rows == 2)
            {
                return;
            }

            c += ldc;
            StorePartial(c, c20, c21, mask0, mask1, alphaV, beta);
            if (rows == 3)
            {
                return;
            }

            c += ldc;
            StorePartial(c, c30, c31, mask0, mask1, alphaV, beta);
            if (rows == 4)
            {
                return;
            }

            c += ldc;
            StorePartial(c, c40, c41, mask0, mask1, alphaV, beta);
            if (rows == 5)
            {
                return;
            }

            c += ldc;
            StorePartial(c, c50, c51, mask0, mask1, alphaV, beta);
        }

        // c: [16] of one C row; stores the lanes selected by the masks.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static unsafe void StorePartial(
            float* c, Vector256<float> acc0, Vector256<float> acc1,
            Vector256<float> mask0, Vector256<float> mask1, Vector256<float> alphaV, float beta)
        {
            if (beta == 0f)
            {
                Avx.MaskStore(c, mask0, acc0 * alphaV);
                Avx.MaskStore(c + 8, mask1, acc1 * alphaV);
                return;
            }

            Vector256<float> betaV = Vector256.Create(beta);
            Vector256<float> old0 = Avx.MaskLoad(c, mask0);
            Avx.MaskStore(c, mask0, Fma.MultiplyAdd(acc0, alphaV, old0 * betaV));
            Vector256<float> old1 = Avx.MaskLoad(c + 8, mask1);
            Avx.MaskStore(c + 8, mask1, Fma.MultiplyAdd(acc1, alphaV, old1 * betaV));
        }
    }
}
