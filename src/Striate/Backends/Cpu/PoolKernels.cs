using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Striate.Threading;

namespace Striate.Backends.Cpu;

/// <summary>Max, average and adaptive average pooling over NCHW planes, with PyTorch's window rules.</summary>
public static unsafe class PoolKernels
{
    // x: [P, H, W] with P = N*C planes; y: [P, OH, OW]; argmax: [P, OH, OW], the flat index in its input plane.
    public static void MaxForward(in Pool2dGeometry g, ReadOnlySpan<float> x, Span<float> y, Span<int> argmax)
    {
        KernelSpans.Require(x.Length, g.InputLength, "PoolKernels.MaxForward", "x", "[N, C, H, W]", g);
        KernelSpans.Require(y.Length, g.OutputLength, "PoolKernels.MaxForward", "y", "[N, C, OH, OW]", g);
        KernelSpans.Require(argmax.Length, g.OutputLength, "PoolKernels.MaxForward", "argmax", "[N, C, OH, OW]", g);
        var geo = g;
        int inPlane = g.InHeight * g.InWidth, outPlane = g.OutHeight * g.OutWidth;
        fixed (float* px = x, py = y)
        fixed (int* pa = argmax)
        {
            nint ax = (nint)px, ay = (nint)py, aa = (nint)pa;
            Parallelism.ForRanges(g.Planes, (long)outPlane * g.KernelHeight * g.KernelWidth, (p0, p1) =>
                MaxForwardPlanes(geo, p0, p1, new ReadOnlySpan<float>((void*)ax, geo.Planes * inPlane),
                    new Span<float>((void*)ay, geo.Planes * outPlane), new Span<int>((void*)aa, geo.Planes * outPlane)));
        }
    }

    private static void MaxForwardPlanes(in Pool2dGeometry g, int p0, int p1, ReadOnlySpan<float> x, Span<float> y, Span<int> argmax)
    {
        if (g.KernelHeight == 2 && g.KernelWidth == 2 && g.StrideH == 2 && g.StrideW == 2 && g.PadH == 0 && g.PadW == 0 &&
            g.DilationH == 1 && g.DilationW == 1 && !g.CeilMode && g.OutHeight * 2 <= g.InHeight && g.OutWidth * 2 <= g.InWidth)
        {
            MaxForward2x2(g, p0, p1, x, y, argmax);
            return;
        }
        int oh = g.OutHeight, ow = g.OutWidth, inPlane = g.InHeight * g.InWidth, outPlane = oh * ow;
        bool stem = Avx2.IsSupported && g.KernelHeight == 3 && g.KernelWidth == 3 && g.StrideH == 2 && g.StrideW == 2 &&
            g.PadH == 1 && g.PadW == 1 && g.DilationH == 1 && g.DilationW == 1;
        for (int p = p0; p < p1; p++)
        {
            var src = x.Slice(p * inPlane, inPlane);
            for (int i = 0; i < oh; i++)
            {
                int h0 = i * g.StrideH - g.PadH;
                int hEnd = Math.Min(h0 + (g.KernelHeight - 1) * g.DilationH + 1, g.InHeight);
                // ResNet's 3x3 / 2 stem pool: whole groups of eight interior windows at once; the rest below.
                int vectorFrom = 0, vectorTo = 0;
                if (stem && h0 >= 0 && h0 + 2 < g.InHeight)
                    (vectorFrom, vectorTo) = MaxRow3x3Stride2(g, src, h0, y.Slice(p * outPlane + i * ow, ow), argmax.Slice(p * outPlane + i * ow, ow));
                while (h0 < 0) h0 += g.DilationH;
                for (int j = 0; j < ow; j++)
                {
                    if (j == vectorFrom && vectorTo > vectorFrom)
                    {
                        j = vectorTo - 1;
                        continue;
                    }
                    int w0 = j * g.StrideW - g.PadW;
                    int wEnd = Math.Min(w0 + (g.KernelWidth - 1) * g.DilationW + 1, g.InWidth);
                    while (w0 < 0) w0 += g.DilationW;
                    int best = h0 * g.InWidth + w0;
                    float max = float.NegativeInfinity;
                    for (int h = h0; h < hEnd; h += g.DilationH)
                        for (int w = w0; w < wEnd; w += g.DilationW)
                        {
                            float v = src[h * g.InWidth + w];
                            // A NaN wins, as in PyTorch, so a diverged network shows NaN rather than hiding it.
                            if (v > max || float.IsNaN(v))
                            {
                                max = v;
                                best = h * g.InWidth + w;
                            }
                        }
                    y[p * outPlane + i * ow + j] = max;
                    argmax[p * outPlane + i * ow + j] = best;
                }
            }
        }
    }

    // Windows of output row i (input rows h0..h0+2, all inside) for outputs j in [from, to): eight at a time, each
    // window's nine taps compared in row-major order with the general loop's rule (greater, or NaN), so the same
    // element wins. Only windows whose three columns 2j-1..2j+1 lie inside the input, in whole groups, whose loads
    // stay inside the row. Returns the range written.
    private static (int From, int To) MaxRow3x3Stride2(in Pool2dGeometry g, ReadOnlySpan<float> plane, int h0, Span<float> y, Span<int> argmax)
    {
        int w = g.InWidth, from = 1;
        // Output j reads columns 2j-1 .. 2j+1; a group of eight loads up to column 2j+16.
        int groups = 0;
        while (2 * (from + 8 * (groups + 1) - 1) + 2 <= w - 1) groups++;
        int to = from + 8 * groups;
        if (groups == 0) return (0, 0);
        fixed (float* src = plane, dst = y)
        fixed (int* arg = argmax)
        {
            for (int j = from; j < to; j += 8)
                Max3x3Stride2Group(src, w, h0, j, dst, arg, lastLaneInside: true);
            // The rest of the row, when its last window ends inside the input (an even width): one more group,
            // overlapping the last whole one, recomputes a few outputs (the same values) rather than leaving up to
            // seven windows to the scalar loop. Its last load would pass the row's end by one float, a value the
            // deinterleave drops, so that lane is not loaded.
            if (to < g.OutWidth && g.OutWidth - 8 >= from && 2 * g.OutWidth <= w)
            {
                Max3x3Stride2Group(src, w, h0, g.OutWidth - 8, dst, arg, lastLaneInside: false);
                to = g.OutWidth;
            }
        }
        return (from, to);
    }

    // Outputs j .. j+7 of one row of the 3x3 / 2 pool (input rows h0 .. h0+2, columns 2j-1 .. 2j+15 inside the plane,
    // and 2j+16 too when lastLaneInside).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Max3x3Stride2Group(float* src, int w, int h0, int j, float* dst, int* arg, bool lastLaneInside)
    {
        var evens = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        var step = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        var firstSeven = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(7)).AsSingle();
        int c = 2 * j - 1;
        var m = Vector256.Create(float.NegativeInfinity);
        var best = Vector256.Create(h0 * w + c) + step;
        for (int ki = 0; ki < 3; ki++)
        {
            float* row = src + (long)(h0 + ki) * w;
            Deinterleave(Vector256.Load(row + c), Vector256.Load(row + c + 8), evens, out var left, out var middle);
            var last = lastLaneInside ? Vector256.Load(row + c + 10) : Avx.MaskLoad(row + c + 10, firstSeven);
            Deinterleave(Vector256.Load(row + c + 2), last, evens, out var right, out _);
            var at = Vector256.Create((h0 + ki) * w + c) + step;
            Take(left, at, ref m, ref best);
            Take(middle, at + Vector256.Create(1), ref m, ref best);
            Take(right, at + Vector256.Create(2), ref m, ref best);
        }
        m.Store(dst + j);
        best.Store(arg + j);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Take(Vector256<float> v, Vector256<int> index, ref Vector256<float> m, ref Vector256<int> best)
    {
        var take = Vector256.GreaterThan(v, m) | ~Vector256.Equals(v, v);
        m = Vector256.ConditionalSelect(take, v, m);
        best = Vector256.ConditionalSelect(take.AsInt32(), index, best);
    }

    // The common 2x2 / 2 window with no padding: every window lies inside the input, visited in the same
    // row-major order as the general loop, so the same element wins.
    private static void MaxForward2x2(in Pool2dGeometry g, int p0, int p1, ReadOnlySpan<float> x, Span<float> y, Span<int> argmax)
    {
        int oh = g.OutHeight, ow = g.OutWidth, w = g.InWidth, inPlane = g.InHeight * w, outPlane = oh * ow;
        fixed (float* px = x, py = y)
        fixed (int* pa = argmax)
        {
            for (int p = p0; p < p1; p++)
            {
                float* src = px + (long)p * inPlane;
                float* dst = py + (long)p * outPlane;
                int* arg = pa + (long)p * outPlane;
                for (int i = 0; i < oh; i++)
                {
                    float* r0 = src + 2 * i * w;
                    float* r1 = r0 + w;
                    int base0 = 2 * i * w;
                    int j = Avx2.IsSupported && ow >= 8 ? MaxRow2x2(r0, r1, base0, w, ow, dst + i * ow, arg + i * ow)
                        : Sse.IsSupported && ow >= 4 ? MaxRow2x2Narrow(r0, r1, base0, w, ow, dst + i * ow, arg + i * ow) : 0;
                    for (; j < ow; j++)
                    {
                        // Branch-free selects: on real activations the comparisons are unpredictable.
                        int c = 2 * j;
                        float m = r0[c], v;
                        int best = base0 + c;
                        bool take;
                        v = r0[c + 1];
                        take = (v > m) | float.IsNaN(v);
                        m = take ? v : m;
                        best = take ? base0 + c + 1 : best;
                        v = r1[c];
                        take = (v > m) | float.IsNaN(v);
                        m = take ? v : m;
                        best = take ? base0 + w + c : best;
                        v = r1[c + 1];
                        take = (v > m) | float.IsNaN(v);
                        m = take ? v : m;
                        best = take ? base0 + w + c + 1 : best;
                        dst[i * ow + j] = m;
                        arg[i * ow + j] = best;
                    }
                }
            }
        }
    }

    // One output row (ow >= 8) of the 2x2 / 2 window, eight outputs at a time, the last group overlapping the one
    // before (recomputing a few outputs to the same values): r0, r1 are the two input rows; returns ow. The
    // candidates are compared in the scalar loop's order (top-left, top-right, bottom-left, bottom-right) with the
    // same NaN rule, so the same element wins.
    private static int MaxRow2x2(float* r0, float* r1, int base0, int w, int ow, float* dst, int* arg)
    {
        var evens = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
        var offsets = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14) + Vector256.Create(base0);
        var one = Vector256.Create(1);
        var down = Vector256.Create(w);
        for (int next = 0; next < ow; next += 8)
        {
            int j = Math.Min(next, ow - 8), c = 2 * j;
            Deinterleave(Vector256.Load(r0 + c), Vector256.Load(r0 + c + 8), evens, out var tl, out var tr);
            Deinterleave(Vector256.Load(r1 + c), Vector256.Load(r1 + c + 8), evens, out var bl, out var br);
            var m = tl;
            var best = offsets + Vector256.Create(c);
            var take = Vector256.GreaterThan(tr, m) | ~Vector256.Equals(tr, tr);
            m = Vector256.ConditionalSelect(take, tr, m);
            var idx = Vector256.ConditionalSelect(take.AsInt32(), best + one, best);
            take = Vector256.GreaterThan(bl, m) | ~Vector256.Equals(bl, bl);
            m = Vector256.ConditionalSelect(take, bl, m);
            idx = Vector256.ConditionalSelect(take.AsInt32(), best + down, idx);
            take = Vector256.GreaterThan(br, m) | ~Vector256.Equals(br, br);
            m = Vector256.ConditionalSelect(take, br, m);
            idx = Vector256.ConditionalSelect(take.AsInt32(), best + down + one, idx);
            m.Store(dst + j);
            idx.Store(arg + j);
        }
        return ow;
    }

    // The same row with 4 <= ow < 8 (LeNet's 10x10 -> 5x5): four outputs at a time with 128-bit vectors, the last
    // group overlapping the one before. The scalar loop's selects compile to branches that real activations
    // mispredict, which made this shape 10x slower per output than the wide one.
    private static int MaxRow2x2Narrow(float* r0, float* r1, int base0, int w, int ow, float* dst, int* arg)
    {
        var offsets = Vector128.Create(0, 2, 4, 6) + Vector128.Create(base0);
        var one = Vector128.Create(1);
        var down = Vector128.Create(w);
        for (int next = 0; next < ow; next += 4)
        {
            int j = Math.Min(next, ow - 4), c = 2 * j;
            Vector128<float> a0 = Vector128.Load(r0 + c), a1 = Vector128.Load(r0 + c + 4);
            Vector128<float> b0 = Vector128.Load(r1 + c), b1 = Vector128.Load(r1 + c + 4);
            var tl = Sse.Shuffle(a0, a1, 0x88);
            var tr = Sse.Shuffle(a0, a1, 0xDD);
            var bl = Sse.Shuffle(b0, b1, 0x88);
            var br = Sse.Shuffle(b0, b1, 0xDD);
            var m = tl;
            var best = offsets + Vector128.Create(c);
            var take = Vector128.GreaterThan(tr, m) | ~Vector128.Equals(tr, tr);
            m = Vector128.ConditionalSelect(take, tr, m);
            var idx = Vector128.ConditionalSelect(take.AsInt32(), best + one, best);
            take = Vector128.GreaterThan(bl, m) | ~Vector128.Equals(bl, bl);
            m = Vector128.ConditionalSelect(take, bl, m);
            idx = Vector128.ConditionalSelect(take.AsInt32(), best + down, idx);
            take = Vector128.GreaterThan(br, m) | ~Vector128.Equals(br, br);
            m = Vector128.ConditionalSelect(take, br, m);
            idx = Vector128.ConditionalSelect(take.AsInt32(), best + down + one, idx);
            m.Store(dst + j);
            idx.Store(arg + j);
        }
        return ow;
    }

    // a, b: 16 consecutive values -> their even-indexed and odd-indexed elements, in order.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Deinterleave(Vector256<float> a, Vector256<float> b, Vector256<int> evens, out Vector256<float> even, out Vector256<float> odd)
    {
        var sa = Avx2.PermuteVar8x32(a, evens);
        var sb = Avx2.PermuteVar8x32(b, evens);
        even = Vector256.Create(sa.GetLower(), sb.GetLower());
        odd = Vector256.Create(sa.GetUpper(), sb.GetUpper());
    }

    // dy, argmax: [P, OH, OW]; dx: [P, H, W] (overwritten).
    public static void MaxBackward(in Pool2dGeometry g, ReadOnlySpan<float> dy, ReadOnlySpan<int> argmax, Span<float> dx)
    {
        KernelSpans.Require(dy.Length, g.OutputLength, "PoolKernels.MaxBackward", "dy", "[N, C, OH, OW]", g);
        KernelSpans.Require(argmax.Length, g.OutputLength, "PoolKernels.MaxBackward", "argmax", "[N, C, OH, OW]", g);
        KernelSpans.Require(dx.Length, g.InputLength, "PoolKernels.MaxBackward", "dx", "[N, C, H, W]", g);
        int inPlane = g.InHeight * g.InWidth, outPlane = g.OutHeight * g.OutWidth;
        dx.Slice(0, g.Planes * inPlane).Clear();
        for (int p = 0; p < g.Planes; p++)
        {
            var d = dx.Slice(p * inPlane, inPlane);
            for (int o = 0; o < outPlane; o++)
                d[argmax[p * outPlane + o]] += dy[p * outPlane + o];
        }
    }

    // x: [P, H, W]; y: [P, OH, OW]. Divisor per PyTorch: the window clipped to the padded input (count_include_pad)
    // or to the input alone.
    public static void AvgForward(in Pool2dGeometry g, ReadOnlySpan<float> x, Span<float> y)
    {
        KernelSpans.Require(x.Length, g.InputLength, "PoolKernels.AvgForward", "x", "[N, C, H, W]", g);
        KernelSpans.Require(y.Length, g.OutputLength, "PoolKernels.AvgForward", "y", "[N, C, OH, OW]", g);
        var geo = g;
        int inPlane = g.InHeight * g.InWidth, outPlane = g.OutHeight * g.OutWidth;
        fixed (float* px = x, py = y)
        {
            nint ax = (nint)px, ay = (nint)py;
            Parallelism.ForRanges(g.Planes, (long)outPlane * g.KernelHeight * g.KernelWidth, (p0, p1) =>
                AvgForwardPlanes(geo, p0, p1, new ReadOnlySpan<float>((void*)ax, geo.Planes * inPlane), new Span<float>((void*)ay, geo.Planes * outPlane)));
        }
    }

    private static void AvgForwardPlanes(in Pool2dGeometry g, int p0, int p1, ReadOnlySpan<float> x, Span<float> y)
    {
        int oh = g.OutHeight, ow = g.OutWidth, inPlane = g.InHeight * g.InWidth, outPlane = oh * ow;
        for (int p = p0; p < p1; p++)
        {
            var src = x.Slice(p * inPlane, inPlane);
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    Window(g, i, j, out int h0, out int h1, out int w0, out int w1, out int divisor);
                    float sum = 0;
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++)
                            sum += src[h * g.InWidth + w];
                    y[p * outPlane + i * ow + j] = divisor == 0 ? 0 : sum / divisor;
                }
        }
    }

    // dy: [P, OH, OW]; dx: [P, H, W] (overwritten).
    public static void AvgBackward(in Pool2dGeometry g, ReadOnlySpan<float> dy, Span<float> dx)
    {
        KernelSpans.Require(dy.Length, g.OutputLength, "PoolKernels.AvgBackward", "dy", "[N, C, OH, OW]", g);
        KernelSpans.Require(dx.Length, g.InputLength, "PoolKernels.AvgBackward", "dx", "[N, C, H, W]", g);
        int oh = g.OutHeight, ow = g.OutWidth, inPlane = g.InHeight * g.InWidth, outPlane = oh * ow;
        dx.Slice(0, g.Planes * inPlane).Clear();
        for (int p = 0; p < g.Planes; p++)
        {
            var d = dx.Slice(p * inPlane, inPlane);
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    Window(g, i, j, out int h0, out int h1, out int w0, out int w1, out int divisor);
                    if (divisor == 0) continue;
                    float v = dy[p * outPlane + i * ow + j] / divisor;
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++)
                            d[h * g.InWidth + w] += v;
                }
        }
    }

    private static void Window(in Pool2dGeometry g, int i, int j, out int h0, out int h1, out int w0, out int w1, out int divisor)
    {
        h0 = i * g.StrideH - g.PadH;
        w0 = j * g.StrideW - g.PadW;
        h1 = Math.Min(h0 + g.KernelHeight, g.InHeight + g.PadH);
        w1 = Math.Min(w0 + g.KernelWidth, g.InWidth + g.PadW);
        int padded = (h1 - h0) * (w1 - w0);
        h0 = Math.Max(h0, 0);
        w0 = Math.Max(w0, 0);
        h1 = Math.Min(h1, g.InHeight);
        w1 = Math.Min(w1, g.InWidth);
        divisor = g.CountIncludePad ? padded : (h1 - h0) * (w1 - w0);
    }

    // x: [P, H, W]; y: [P, OH, OW]; output cell o covers [floor(o*H/OH), ceil((o+1)*H/OH)).
    public static void AdaptiveAvgForward(int planes, int inH, int inW, int outH, int outW, ReadOnlySpan<float> x, Span<float> y)
    {
        KernelSpans.Require(x.Length, (long)planes * inH * inW, "PoolKernels.AdaptiveAvgForward", "x", "[planes, H, W]");
        KernelSpans.Require(y.Length, (long)planes * outH * outW, "PoolKernels.AdaptiveAvgForward", "y", "[planes, OH, OW]");
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < outH; i++)
            {
                int h0 = i * inH / outH, h1 = ((i + 1) * inH + outH - 1) / outH;
                for (int j = 0; j < outW; j++)
                {
                    int w0 = j * inW / outW, w1 = ((j + 1) * inW + outW - 1) / outW;
                    float sum = 0;
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++)
                            sum += x[(p * inH + h) * inW + w];
                    y[(p * outH + i) * outW + j] = sum / ((h1 - h0) * (w1 - w0));
                }
            }
    }

    // dy: [P, OH, OW]; dx: [P, H, W] (overwritten).
    public static void AdaptiveAvgBackward(int planes, int inH, int inW, int outH, int outW, ReadOnlySpan<float> dy, Span<float> dx)
    {
        KernelSpans.Require(dy.Length, (long)planes * outH * outW, "PoolKernels.AdaptiveAvgBackward", "dy", "[planes, OH, OW]");
        KernelSpans.Require(dx.Length, (long)planes * inH * inW, "PoolKernels.AdaptiveAvgBackward", "dx", "[planes, H, W]");
        dx.Slice(0, planes * inH * inW).Clear();
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < outH; i++)
            {
                int h0 = i * inH / outH, h1 = ((i + 1) * inH + outH - 1) / outH;
                for (int j = 0; j < outW; j++)
                {
                    int w0 = j * inW / outW, w1 = ((j + 1) * inW + outW - 1) / outW;
                    float v = dy[(p * outH + i) * outW + j] / ((h1 - h0) * (w1 - w0));
                    for (int h = h0; h < h1; h++)
                        for (int w = w0; w < w1; w++)
                            dx[(p * inH + h) * inW + w] += v;
                }
            }
    }
}
