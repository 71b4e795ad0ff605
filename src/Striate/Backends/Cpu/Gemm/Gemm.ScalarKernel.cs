using System.Runtime.CompilerServices;

namespace Striate.Backends.Cpu;

public static partial class Gemm
{
    /// <summary>
    /// Plain scalar multiply and add (no fused multiply-add, which would be a slow software routine on machines
    /// without it): a 4 x 4 tile in 16 scalar accumulators.
    /// </summary>
    private readonly struct ScalarKernel : IMicroKernel
    {
        public static int Mr => 4;

        public static int Nr => 4;

        public static int Mc => 64;

        public static int Kc => 256;

        public static int Nc => 1024;

        // a: [kc, 4] packed A; b: [kc, ldb], 4 columns used; c: [rows <= 4, ldc], cols <= 4 used. C = alpha * a^T b + beta * C.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static unsafe void Run<TA>(int kc, float* a, nint lda, float* b, nint ldb, float* c, nint ldc, float alpha, float beta, int rows, int cols)
            where TA : struct, IAPanel
        {
            float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f;
            float c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
            float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f;
            float c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;
            for (int p = 0; p < kc; p++)
            {
                float a0 = a[TA.Row(0, lda)], a1 = a[TA.Row(1, lda)], a2 = a[TA.Row(2, lda)], a3 = a[TA.Row(3, lda)];
                float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
                c00 += a0 * b0;
                c01 += a0 * b1;
                c02 += a0 * b2;
                c03 += a0 * b3;
                c10 += a1 * b0;
                c11 += a1 * b1;
                c12 += a1 * b2;
                c13 += a1 * b3;
                c20 += a2 * b0;
                c21 += a2 * b1;
                c22 += a2 * b2;
                c23 += a2 * b3;
                c30 += a3 * b0;
                c31 += a3 * b1;
                c32 += a3 * b2;
                c33 += a3 * b3;
                a += TA.Step(4);
                b += ldb;
            }

            StoreRow(c, c00, c01, c02, c03, alpha, beta, cols);
            if (rows > 1)
            {
                StoreRow(c + ldc, c10, c11, c12, c13, alpha, beta, cols);
            }

            if (rows > 2)
            {
                StoreRow(c + 2 * ldc, c20, c21, c22, c23, alpha, beta, cols);
            }

            if (rows > 3)
            {
                StoreRow(c + 3 * ldc, c30, c31, c32, c33, alpha, beta, cols);
            }
        }

        private static unsafe void StoreRow(float* c, float v0, float v1, float v2, float v3, float alpha, float beta, int cols)
        {
            c[0] = Finish(v0, c, alpha, beta, fused: false);
            if (cols > 1)
            {
                c[1] = Finish(v1, c + 1, alpha, beta, fused: false);
            }

            if (cols > 2)
            {
                c[2] = Finish(v2, c + 2, alpha, beta, fused: false);
            }

            if (cols > 3)
            {
                c[3] = Finish(v3, c + 3, alpha, beta, fused: false);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float Finish(float acc, float* c, float alpha, float beta, bool fused) =>
        beta == 0f ? acc * alpha : fused ? MathF.FusedMultiplyAdd(acc, alpha, *c * beta) : acc * alpha + *c * beta;
}
