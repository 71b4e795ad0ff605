using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Striate.Threading;

namespace Striate.Backends.Cpu;

public static partial class Gemm
{
    /// <summary>Widest C (in columns) for which A's stored rows are read in place instead of packed.</summary>
    private const int StoredAColumns = 256;

    /// <summary>Longest stored row of B (in floats) that is read in place rather than packed when there is a single A block.</summary>
    private const int DirectRowLimit = 1024;

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

        // a: an A panel of Mr rows by kc, laid out as TA says (packed [kc, Mr], or Mr stored rows lda apart); b: [kc, ldb]
        // with Nr used columns; c: [rows <= Mr, ldc] with cols <= Nr used. C = alpha * (a^T b) + beta * C, beta == 0
        // overwrites; an edge tile is computed whole and stored in part.
        static abstract void Run<TA>(int kc, float* a, nint lda, float* b, nint ldb, float* c, nint ldc, float alpha, float beta, int rows, int cols)
            where TA : struct, IAPanel;
    }

    /// <summary>How a micro-kernel finds A's value for row r of its panel, and how far one k step moves.</summary>
    private interface IAPanel
    {
        static abstract nint Row(nint r, nint lda);

        static abstract nint Step(int mr);
    }

    /// <summary>A packed panel: [kc, Mr], row r at offset r, Mr values per k step.</summary>
    private readonly struct PackedPanel : IAPanel
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static nint Row(nint r, nint lda) => r;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static nint Step(int mr) => mr;
    }

    /// <summary>Mr stored rows of A read in place: row r at offset r * lda, one value per k step.</summary>
    private readonly struct StoredRows : IAPanel
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static nint Row(nint r, nint lda) => r * lda;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static nint Step(int mr) => 1;
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

        BlockedParallel<TKernel>(op, partitions, splitN, tilesM, tilesN);
    }

    // Kept apart from Blocked: the lambda's captured copy of the operands is allocated on entry to the scope that
    // declares it, so the single-partition path would pay for it on every call.
    private static unsafe void BlockedParallel<TKernel>(Operands shared, int partitions, bool splitN, int tilesM, int tilesN)
        where TKernel : struct, IMicroKernel
    {
        Parallelism.For(partitions, partitions, part =>
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
        int nr = TKernel.Nr;
        int kBlocks = (op.K + TKernel.Kc - 1) / TKernel.Kc;
        int kcMax = (op.K + kBlocks - 1) / kBlocks;
        int ncMax = Math.Min(TKernel.Nc, RoundUp(n1 - n0, nr));
        int mcMax = Math.Min(TKernel.Mc, RoundUp(m1 - m0, TKernel.Mr));
        float* packedA = Scratch(ref _packedA, mcMax * kcMax);
        float* packedB = Scratch(ref _packedB, ncMax * kcMax);

        // With a single A block every B panel is used by one sweep of the micro-kernel only, so copying it costs a
        // full extra pass over B: stored rows of B are then read in place, and only a ragged last panel is packed
        // (zero-padded). That pays only while B's rows are short: a panel read in place touches kc rows ldb apart,
        // and for long rows (the wide column matrices of large feature maps) those are kc different pages and cache
        // sets, so packing measured 10-45% faster from 2048 columns up (single thread). The arithmetic is the same.
        bool direct = !op.TransB && m1 - m0 <= TKernel.Mc && op.Ldb <= DirectRowLimit;

        // With few columns each A value serves only a few B panels, so packing A (a pass over all of it, often the
        // weights of a deep convolution applied to one small image) costs about as much as the multiply: A's
        // stored rows are then read in place.
        bool storedA = !op.TransA && n1 - n0 <= StoredAColumns;

        for (int jc = n0; jc < n1; jc += TKernel.Nc)
        {
            int nc = Math.Min(TKernel.Nc, n1 - jc);
            int packedFrom = direct ? nc / nr * nr : 0;
            for (int block = 0; block < kBlocks; block++)
            {
                // Near-equal k blocks (e.g. 300 = 150 + 150 rather than 256 + 44) keep every block long enough to
                // amortise the micro-kernel's C traffic; the cut depends on k alone.
                int pc = (int)((long)op.K * block / kBlocks);
                int kc = (int)((long)op.K * (block + 1) / kBlocks) - pc;
                float beta = block == 0 ? op.Beta : 1f;
                if (packedFrom < nc)
                {
                    PackB<TKernel>(in op, pc, kc, jc + packedFrom, nc - packedFrom, packedB);
                }

                var panels = new BPanels(direct ? op.B + pc * op.Ldb + jc : null, op.Ldb, packedB, packedFrom, kc, nr);
                for (int ic = m0; ic < m1; ic += TKernel.Mc)
                {
                    int mc = Math.Min(TKernel.Mc, m1 - ic);
                    if (storedA)
                    {
                        // Whole panels read A's rows in place; only a ragged last panel is packed (zero-padded).
                        int whole = mc / TKernel.Mr * TKernel.Mr;
                        if (whole < mc) PackA<TKernel>(in op, ic + whole, mc - whole, pc, kc, packedA);
                        MacroStoredA<TKernel>(mc, whole, nc, kc, op.A + ic * op.Lda + pc, op.Lda, packedA, in panels, op.C + ic * op.Ldc + jc, op.Ldc, op.Alpha, beta);
                        continue;
                    }
                    PackA<TKernel>(in op, ic, mc, pc, kc, packedA);
                    Macro<TKernel>(mc, nc, kc, packedA, in panels, op.C + ic * op.Ldc + jc, op.Ldc, op.Alpha, beta);
                }
            }
        }
    }

    // packedA: [mc/Mr panels][kc, Mr]; B panels: [kc, Nr] each; c: [mc, ldc]. Runs the micro-kernel over one block of C.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Macro<TKernel>(
        int mc, int nc, int kc, float* packedA, in BPanels panels, float* c, nint ldc, float alpha, float beta)
        where TKernel : struct, IMicroKernel
    {
        int mr = TKernel.Mr;
        int nr = TKernel.Nr;

        // B's micro-panel (kc x Nr) is the inner loop's invariant and stays in L1; A's block streams from L2.
        // Edge tiles run the same kernel on zero-padded panels, so every element of C sees the same arithmetic.
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* b = panels.Panel(jr, out nint ldb);
            for (int ir = 0; ir < mc; ir += mr)
            {
                TKernel.Run<PackedPanel>(kc, packedA + (nint)ir * kc, 0, b, ldb, c + ir * ldc + jr, ldc, alpha, beta, Math.Min(mr, mc - ir), cols);
            }
        }
    }

    // a: A's stored rows [mc, lda] from the block's corner; whole: the rows covered by whole Mr panels (read in place);
    // tail: the packed panel of the remaining mc - whole rows. Runs the micro-kernel over one block of C.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MacroStoredA<TKernel>(
        int mc, int whole, int nc, int kc, float* a, nint lda, float* tail, in BPanels panels, float* c, nint ldc, float alpha, float beta)
        where TKernel : struct, IMicroKernel
    {
        int mr = TKernel.Mr;
        int nr = TKernel.Nr;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* b = panels.Panel(jr, out nint ldb);
            for (int ir = 0; ir < whole; ir += mr)
            {
                TKernel.Run<StoredRows>(kc, a + ir * lda, lda, b, ldb, c + ir * ldc + jr, ldc, alpha, beta, mr, cols);
            }

            if (whole < mc)
            {
                TKernel.Run<PackedPanel>(kc, tail, 0, b, ldb, c + whole * ldc + jr, ldc, alpha, beta, mc - whole, cols);
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
                // Stored [k, m]: each k step of the panel is a contiguous run of the stored row; a masked load
                // reads just the panel's rows and zero-fills the rest.
                float* src = op.A + pc * op.Lda + ic + ir;
                if (Avx.IsSupported && (mr == 6 || mr == 8))
                {
                    Vector256<float> mask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(rows)).AsSingle();
                    for (int p = 0; p < kc; p++)
                    {
                        StoreColumn<TKernel>(dst, Avx.MaskLoad(src + p * op.Lda, mask));
                        dst += mr;
                    }

                    continue;
                }

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
                // Stored [m, k]: a transpose; 8 k steps at a time through registers where the panel height allows.
                float* src = op.A + (ic + ir) * op.Lda + pc;
                int p = 0;
                if (Avx.IsSupported && (mr == 6 || mr == 8))
                {
                    for (; p <= kc - 8; p += 8)
                    {
                        Transpose8x8(src + p, op.Lda, rows,
                            out Vector256<float> t0, out Vector256<float> t1, out Vector256<float> t2, out Vector256<float> t3,
                            out Vector256<float> t4, out Vector256<float> t5, out Vector256<float> t6, out Vector256<float> t7);
                        float* d = dst + p * mr;
                        StoreColumn<TKernel>(d, t0);
                        StoreColumn<TKernel>(d + mr, t1);
                        StoreColumn<TKernel>(d + 2 * mr, t2);
                        StoreColumn<TKernel>(d + 3 * mr, t3);
                        StoreColumn<TKernel>(d + 4 * mr, t4);
                        StoreColumn<TKernel>(d + 5 * mr, t5);
                        StoreColumn<TKernel>(d + 6 * mr, t6);
                        StoreColumn<TKernel>(d + 7 * mr, t7);
                    }
                }

                for (; p < kc; p++)
                {
                    float* d = dst + p * mr;
                    for (int i = 0; i < mr; i++)
                    {
                        d[i] = i < rows ? src[i * op.Lda + p] : 0f;
                    }
                }

                dst += kc * mr;
            }
        }
    }

    // dst: [Mr] <- the first Mr lanes of column (Mr is 6 or 8).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreColumn<TKernel>(float* dst, Vector256<float> column)
        where TKernel : struct, IMicroKernel
    {
        if (TKernel.Mr == 8)
        {
            column.Store(dst);
        }
        else
        {
            column.GetLower().Store(dst);
            *(long*)(dst + 4) = column.GetUpper().AsInt64().ToScalar();
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
                    else if (Avx512F.IsSupported && nr % 16 == 0)
                    {
                        // Masked loads read only the valid columns and zero the rest in one step.
                        for (int j = 0; j < nr; j += 16)
                        {
                            Vector512<float> mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(cols - j)).AsSingle();
                            Avx512F.MaskLoad(s + j, mask, Vector512<float>.Zero).Store(dst + j);
                        }
                    }
                    else if (Avx.IsSupported && nr % 8 == 0)
                    {
                        for (int j = 0; j < nr; j += 8)
                        {
                            Vector256<float> mask = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(cols - j)).AsSingle();
                            Avx.MaskLoad(s + j, mask).Store(dst + j);
                        }
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
                // Stored [n, k]: a transpose, 8 stored rows by 8 k steps at a time through registers.
                float* src = op.B + (jc + jr) * op.Ldb + pc;
                int p = 0;
                if (Avx.IsSupported && nr % 8 == 0)
                {
                    for (; p <= kc - 8; p += 8)
                    {
                        for (int j = 0; j < nr; j += 8)
                        {
                            Transpose8x8(src + j * op.Ldb + p, op.Ldb, Math.Clamp(cols - j, 0, 8),
                                out Vector256<float> t0, out Vector256<float> t1, out Vector256<float> t2, out Vector256<float> t3,
                                out Vector256<float> t4, out Vector256<float> t5, out Vector256<float> t6, out Vector256<float> t7);
                            float* d = dst + p * nr + j;
                            t0.Store(d);
                            t1.Store(d + nr);
                            t2.Store(d + 2 * nr);
                            t3.Store(d + 3 * nr);
                            t4.Store(d + 4 * nr);
                            t5.Store(d + 5 * nr);
                            t6.Store(d + 6 * nr);
                            t7.Store(d + 7 * nr);
                        }
                    }
                }

                for (; p < kc; p++)
                {
                    float* d = dst + p * nr;
                    for (int j = 0; j < nr; j++)
                    {
                        d[j] = j < cols ? src[j * op.Ldb + p] : 0f;
                    }
                }

                dst += kc * nr;
            }
        }
    }

    // src: [rows <= 8, stride] read 8 wide (rows past `rows` count as zero); t0..t7: the block's 8 columns.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose8x8(
        float* src, nint stride, int rows,
        out Vector256<float> t0, out Vector256<float> t1, out Vector256<float> t2, out Vector256<float> t3,
        out Vector256<float> t4, out Vector256<float> t5, out Vector256<float> t6, out Vector256<float> t7)
    {
        Vector256<float> r0 = rows > 0 ? Vector256.Load(src) : default;
        Vector256<float> r1 = rows > 1 ? Vector256.Load(src + stride) : default;
        Vector256<float> r2 = rows > 2 ? Vector256.Load(src + 2 * stride) : default;
        Vector256<float> r3 = rows > 3 ? Vector256.Load(src + 3 * stride) : default;
        Vector256<float> r4 = rows > 4 ? Vector256.Load(src + 4 * stride) : default;
        Vector256<float> r5 = rows > 5 ? Vector256.Load(src + 5 * stride) : default;
        Vector256<float> r6 = rows > 6 ? Vector256.Load(src + 6 * stride) : default;
        Vector256<float> r7 = rows > 7 ? Vector256.Load(src + 7 * stride) : default;

        // Interleave pairs of rows, then pairs of pairs, then swap 128-bit halves: the textbook AVX 8x8 transpose.
        Vector256<float> u0 = Avx.UnpackLow(r0, r1), u1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> u2 = Avx.UnpackLow(r2, r3), u3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> u4 = Avx.UnpackLow(r4, r5), u5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> u6 = Avx.UnpackLow(r6, r7), u7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> s0 = Avx.Shuffle(u0, u2, 0x44), s1 = Avx.Shuffle(u0, u2, 0xEE);
        Vector256<float> s2 = Avx.Shuffle(u1, u3, 0x44), s3 = Avx.Shuffle(u1, u3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(u4, u6, 0x44), s5 = Avx.Shuffle(u4, u6, 0xEE);
        Vector256<float> s6 = Avx.Shuffle(u5, u7, 0x44), s7 = Avx.Shuffle(u5, u7, 0xEE);
        t0 = Avx.Permute2x128(s0, s4, 0x20);
        t1 = Avx.Permute2x128(s1, s5, 0x20);
        t2 = Avx.Permute2x128(s2, s6, 0x20);
        t3 = Avx.Permute2x128(s3, s7, 0x20);
        t4 = Avx.Permute2x128(s0, s4, 0x31);
        t5 = Avx.Permute2x128(s1, s5, 0x31);
        t6 = Avx.Permute2x128(s2, s6, 0x31);
        t7 = Avx.Permute2x128(s3, s7, 0x31);
    }

    /// <summary>Where each B micro-panel of one KC x NC block lives: packed, or read in place from the stored B.</summary>
    private readonly unsafe struct BPanels(float* direct, nint ldb, float* packed, int packedFrom, int kc, int nr)
    {
        private readonly float* _direct = direct;
        private readonly nint _ldb = ldb;
        private readonly float* _packed = packed;
        private readonly int _packedFrom = packedFrom;
        private readonly int _kc = kc;
        private readonly int _nr = nr;

        /// <summary>The panel starting at column jr of the block, and its row stride.</summary>
        public float* Panel(int jr, out nint ldb)
        {
            if (jr < _packedFrom)
            {
                ldb = _ldb;
                return _direct + jr;
            }

            ldb = _nr;
            return _packed + (nint)(jr - _packedFrom) * _kc;
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
