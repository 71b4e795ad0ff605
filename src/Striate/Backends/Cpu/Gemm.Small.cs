using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Striate.Backends.Cpu;

public static partial class Gemm
{
    /// <summary>Plain scalar: a 4 x 4 tile in 16 scalar accumulators, for machines without fused vector multiply-add.</summary>
    private readonly struct ScalarKernel : IMicroKernel
    {
        public static int Mr => 4;

        public static int Nr => 4;

        public static int Mc => 64;

        public static int Kc => 256;

        public static int Nc => 1024;

        // a: [kc, 4] packed A panel; b: [kc, 4] packed B panel; c: [4, ldc]. C = alpha * (a^T b) + beta * C, beta == 0 overwrites.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static unsafe void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
        {
            float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f;
            float c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
            float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f;
            float c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;
            for (int p = 0; p < kc; p++)
            {
                float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
                float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
                a += 4;
                b += 4;
            }

            StoreRow(c, c00, c01, c02, c03, alpha, beta);
            StoreRow(c + ldc, c10, c11, c12, c13, alpha, beta);
            StoreRow(c + 2 * ldc, c20, c21, c22, c23, alpha, beta);
            StoreRow(c + 3 * ldc, c30, c31, c32, c33, alpha, beta);
        }

        public static float Update(float acc, float alpha, float old, float beta) =>
            beta == 0f ? acc * alpha : acc * alpha + old * beta;

        private static unsafe void StoreRow(float* c, float v0, float v1, float v2, float v3, float alpha, float beta)
        {
            c[0] = Update(v0, alpha, beta == 0f ? 0f : c[0], beta);
            c[1] = Update(v1, alpha, beta == 0f ? 0f : c[1], beta);
            c[2] = Update(v2, alpha, beta == 0f ? 0f : c[2], beta);
            c[3] = Update(v3, alpha, beta == 0f ? 0f : c[3], beta);
        }
    }

    /// <summary>
    /// Products too small to repay packing: direct loops over the stored matrices, one C element or one vector of
    /// C elements at a time, each summed over k in order.
    /// </summary>
    private static unsafe void Small(KernelKind kernel, in Operands op)
    {
        bool fused = kernel != KernelKind.Scalar;
        bool vector = fused && Fma.IsSupported && Vector256.IsHardwareAccelerated;
        if (!op.TransB)
        {
            SmallAlongN(in op, fused, vector);
        }
        else if (op.TransA)
        {
            SmallAlongM(in op, fused, vector);
        }
        else
        {
            SmallDots(in op, fused, vector);
        }
    }

    // A: [m, lda] or [k, lda] (transA); B: [k, ldb]; C: [m, ldc]. Vectors run along a row of B and of C.
    private static unsafe void SmallAlongN(in Operands op, bool fused, bool vector)
    {
        nint aStep = op.TransA ? op.Lda : 1;
        for (int i = 0; i < op.M; i++)
        {
            float* aRow = op.TransA ? op.A + i : op.A + i * op.Lda;
            float* cRow = op.C + i * op.Ldc;
            int j = 0;
            if (vector)
            {
                for (; j <= op.N - 8; j += 8)
                {
                    Vector256<float> acc = Vector256<float>.Zero;
                    float* bCol = op.B + j;
                    for (int p = 0; p < op.K; p++)
                    {
                        acc = Fma.MultiplyAdd(Vector256.Create(aRow[p * aStep]), Vector256.Load(bCol + p * op.Ldb), acc);
                    }

                    Vector256<float> alphaV = Vector256.Create(op.Alpha);
                    Vector256<float> result = op.Beta == 0f
                        ? acc * alphaV
                        : Fma.MultiplyAdd(acc, alphaV, Vector256.Load(cRow + j) * Vector256.Create(op.Beta));
                    result.Store(cRow + j);
                }
            }

            for (; j < op.N; j++)
            {
                float acc = 0f;
                float* bCol = op.B + j;
                for (int p = 0; p < op.K; p++)
                {
                    acc = MulAdd(aRow[p * aStep], bCol[p * op.Ldb], acc, fused);
                }

                cRow[j] = Finish(acc, cRow + j, op.Alpha, op.Beta, fused);
            }
        }
    }

    // A: [k, lda]; B: [n, ldb]; C: [m, ldc]. Vectors run along a row of the stored A, down a column of C.
    private static unsafe void SmallAlongM(in Operands op, bool fused, bool vector)
    {
        Span<float> lanes = stackalloc float[8];
        for (int j = 0; j < op.N; j++)
        {
            float* bRow = op.B + j * op.Ldb;
            int i = 0;
            if (vector)
            {
                for (; i <= op.M - 8; i += 8)
                {
                    Vector256<float> acc = Vector256<float>.Zero;
                    float* aCol = op.A + i;
                    for (int p = 0; p < op.K; p++)
                    {
                        acc = Fma.MultiplyAdd(Vector256.Load(aCol + p * op.Lda), Vector256.Create(bRow[p]), acc);
                    }

                    acc.CopyTo(lanes);
                    for (int l = 0; l < 8; l++)
                    {
                        float* cij = op.C + (i + l) * op.Ldc + j;
                        *cij = Finish(lanes[l], cij, op.Alpha, op.Beta, fused);
                    }
                }
            }

            for (; i < op.M; i++)
            {
                float acc = 0f;
                float* aCol = op.A + i;
                for (int p = 0; p < op.K; p++)
                {
                    acc = MulAdd(aCol[p * op.Lda], bRow[p], acc, fused);
                }

                float* cij = op.C + i * op.Ldc + j;
                *cij = Finish(acc, cij, op.Alpha, op.Beta, fused);
            }
        }
    }

    // A: [m, lda]; B: [n, ldb]; C: [m, ldc]. Each C element is a dot product of two stored rows.
    private static unsafe void SmallDots(in Operands op, bool fused, bool vector)
    {
        for (int i = 0; i < op.M; i++)
        {
            float* aRow = op.A + i * op.Lda;
            for (int j = 0; j < op.N; j++)
            {
                float* bRow = op.B + j * op.Ldb;
                float acc = 0f;
                int p = 0;
                if (vector && op.K >= 8)
                {
                    // Eight lane sums, then a fixed-order horizontal sum, then the tail: the order depends on k alone.
                    Vector256<float> lanes = Vector256<float>.Zero;
                    for (; p <= op.K - 8; p += 8)
                    {
                        lanes = Fma.MultiplyAdd(Vector256.Load(aRow + p), Vector256.Load(bRow + p), lanes);
                    }

                    acc = Vector256.Sum(lanes);
                }

                for (; p < op.K; p++)
                {
                    acc = MulAdd(aRow[p], bRow[p], acc, fused);
                }

                float* cij = op.C + i * op.Ldc + j;
                *cij = Finish(acc, cij, op.Alpha, op.Beta, fused);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MulAdd(float x, float y, float acc, bool fused) =>
        fused ? MathF.FusedMultiplyAdd(x, y, acc) : x * y + acc;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float Finish(float acc, float* c, float alpha, float beta, bool fused) =>
        beta == 0f ? acc * alpha : fused ? MathF.FusedMultiplyAdd(acc, alpha, *c * beta) : acc * alpha + *c * beta;
}
