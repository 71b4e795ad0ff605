using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Striate.Threading;

namespace Striate.Backends.Cpu;

public static partial class Gemm
{
    /// <summary>
    /// Products computed straight from the stored matrices: tiny ones, where packing costs more than it saves, and
    /// those with fewer than 8 columns, where a register tile would be mostly padding. Every C element is one
    /// multiply-add chain over k whose order depends on the shape alone, so row partitions do not change results.
    /// </summary>
    private static unsafe void Direct(KernelKind kernel, in Operands op, int partitions)
    {
        if (kernel is KernelKind.Scalar or KernelKind.Vector128 || !(Fma.IsSupported && Avx.IsSupported))
        {
            DirectScalar(in op, fused: kernel is KernelKind.Avx2 or KernelKind.Avx512 || (kernel == KernelKind.Vector128 && Fma.IsSupported));
            return;
        }

        if (!op.TransB && op.N >= 8)
        {
            AlongRows(in op);
            return;
        }

        Operands shared = op;
        if (op.TransA)
        {
            int blocks = (op.M + 15) / 16;
            partitions = Math.Min(partitions, blocks);
            if (partitions <= 1)
            {
                AlongColumns(in op, 0, op.M);
                return;
            }

            Parallelism.For(partitions, partitions, part =>
            {
                int first = (int)((long)blocks * part / partitions) * 16;
                int last = Math.Min(shared.M, (int)((long)blocks * (part + 1) / partitions) * 16);
                AlongColumns(in shared, first, last);
            });
            return;
        }

        // Dots need the columns of op(B) contiguous: they are the stored rows when B is transposed, else a copy.
        float* columns = op.B;
        nint columnStride = op.Ldb;
        if (!op.TransB)
        {
            columns = Scratch(ref _packedB, op.N * op.K);
            columnStride = op.K;
            for (int p = 0; p < op.K; p++)
            {
                for (int j = 0; j < op.N; j++)
                {
                    columns[j * columnStride + p] = op.B[p * op.Ldb + j];
                }
            }
        }

        partitions = Math.Min(partitions, op.M);
        if (partitions <= 1)
        {
            Dots(in op, columns, columnStride, 0, op.M);
            return;
        }

        nint columnsAddress = (nint)columns;
        Parallelism.For(partitions, partitions, part =>
        {
            int first = (int)((long)shared.M * part / partitions);
            int last = (int)((long)shared.M * (part + 1) / partitions);
            Dots(in shared, (float*)columnsAddress, columnStride, first, last);
        });
    }

    // A: [m, lda]; columns: [n, stride], row j = column j of op(B); C: [m, ldc]. Rows i0 .. i1-1 of C, 2 rows x 4 columns at a time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Dots(in Operands op, float* columns, nint stride, int i0, int i1)
    {
        // Columns past the last full group of 4 go one at a time (8 rows giving the chains): the same
        // arithmetic per element, without computing aliased columns.
        int grouped = op.N & ~3;
        for (int j = grouped; j < op.N; j++)
        {
            DotsOneColumn(in op, columns + j * stride, j, i0, i1);
        }

        // 8 independent chains hide the FMA latency; each is 8 lane sums over k (the tail through masked loads,
        // whose zero lanes add nothing) and then a fixed-order lane sum. A missing second row aliases the first
        // and is computed but not stored.
        int k = op.K, kFull = k & ~7;
        Vector256<float> tail = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(k - kFull)).AsSingle();
        for (int i = i0; i < i1; i += 2)
        {
            float* a0 = op.A + i * op.Lda;
            float* a1 = i + 1 < i1 ? a0 + op.Lda : a0;
            for (int j = 0; j < grouped; j += 4)
            {
                float* b0 = columns + j * stride;
                float* b1 = b0 + stride;
                float* b2 = b0 + 2 * stride;
                float* b3 = b0 + 3 * stride;
                Vector256<float> s00 = default, s01 = default, s02 = default, s03 = default;
                Vector256<float> s10 = default, s11 = default, s12 = default, s13 = default;
                for (int p = 0; p < k; p += 8)
                {
                    bool full = p < kFull;
                    Vector256<float> x0 = Load(a0 + p, full, tail), x1 = Load(a1 + p, full, tail);
                    Vector256<float> y0 = Load(b0 + p, full, tail), y1 = Load(b1 + p, full, tail);
                    Vector256<float> y2 = Load(b2 + p, full, tail), y3 = Load(b3 + p, full, tail);

                    s00 = Fma.MultiplyAdd(x0, y0, s00);
                    s01 = Fma.MultiplyAdd(x0, y1, s01);
                    s02 = Fma.MultiplyAdd(x0, y2, s02);
                    s03 = Fma.MultiplyAdd(x0, y3, s03);
                    s10 = Fma.MultiplyAdd(x1, y0, s10);
                    s11 = Fma.MultiplyAdd(x1, y1, s11);
                    s12 = Fma.MultiplyAdd(x1, y2, s12);
                    s13 = Fma.MultiplyAdd(x1, y3, s13);
                }

                StoreDots(op.C + i * op.Ldc + j, s00, s01, s02, s03, op.Alpha, op.Beta);
                if (i + 1 < i1)
                {
                    StoreDots(op.C + (i + 1) * op.Ldc + j, s10, s11, s12, s13, op.Alpha, op.Beta);
                }
            }
        }
    }

    // A: [m, lda]; column: [k], column j of op(B); C: [m, ldc]. Rows i0 .. i1-1 of column j of C, 8 rows at a time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DotsOneColumn(in Operands op, float* column, int j, int i0, int i1)
    {
        // With fewer than 4 columns, 8 rows give the 8 chains; the k order matches Dots exactly.
        int k = op.K, kFull = k & ~7;
        Vector256<float> tail = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(k - kFull)).AsSingle();
        float* sums = stackalloc float[8];
        for (int i = i0; i < i1; i += 8)
        {
            int rows = Math.Min(8, i1 - i);
            float* a0 = op.A + i * op.Lda;
            float* a1 = rows > 1 ? a0 + op.Lda : a0;
            float* a2 = rows > 2 ? a0 + 2 * op.Lda : a0;
            float* a3 = rows > 3 ? a0 + 3 * op.Lda : a0;
            float* a4 = rows > 4 ? a0 + 4 * op.Lda : a0;
            float* a5 = rows > 5 ? a0 + 5 * op.Lda : a0;
            float* a6 = rows > 6 ? a0 + 6 * op.Lda : a0;
            float* a7 = rows > 7 ? a0 + 7 * op.Lda : a0;
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            Vector256<float> s4 = default, s5 = default, s6 = default, s7 = default;
            for (int p = 0; p < k; p += 8)
            {
                bool full = p < kFull;
                Vector256<float> y = Load(column + p, full, tail);
                s0 = Fma.MultiplyAdd(Load(a0 + p, full, tail), y, s0);
                s1 = Fma.MultiplyAdd(Load(a1 + p, full, tail), y, s1);
                s2 = Fma.MultiplyAdd(Load(a2 + p, full, tail), y, s2);
                s3 = Fma.MultiplyAdd(Load(a3 + p, full, tail), y, s3);
                s4 = Fma.MultiplyAdd(Load(a4 + p, full, tail), y, s4);
                s5 = Fma.MultiplyAdd(Load(a5 + p, full, tail), y, s5);
                s6 = Fma.MultiplyAdd(Load(a6 + p, full, tail), y, s6);
                s7 = Fma.MultiplyAdd(Load(a7 + p, full, tail), y, s7);
            }

            sums[0] = Vector256.Sum(s0);
            sums[1] = Vector256.Sum(s1);
            sums[2] = Vector256.Sum(s2);
            sums[3] = Vector256.Sum(s3);
            sums[4] = Vector256.Sum(s4);
            sums[5] = Vector256.Sum(s5);
            sums[6] = Vector256.Sum(s6);
            sums[7] = Vector256.Sum(s7);
            float* c = op.C + i * op.Ldc + j;
            for (int r = 0; r < rows; r++, c += op.Ldc)
            {
                *c = Finish(sums[r], c, op.Alpha, op.Beta, fused: true);
            }
        }
    }

    // p: [8] <- all 8 lanes, or the lanes of mask (others zero) for the ragged end of a row.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Load(float* p, bool full, Vector256<float> mask) =>
        full ? Vector256.Load(p) : Avx.MaskLoad(p, mask);

    // c: [4] of one C row <- the lane sums of s0 .. s3.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreDots(
        float* c, Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3, float alpha, float beta)
    {
        c[0] = Finish(Vector256.Sum(s0), c, alpha, beta, fused: true);
        c[1] = Finish(Vector256.Sum(s1), c + 1, alpha, beta, fused: true);
        c[2] = Finish(Vector256.Sum(s2), c + 2, alpha, beta, fused: true);
        c[3] = Finish(Vector256.Sum(s3), c + 3, alpha, beta, fused: true);
    }

    // A: [k, lda] (op(A) = A^T); B: [k, ldb] or [n, ldb]; C: [m, ldc]. Rows i0 .. i1-1 of C, 16 rows x 4 columns at a time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AlongColumns(in Operands op, int i0, int i1)
    {
        // A stored [k, m] is contiguous along C's columns, so vectors run down C: 2 vectors x 4 columns are 8
        // independent chains; lanes past i1 are masked off on load and never stored.
        nint stepP = op.TransB ? 1 : op.Ldb;
        nint stepJ = op.TransB ? op.Ldb : 1;
        // Columns past the last full group of 4 go one at a time (4 vectors down the column giving the chains).
        int grouped = op.N & ~3;
        for (int j = grouped; j < op.N; j++)
        {
            AlongOneColumn(in op, op.B + j * stepJ, stepP, j, i0, i1);
        }

        float* lanes = stackalloc float[16];
        for (int i = i0; i < i1; i += 16)
        {
            Vector256<float> mask0 = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(i1 - i)).AsSingle();
            Vector256<float> mask1 = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(i1 - i - 8)).AsSingle();
            int rows = Math.Min(16, i1 - i);
            for (int j = 0; j < grouped; j += 4)
            {
                float* b0 = op.B + j * stepJ;
                float* b1 = b0 + stepJ;
                float* b2 = b0 + 2 * stepJ;
                float* b3 = b0 + 3 * stepJ;
                Vector256<float> s00 = default, s01 = default, s02 = default, s03 = default;
                Vector256<float> s10 = default, s11 = default, s12 = default, s13 = default;
                float* a = op.A + i;
                for (int p = 0; p < op.K; p++, a += op.Lda)
                {
                    Vector256<float> x0 = Avx.MaskLoad(a, mask0);
                    Vector256<float> x1 = Avx.MaskLoad(a + 8, mask1);
                    nint bp = p * stepP;
                    Vector256<float> y0 = Vector256.Create(b0[bp]);
                    Vector256<float> y1 = Vector256.Create(b1[bp]);
                    Vector256<float> y2 = Vector256.Create(b2[bp]);
                    Vector256<float> y3 = Vector256.Create(b3[bp]);
                    s00 = Fma.MultiplyAdd(x0, y0, s00);
                    s01 = Fma.MultiplyAdd(x0, y1, s01);
                    s02 = Fma.MultiplyAdd(x0, y2, s02);
                    s03 = Fma.MultiplyAdd(x0, y3, s03);
                    s10 = Fma.MultiplyAdd(x1, y0, s10);
                    s11 = Fma.MultiplyAdd(x1, y1, s11);
                    s12 = Fma.MultiplyAdd(x1, y2, s12);
                    s13 = Fma.MultiplyAdd(x1, y3, s13);
                }

                float* c = op.C + i * op.Ldc + j;
                StoreDown(c, op.Ldc, rows, s00, s10, lanes, op.Alpha, op.Beta);
                StoreDown(c + 1, op.Ldc, rows, s01, s11, lanes, op.Alpha, op.Beta);
                StoreDown(c + 2, op.Ldc, rows, s02, s12, lanes, op.Alpha, op.Beta);
                StoreDown(c + 3, op.Ldc, rows, s03, s13, lanes, op.Alpha, op.Beta);
            }
        }
    }

    // A: [k, lda] (op(A) = A^T); column: op(B)[p, j] at column[p * step]; C: [m, ldc]. Rows i0 .. i1-1 of column j of C, 32 at a time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AlongOneColumn(in Operands op, float* column, nint step, int j, int i0, int i1)
    {
        // With fewer than 4 columns, 4 vectors down one column give the chains.
        float* lanes = stackalloc float[32];
        for (int i = i0; i < i1; i += 32)
        {
            int rows = Math.Min(32, i1 - i);
            Vector256<float> mask0 = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(rows)).AsSingle();
            Vector256<float> mask1 = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(rows - 8)).AsSingle();
            Vector256<float> mask2 = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(rows - 16)).AsSingle();
            Vector256<float> mask3 = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(rows - 24)).AsSingle();
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            float* a = op.A + i;
            for (int p = 0; p < op.K; p++, a += op.Lda)
            {
                Vector256<float> y = Vector256.Create(column[p * step]);
                s0 = Fma.MultiplyAdd(Avx.MaskLoad(a, mask0), y, s0);
                s1 = Fma.MultiplyAdd(Avx.MaskLoad(a + 8, mask1), y, s1);
                s2 = Fma.MultiplyAdd(Avx.MaskLoad(a + 16, mask2), y, s2);
                s3 = Fma.MultiplyAdd(Avx.MaskLoad(a + 24, mask3), y, s3);
            }

            s0.Store(lanes);
            s1.Store(lanes + 8);
            s2.Store(lanes + 16);
            s3.Store(lanes + 24);
            float* c = op.C + i * op.Ldc + j;
            for (int l = 0; l < rows; l++, c += op.Ldc)
            {
                *c = Finish(lanes[l], c, op.Alpha, op.Beta, fused: true);
            }
        }
    }

    // c: [rows <= 16, ldc], one column of C <- the lanes of upper and lower.
    private static unsafe void StoreDown(
        float* c, nint ldc, int rows, Vector256<float> upper, Vector256<float> lower, float* lanes, float alpha, float beta)
    {
        upper.Store(lanes);
        lower.Store(lanes + 8);
        for (int l = 0; l < rows; l++, c += ldc)
        {
            *c = Finish(lanes[l], c, alpha, beta, fused: true);
        }
    }

    // op(A)[i, p]; B: [k, ldb]; C: [m, ldc]. Tiny products with n >= 8: 2 rows x 16 columns of C at a time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AlongRows(in Operands op)
    {
        // Rows of B and C are contiguous, so vectors run along them; columns past n are masked off on load and store.
        nint stepI = op.TransA ? 1 : op.Lda;
        nint stepP = op.TransA ? op.Lda : 1;
        Vector256<float> alphaV = Vector256.Create(op.Alpha);
        Vector256<float> betaV = Vector256.Create(op.Beta);
        for (int i = 0; i < op.M; i += 2)
        {
            float* a0 = op.A + i * stepI;
            float* a1 = i + 1 < op.M ? a0 + stepI : a0;
            for (int j = 0; j < op.N; j += 16)
            {
                Vector256<float> mask0 = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(op.N - j)).AsSingle();
                Vector256<float> mask1 = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(op.N - j - 8)).AsSingle();
                Vector256<float> s00 = default, s01 = default, s10 = default, s11 = default;
                float* b = op.B + j;
                for (int p = 0; p < op.K; p++, b += op.Ldb)
                {
                    Vector256<float> y0 = Avx.MaskLoad(b, mask0);
                    Vector256<float> y1 = Avx.MaskLoad(b + 8, mask1);
                    Vector256<float> x0 = Vector256.Create(a0[p * stepP]);
                    Vector256<float> x1 = Vector256.Create(a1[p * stepP]);
                    s00 = Fma.MultiplyAdd(x0, y0, s00);
                    s01 = Fma.MultiplyAdd(x0, y1, s01);
                    s10 = Fma.MultiplyAdd(x1, y0, s10);
                    s11 = Fma.MultiplyAdd(x1, y1, s11);
                }

                float* c = op.C + i * op.Ldc + j;
                StoreAlong(c, s00, s01, mask0, mask1, alphaV, betaV);
                if (i + 1 < op.M)
                {
                    StoreAlong(c + op.Ldc, s10, s11, mask0, mask1, alphaV, betaV);
                }
            }
        }
    }

    // c: [16] of one C row, the lanes selected by the masks <- alpha * acc + beta * c (beta == 0 overwrites).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreAlong(
        float* c, Vector256<float> acc0, Vector256<float> acc1, Vector256<float> mask0, Vector256<float> mask1,
        Vector256<float> alphaV, Vector256<float> betaV)
    {
        if (betaV.ToScalar() == 0f)
        {
            Avx.MaskStore(c, mask0, acc0 * alphaV);
            Avx.MaskStore(c + 8, mask1, acc1 * alphaV);
        }
        else
        {
            Avx.MaskStore(c, mask0, Fma.MultiplyAdd(acc0, alphaV, Avx.MaskLoad(c, mask0) * betaV));
            Avx.MaskStore(c + 8, mask1, Fma.MultiplyAdd(acc1, alphaV, Avx.MaskLoad(c + 8, mask1) * betaV));
        }
    }

    // op(A)[i, p]; op(B)[p, j]; C: [m, ldc]. Without fused vector multiply-add: one plain chain per C element.
    private static unsafe void DirectScalar(in Operands op, bool fused)
    {
        nint aI = op.TransA ? 1 : op.Lda, aP = op.TransA ? op.Lda : 1;
        nint bP = op.TransB ? 1 : op.Ldb, bJ = op.TransB ? op.Ldb : 1;
        for (int i = 0; i < op.M; i++)
        {
            for (int j = 0; j < op.N; j++)
            {
                float* a = op.A + i * aI;
                float* b = op.B + j * bJ;
                float acc = 0f;
                for (int p = 0; p < op.K; p++)
                {
                    acc = fused ? MathF.FusedMultiplyAdd(a[p * aP], b[p * bP], acc) : a[p * aP] * b[p * bP] + acc;
                }

                float* c = op.C + i * op.Ldc + j;
                *c = Finish(acc, c, op.Alpha, op.Beta, fused);
            }
        }
    }
}
