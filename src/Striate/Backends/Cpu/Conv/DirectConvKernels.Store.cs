using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Striate.Backends.Cpu;

// The output step of the direct forward kernels: register sums [positions, channels] back to channel rows.
public static unsafe partial class DirectConvKernels
{
    // acc [positions, 8 channels] -> y[channel, at + position] (positions 4 or 8), with bias, residual and ReLU in
    // that order: an 8x8 transpose in registers, then one vector per channel.
    private static void Store(in Output o, float* acc, int at, int positions)
    {
        var zero = Vector256<float>.Zero;
        var r0 = Avx.LoadVector256(acc);
        var r1 = Avx.LoadVector256(acc + 8);
        var r2 = Avx.LoadVector256(acc + 16);
        var r3 = Avx.LoadVector256(acc + 24);
        Vector256<float> r4 = zero, r5 = zero, r6 = zero, r7 = zero;
        if (positions == 8)
        {
            r4 = Avx.LoadVector256(acc + 32);
            r5 = Avx.LoadVector256(acc + 40);
            r6 = Avx.LoadVector256(acc + 48);
            r7 = Avx.LoadVector256(acc + 56);
        }
        Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        for (int ch = 0; ch < o.Channels; ch++)
        {
            var v = ch switch { 0 => r0, 1 => r1, 2 => r2, 3 => r3, 4 => r4, 5 => r5, 6 => r6, _ => r7 };
            if (o.Bias is not null) v += Vector256.Create(o.Bias[ch]);
            float* dst = o.Y + (long)ch * o.Plane + at;
            float* res = o.Residual is null ? null : o.Residual + (long)ch * o.Plane + at;
            if (positions == 8)
            {
                if (res is not null) v += Vector256.Load(res);
                if (o.Relu) v = Vector256.Max(v, zero);
                v.Store(dst);
            }
            else
            {
                var h = v.GetLower();
                if (res is not null) h += Vector128.Load(res);
                if (o.Relu) h = Vector128.Max(h, Vector128<float>.Zero);
                h.Store(dst);
            }
        }
    }

    // acc [2 rows, positions, 8 channels] (positions 4 or 8, starting at an even column) -> the 2x2 maxima of each
    // channel, plus the bias, then ReLU: positions / 2 values at y[channel, at].
    private static void StorePooled(in Output o, float* acc, int at, int positions)
    {
        var zero = Vector256<float>.Zero;
        var a0 = Avx.LoadVector256(acc);
        var a1 = Avx.LoadVector256(acc + 8);
        var a2 = Avx.LoadVector256(acc + 16);
        var a3 = Avx.LoadVector256(acc + 24);
        Vector256<float> a4 = zero, a5 = zero, a6 = zero, a7 = zero, b4 = zero, b5 = zero, b6 = zero, b7 = zero;
        var b0 = Avx.LoadVector256(acc + 64);
        var b1 = Avx.LoadVector256(acc + 72);
        var b2 = Avx.LoadVector256(acc + 80);
        var b3 = Avx.LoadVector256(acc + 88);
        if (positions == 8)
        {
            a4 = Avx.LoadVector256(acc + 32);
            a5 = Avx.LoadVector256(acc + 40);
            a6 = Avx.LoadVector256(acc + 48);
            a7 = Avx.LoadVector256(acc + 56);
            b4 = Avx.LoadVector256(acc + 96);
            b5 = Avx.LoadVector256(acc + 104);
            b6 = Avx.LoadVector256(acc + 112);
            b7 = Avx.LoadVector256(acc + 120);
        }
        // Rows first (position p of row i against row i + 1), then one transpose: channel ch's eight positions.
        a0 = Vector256.Max(a0, b0);
        a1 = Vector256.Max(a1, b1);
        a2 = Vector256.Max(a2, b2);
        a3 = Vector256.Max(a3, b3);
        a4 = Vector256.Max(a4, b4);
        a5 = Vector256.Max(a5, b5);
        a6 = Vector256.Max(a6, b6);
        a7 = Vector256.Max(a7, b7);
        Transpose(ref a0, ref a1, ref a2, ref a3, ref a4, ref a5, ref a6, ref a7);
        var evens = Vector256.Create(0, 2, 4, 6, 0, 2, 4, 6);
        for (int ch = 0; ch < o.Channels; ch++)
        {
            var v = ch switch { 0 => a0, 1 => a1, 2 => a2, 3 => a3, 4 => a4, 5 => a5, 6 => a6, _ => a7 };
            // Neighbouring columns: lanes 2p and 2p + 1.
            var m = Vector256.Max(v, Avx.Permute(v, 0xB1));
            var h = Avx2.PermuteVar8x32(m, evens).GetLower();
            if (o.Bias is not null) h += Vector128.Create(o.Bias[ch]);
            if (o.Relu) h = Vector128.Max(h, Vector128<float>.Zero);
            float* dst = o.Y + (long)ch * o.Plane + at;
            if (positions == 8)
            {
                h.Store(dst);
            }
            else
            {
                dst[0] = h.GetElement(0);
                dst[1] = h.GetElement(1);
            }
        }
    }

    // Rows r0..r7 of an 8x8 matrix -> its columns.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3,
        ref Vector256<float> r4, ref Vector256<float> r5, ref Vector256<float> r6, ref Vector256<float> r7)
    {
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        r0 = Avx.Permute2x128(u0, u4, 0x20);
        r1 = Avx.Permute2x128(u1, u5, 0x20);
        r2 = Avx.Permute2x128(u2, u6, 0x20);
        r3 = Avx.Permute2x128(u3, u7, 0x20);
        r4 = Avx.Permute2x128(u0, u4, 0x31);
        r5 = Avx.Permute2x128(u1, u5, 0x31);
        r6 = Avx.Permute2x128(u2, u6, 0x31);
        r7 = Avx.Permute2x128(u3, u7, 0x31);
    }
}
