using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Striate.Backends.Cpu;

public static partial class Gemm
{
    /// <summary>Packed panels start on a cache line so the micro-kernel's vector loads never split one.</summary>
    private const int Alignment = 64;

    [ThreadStatic]
    private static float[]? _packedA;

    [ThreadStatic]
    private static float[]? _packedB;

    /// <summary>A register-blocked micro-kernel and the cache blocking that feeds it.</summary>
    private unsafe interface IMicroKernel
    {
        /// <summary>Rows of the register tile.</summary>
        static abstract int Mr { get; }

        /// <summary>Columns of the register tile.</summary>
        static abstract int Nr { get; }

        /// <summary>Rows of the packed A block (a multiple of Mr).</summary>
        static abstract int Mc { get; }

        /// <summary>Largest k block; the k reduction is cut into near-equal blocks no larger than this.</summary>
        static abstract int Kc { get; }

        /// <summary>Columns of the packed B block (a multiple of Nr).</summary>
        static abstract int Nc { get; }

        // a: [kc, Mr] packed A panel; b: [kc, Nr] packed B panel; c: [Mr, ldc]. C = alpha * (a^T b) + beta * C, beta == 0 overwrites.
        static abstract void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta);

        /// <summary>The scalar form of the kernel's store, bit-identical to what the kernel does per element.</summary>
        static abstract float Update(float acc, float alpha, float old, float beta);
    }

    /// <summary>Splits C into one block per partition and runs the packed GEMM on each.</summary>
    private static unsafe void Blocked<TKernel>(in Operands op, int partitions)
        where TKernel : struct, IMicroKernel
    {
        int tilesM = (op.M + TKernel.Mr - 1) / TKernel.Mr;
        int tilesN = (op.N + TKernel.Nr - 1) / TKernel.Nr;

        // Split the dimension with more micro-tiles, on micro-tile boundaries: every element of C is then computed
        // by the same tile code with the same k blocking whatever the partition, which keeps results bit-identical.
        bool splitN = tilesN >= tilesM;
        partitions = Math.Min(partitions, splitN ? tilesN : tilesM);
        if (partitions <= 1)
        {
            Range<TKernel>(in op, 0, op.M, 0, op.N);
            return;
        }

        Operands shared = op;
        Parallel.For(0, partitions, Parallelism.Options(partitions), part =>
        {
            if (splitN)
            {
                int first = (int)((long)tilesN * part / partitions) * TKernel.Nr;
                int last = Math.Min(shared.N, (int)((long)tilesN * (part + 1) / partitions) * TKernel.Nr);
                Range<TKernel>(in shared, 0, shared.M, first, last);
            }
            else
            {
                int first = (int)((long)tilesM * part / partitions) * TKernel.Mr;
                int last = Math.Min(shared.M, (int)((long)tilesM * (part + 1) / partitions) * TKernel.Mr);
                Range<TKernel>(in shared, first, last, 0, shared.N);
            }
        });
    }

    /// <summary>The packed GEMM on rows [m0, m1) and columns [n0, n1) of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Range<TKernel>(in Operands op, int m0, int m1, int n0, int n1)
        where TKernel : struct, IMicroKernel
    {
        int kBlocks = (op.K + TKernel.Kc - 1) / TKernel.Kc;
        int kcMax = (op.K + kBlocks - 1) / kBlocks;
        int ncMax = Math.Min(TKernel.Nc, RoundUp(n1 - n0, TKernel.Nr));
        int mcMax = Math.Min(TKernel.Mc, RoundUp(m1 - m0, TKernel.Mr));
        float* packedA = Scratch(ref _packedA, mcMax * kcMax);
        float* packedB = Scratch(ref _packedB, ncMax * kcMax);

        for (int jc = n0; jc < n1; jc += TKernel.Nc)
        {
            int nc = Math.Min(TKernel.Nc, n1 - jc);
            for (int block = 0; block < kBlocks; block++)
            {
                // Near-equal k blocks (e.g. 300 = 150 + 150 rather than 256 + 44) keep every block long enough to
                // amortise the micro-kernel's C traffic; the cut depends on k alone.
                int pc = (int)((long)op.K * block / kBlocks);
                int kc = (int)((long)op.K * (block + 1) / kBlocks) - pc;
                float beta = block == 0 ? op.Beta : 1f;
                PackB<TKernel>(in op, pc, kc, jc, nc, packedB);
                for (int ic = m0; ic < m1; ic += TKernel.Mc)
                {
                    int mc = Math.Min(TKernel.Mc, m1 - ic);
                    PackA<TKernel>(in op, ic, mc, pc, kc, packedA);
                    Macro<TKernel>(mc, nc, kc, packedA, packedB, op.C + ic * op.Ldc + jc, op.Ldc, op.Alpha, beta);
                }
            }
        }
    }

    // packedA: [mc/Mr panels][kc, Mr]; packedB: [nc/Nr panels][kc, Nr]; c: [mc, ldc]. Runs the micro-kernel over one block of C.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Macro<TKernel>(
        int mc, int nc, int kc, float* packedA, float* packedB, float* c, nint ldc, float alpha, float beta)
        where TKernel : struct, IMicroKernel
    {
        int mr = TKernel.Mr;
        int nr = TKernel.Nr;
        float* edge = stackalloc float[mr * nr];

        // B's micro-panel (kc x Nr) is the inner loop's invariant and stays in L1; A's block streams from L2.
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* b = packedB + (nint)jr * kc;
            for (int ir = 0; ir < mc; ir += mr)
            {
                int rows = Math.Min(mr, mc - ir);
                float* a = packedA + (nint)ir * kc;
                float* cTile = c + ir * ldc + jr;
                if (rows == mr && cols == nr)
                {
                    TKernel.Run(kc, a, b, cTile, ldc, alpha, beta);
                    continue;
                }

                // An edge tile is computed whole on the zero-padded panels, then only its valid part is stored,
                // with the scalar twin of the kernel's store so edge and interior elements round alike.
                TKernel.Run(kc, a, b, edge, nr, 1f, 0f);
                for (int i = 0; i < rows; i++)
                {
                    float* cRow = cTile + i * ldc;
                    float* eRow = edge + i * nr;
                    for (int j = 0; j < cols; j++)
                    {
                        cRow[j] = TKernel.Update(eRow[j], alpha, beta == 0f ? 0f : cRow[j], beta);
                    }
                }
            }
        }
    }

    // dst: [ceil(mc/Mr) panels][kc, Mr], zero rows past mc. Packs op(A)[ic .. ic+mc, pc .. pc+kc].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackA<TKernel>(in Operands op, int ic, int mc, int pc, int kc, float* dst)
        where TKernel : struct, IMicroKernel
    {
        int mr = TKernel.Mr;
        for (int ir = 0; ir < mc; ir += mr)
        {
            int rows = Math.Min(mr, mc - ir);
            if (op.TransA)
            {
                // Stored [k, m]: each k step of the panel is a contiguous run of the stored row.
                float* src = op.A + pc * op.Lda + ic + ir;
                for (int p = 0; p < kc; p++)
                {
                    float* s = src + p * op.Lda;
                    int i = 0;
                    for (; i < rows; i++)
                    {
                        dst[i] = s[i];
                    }

                    for (; i < mr; i++)
                    {
                        dst[i] = 0f;
                    }

                    dst += mr;
                }
            }
            else
            {
                // Stored [m, k]: read each row once, sequentially, and scatter it down the panel's column.
                float* src = op.A + (ic + ir) * op.Lda + pc;
                for (int i = 0; i < mr; i++)
                {
                    float* d = dst + i;
                    if (i < rows)
                    {
                        float* s = src + i * op.Lda;
                        for (int p = 0; p < kc; p++)
                        {
                            d[p * mr] = s[p];
                        }
                    }
                    else
                    {
                        for (int p = 0; p < kc; p++)
                        {
                            d[p * mr] = 0f;
                        }
                    }
                }

                dst += kc * mr;
            }
        }
    }

    // dst: [ceil(nc/Nr) panels][kc, Nr], zero columns past nc. Packs op(B)[pc .. pc+kc, jc .. jc+nc].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackB<TKernel>(in Operands op, int pc, int kc, int jc, int nc, float* dst)
        where TKernel : struct, IMicroKernel
    {
        int nr = TKernel.Nr;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            if (!op.TransB)
            {
                // Stored [k, n]: each k step of the panel is a contiguous run of the stored row.
                float* src = op.B + pc * op.Ldb + jc + jr;
                for (int p = 0; p < kc; p++)
                {
                    float* s = src + p * op.Ldb;
                    if (cols == nr)
                    {
                        Unsafe.CopyBlockUnaligned(dst, s, (uint)(nr * sizeof(float)));
                    }
                    else
                    {
                        int j = 0;
                        for (; j < cols; j++)
                        {
                            dst[j] = s[j];
                        }

                        for (; j < nr; j++)
                        {
                            dst[j] = 0f;
                        }
                    }

                    dst += nr;
                }
            }
            else
            {
                // Stored [n, k]: read each row once, sequentially, and scatter it down the panel's column.
                float* src = op.B + (jc + jr) * op.Ldb + pc;
                for (int j = 0; j < nr; j++)
                {
                    float* d = dst + j;
                    if (j < cols)
                    {
                        float* s = src + j * op.Ldb;
                        for (int p = 0; p < kc; p++)
                        {
                            d[p * nr] = s[p];
                        }
                    }
                    else
                    {
                        for (int p = 0; p < kc; p++)
                        {
                            d[p * nr] = 0f;
                        }
                    }
                }

                dst += kc * nr;
            }
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>A cache-line-aligned pointer into this thread's pinned scratch array, grown when too small.</summary>
    private static unsafe float* Scratch(ref float[]? array, int floats)
    {
        int needed = floats + Alignment / sizeof(float);
        if (array is null || array.Length < needed)
        {
            // The pinned heap never moves the array, so the aligned pointer stays valid after this call returns.
            array = GC.AllocateUninitializedArray<float>(needed, pinned: true);
        }

        nint start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        return (float*)((start + Alignment - 1) & ~(nint)(Alignment - 1));
    }
}
