using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using Striate.Threading;

namespace Striate.Backends.Cpu;

/// <summary>
/// Depthwise convolution (groups = input channels; each output channel oc reads input channel oc / M, M = OC / C)
/// computed directly on zero-bordered planes instead of by im2col and a one-row GEMM per channel. Stride 1 runs
/// vector-wide along output rows with the kernel taps accumulated in registers; other strides run a scalar loop.
/// </summary>
/// <remarks>
/// Threads take whole (image, channel) planes for the forward pass and the input gradient (each input plane
/// gathers from its M output channels in order), and whole output channels for the weight gradient (images summed
/// in order), so the bits do not depend on the thread count.
/// </remarks>
public static unsafe class DepthwiseKernels
{
    /// <summary>Whether <paramref name="g"/> is a depthwise convolution these kernels handle.</summary>
    public static bool Applies(in Conv2dGeometry g) => g.Groups > 1 && g.Groups == g.InChannels;

    // x: [N, C, H, W]; w: [OC, 1, KH, KW]; bias: [OC] or empty; y: [N, OC, OH, OW].
    public static void Forward(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y)
    {
        KernelSpans.Conv(g, "DepthwiseKernels.Forward", x.Length, w.Length, y.Length, bias.Length);
        Check(g);
        var geo = g;
        fixed (float* px = x, pw = w, pb = bias, py = y)
        {
            nint ax = (nint)px, aw = (nint)pw, ab = (nint)pb, ay = (nint)py;
            bool hasBias = !bias.IsEmpty;
            var pad = new Padded(geo);
            Parallelism.ForRanges(geo.Batch * geo.OutChannels, (long)geo.KernelHeight * geo.KernelWidth * geo.OutHeight * geo.OutWidth, (start, end) =>
            {
                float[] buffer = ArrayPool<float>.Shared.Rent(pad.Length);
                try
                {
                    fixed (float* buf = buffer)
                        for (int plane = start; plane < end; plane++)
                        {
                            int n = plane / geo.OutChannels, oc = plane % geo.OutChannels, c = oc / (geo.OutChannels / geo.InChannels);
                            pad.Fill(buf, (float*)ax + ((long)n * geo.InChannels + c) * geo.InHeight * geo.InWidth);
                            float b = hasBias ? ((float*)ab)[oc] : 0f;
                            ForwardPlane(geo, pad, buf, (float*)aw + (long)oc * geo.KernelHeight * geo.KernelWidth, b,
                                (float*)ay + (long)plane * geo.OutHeight * geo.OutWidth);
                        }
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(buffer);
                }
            });
        }
    }

    // src: the zero-bordered input plane [pad.Rows, pad.Cols]; w: [KH, KW]; dst: [OH, OW].
    private static void ForwardPlane(in Conv2dGeometry g, in Padded pad, float* src, float* w, float bias, float* dst)
    {
        int oh = g.OutHeight, ow = g.OutWidth, kh = g.KernelHeight, kw = g.KernelWidth, wp = pad.Cols;
        int v = Vector<float>.Count;
        for (int i = 0; i < oh; i++)
        {
            float* row = dst + (long)i * ow;
            float* top = src + (long)i * g.StrideH * wp;
            int j = 0;
            if (g.StrideW == 1)
            {
                for (; j <= ow - v; j += v)
                {
                    var acc = new Vector<float>(bias);
                    for (int ki = 0; ki < kh; ki++)
                    {
                        float* s = top + (long)ki * g.DilationH * wp + j;
                        for (int kj = 0; kj < kw; kj++)
                            acc += new Vector<float>(w[ki * kw + kj]) * Unsafe.ReadUnaligned<Vector<float>>(s + kj * g.DilationW);
                    }
                    Unsafe.WriteUnaligned(row + j, acc);
                }
            }
            for (; j < ow; j++)
            {
                float acc = bias;
                for (int ki = 0; ki < kh; ki++)
                {
                    float* s = top + (long)ki * g.DilationH * wp + (long)j * g.StrideW;
                    for (int kj = 0; kj < kw; kj++) acc += w[ki * kw + kj] * s[kj * g.DilationW];
                }
                row[j] = acc;
            }
        }
    }

    // dy: [N, OC, OH, OW]; w: [OC, 1, KH, KW]; dx: [N, C, H, W] (overwritten).
    public static void BackwardData(in Conv2dGeometry g, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx)
    {
        KernelSpans.Conv(g, "DepthwiseKernels.BackwardData", dx.Length, w.Length, dy.Length);
        Check(g);
        var geo = g;
        fixed (float* pdy = dy, pw = w, pdx = dx)
        {
            nint ady = (nint)pdy, aw = (nint)pw, adx = (nint)pdx;
            var pad = new Padded(geo);
            int mult = geo.OutChannels / geo.InChannels, taps = geo.KernelHeight * geo.KernelWidth;
            Parallelism.ForRanges(geo.Batch * geo.InChannels, (long)taps * mult * geo.OutHeight * geo.OutWidth, (start, end) =>
            {
                float[] buffer = ArrayPool<float>.Shared.Rent(pad.Length);
                try
                {
                    fixed (float* buf = buffer)
                        for (int plane = start; plane < end; plane++)
                        {
                            int n = plane / geo.InChannels, c = plane % geo.InChannels;
                            new Span<float>(buf, pad.Length).Clear();
                            // The adjoint of the forward taps, scattered onto the padded plane; output channels in order.
                            for (int m = 0; m < mult; m++)
                            {
                                int oc = c * mult + m;
                                ScatterPlane(geo, pad, (float*)ady + ((long)n * geo.OutChannels + oc) * geo.OutHeight * geo.OutWidth,
                                    (float*)aw + (long)oc * taps, buf);
                            }
                            pad.Extract(buf, (float*)adx + (long)plane * geo.InHeight * geo.InWidth);
                        }
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(buffer);
                }
            });
        }
    }

    // dpad[i*s + ki*d, j*s + kj*d] += w[ki, kj] * dy[i, j]; vector-wide along rows when the column stride is 1.
    private static void ScatterPlane(in Conv2dGeometry g, in Padded pad, float* dy, float* w, float* dpad)
    {
        int oh = g.OutHeight, ow = g.OutWidth, kh = g.KernelHeight, kw = g.KernelWidth, wp = pad.Cols;
        int v = Vector<float>.Count;
        for (int i = 0; i < oh; i++)
        {
            float* dyRow = dy + (long)i * ow;
            float* top = dpad + (long)i * g.StrideH * wp;
            for (int ki = 0; ki < kh; ki++)
                for (int kj = 0; kj < kw; kj++)
                {
                    float wk = w[ki * kw + kj];
                    float* d = top + (long)ki * g.DilationH * wp + kj * g.DilationW;
                    int j = 0;
                    if (g.StrideW == 1)
                    {
                        var wv = new Vector<float>(wk);
                        for (; j <= ow - v; j += v)
                            Unsafe.WriteUnaligned(d + j, Unsafe.ReadUnaligned<Vector<float>>(d + j) + wv * Unsafe.ReadUnaligned<Vector<float>>(dyRow + j));
                    }
                    for (; j < ow; j++) d[(long)j * g.StrideW] += wk * dyRow[j];
                }
        }
    }

    // x: [N, C, H, W]; dy: [N, OC, OH, OW]; dw: [OC, 1, KH, KW] (overwritten). The bias gradient is the caller's.
    public static void BackwardWeight(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw)
    {
        KernelSpans.Conv(g, "DepthwiseKernels.BackwardWeight", x.Length, dw.Length, dy.Length);
        Check(g);
        var geo = g;
        fixed (float* px = x, pdy = dy, pdw = dw)
        {
            nint ax = (nint)px, ady = (nint)pdy, adw = (nint)pdw;
            var pad = new Padded(geo);
            int mult = geo.OutChannels / geo.InChannels, taps = geo.KernelHeight * geo.KernelWidth;
            Parallelism.ForRanges(geo.OutChannels, (long)geo.Batch * taps * geo.OutHeight * geo.OutWidth, (start, end) =>
            {
                float[] buffer = ArrayPool<float>.Shared.Rent(pad.Length);
                try
                {
                    fixed (float* buf = buffer)
                        for (int oc = start; oc < end; oc++)
                        {
                            float* d = (float*)adw + (long)oc * taps;
                            new Span<float>(d, taps).Clear();
                            for (int n = 0; n < geo.Batch; n++)
                            {
                                pad.Fill(buf, (float*)ax + ((long)n * geo.InChannels + oc / mult) * geo.InHeight * geo.InWidth);
                                WeightPlane(geo, pad, buf, (float*)ady + ((long)n * geo.OutChannels + oc) * geo.OutHeight * geo.OutWidth, d);
                            }
                        }
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(buffer);
                }
            });
        }
    }

    // dw[ki, kj] += sum_{i,j} dy[i, j] * src[i*s + ki*d, j*s + kj*d].
    private static void WeightPlane(in Conv2dGeometry g, in Padded pad, float* src, float* dy, float* dw)
    {
        int oh = g.OutHeight, ow = g.OutWidth, kh = g.KernelHeight, kw = g.KernelWidth, wp = pad.Cols;
        for (int ki = 0; ki < kh; ki++)
            for (int kj = 0; kj < kw; kj++)
            {
                float sum = 0f;
                for (int i = 0; i < oh; i++)
                {
                    float* s = src + ((long)i * g.StrideH + (long)ki * g.DilationH) * wp + kj * g.DilationW;
                    float* dyRow = dy + (long)i * ow;
                    if (g.StrideW == 1)
                    {
                        sum += TensorPrimitives.Dot(new ReadOnlySpan<float>(dyRow, ow), new ReadOnlySpan<float>(s, ow));
                    }
                    else
                    {
                        for (int j = 0; j < ow; j++) sum += dyRow[j] * s[(long)j * g.StrideW];
                    }
                }
                dw[ki * kw + kj] += sum;
            }
    }

    private static void Check(in Conv2dGeometry g)
    {
        if (!Applies(g) || g.OutChannels % g.InChannels != 0)
            throw new ArgumentException($"DepthwiseKernels: {g} is not a depthwise convolution (groups = input channels > 1, output channels a multiple of them).");
    }
}
