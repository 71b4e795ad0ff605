using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Striate.Backends.Cpu;

public static partial class Gemm
{
    /// <summary>
    /// 128-bit vectors (SSE, or NEON on Arm): a 6 x 8 tile in 12 accumulators, with a fused multiply-add where the
    /// processor has one (FMA3, AdvSimd) and a multiply then add otherwise. The path for machines, or runtimes capped
    /// with DOTNET_EnableAVX2=0, that lack 256-bit vectors. Blocking: a 256 x 8 B micro-panel (8 KiB) in L1, a
    /// 72 x 256 A block (72 KiB) in L2.
    /// </summary>
    private readonly struct Vector128Kernel : IMicroKernel
    {
        public static int Mr => 6;

        public static int Nr => 8;

        public static int Mc => 72;

        public static int Kc => 256;

        public static int Nc => 1024;

        // a: [kc, 6] packed A; b: [kc, ldb], 8 columns used; c: [rows <= 6, ldc], cols <= 8 used. C = alpha * a^T b + beta * C.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static unsafe void Run<TA>(int kc, float* a, nint lda, float* b, nint ldb, float* c, nint ldc, float alpha, float beta, int rows, int cols)
            where TA : struct, IAPanel
        {
            Vector128<float> c00 = default, c01 = default;
            Vector128<float> c10 = default, c11 = default;
            Vector128<float> c20 = default, c21 = default;
            Vector128<float> c30 = default, c31 = default;
            Vector128<float> c40 = default, c41 = default;
            Vector128<float> c50 = default, c51 = default;

            for (int p = 0; p < kc; p++)
            {
                Vector128<float> b0 = Vector128.Load(b);
                Vector128<float> b1 = Vector128.Load(b + 4);
                Vector128<float> a0 = Vector128.Create(a[TA.Row(0, lda)]);
                c00 = MulAdd(a0, b0, c00);
                c01 = MulAdd(a0, b1, c01);
                Vector128<float> a1 = Vector128.Create(a[TA.Row(1, lda)]);
                c10 = MulAdd(a1, b0, c10);
                c11 = MulAdd(a1, b1, c11);
                Vector128<float> a2 = Vector128.Create(a[TA.Row(2, lda)]);
                c20 = MulAdd(a2, b0, c20);
                c21 = MulAdd(a2, b1, c21);
                Vector128<float> a3 = Vector128.Create(a[TA.Row(3, lda)]);
                c30 = MulAdd(a3, b0, c30);
                c31 = MulAdd(a3, b1, c31);
                Vector128<float> a4 = Vector128.Create(a[TA.Row(4, lda)]);
                c40 = MulAdd(a4, b0, c40);
                c41 = MulAdd(a4, b1, c41);
                Vector128<float> a5 = Vector128.Create(a[TA.Row(5, lda)]);
                c50 = MulAdd(a5, b0, c50);
                c51 = MulAdd(a5, b1, c51);

                a += TA.Step(6);
                b += ldb;
            }

            // The tile goes through a small buffer, then only its valid part is combined with C.
            float* tile = stackalloc float[48];
            c00.Store(tile);
            c01.Store(tile + 4);
            c10.Store(tile + 8);
            c11.Store(tile + 12);
            c20.Store(tile + 16);
            c21.Store(tile + 20);
            c30.Store(tile + 24);
            c31.Store(tile + 28);
            c40.Store(tile + 32);
            c41.Store(tile + 36);
            c50.Store(tile + 40);
            c51.Store(tile + 44);
            for (int i = 0; i < rows; i++)
            {
                float* row = c + i * ldc;
                float* t = tile + i * 8;
                if (beta == 0f)
                {
                    for (int j = 0; j < cols; j++) row[j] = alpha * t[j];
                }
                else
                {
                    for (int j = 0; j < cols; j++) row[j] = alpha * t[j] + beta * row[j];
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<float> MulAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c)
        {
            if (Fma.IsSupported) return Fma.MultiplyAdd(a, b, c);
            if (AdvSimd.IsSupported) return AdvSimd.FusedMultiplyAdd(c, a, b);
            return a * b + c;
        }
    }
}
