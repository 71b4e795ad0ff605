using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Striate.Threading;

namespace Striate.Backends.Cpu;

/// <summary>
/// 2-D convolution (cross-correlation, as in every CNN framework): the entry points, which pick the algorithm for a
/// geometry among those <see cref="ConvAlgorithms"/> allows. The forward pass: Winograd F(4x4, 3x3) or F(2x2, 3x3),
/// the direct kernels for small layers, the depthwise kernel, the banded stem (ConvKernels.Bands.cs), else im2col +
/// GEMM (ConvKernels.Im2Col.cs). The input gradient: depthwise, a forward convolution of dy with flipped weights
/// (Winograd or im2col) for same-padded 3x3 stride-1 layers, else col2im. The weight gradient: direct, Winograd
/// F(3x3, 2x2), depthwise, else im2col.
/// </summary>
public static unsafe partial class ConvKernels
{
    // x: [N, C, H, W]; w: [OC, C/G, KH, KW]; bias: [OC] or empty; y: [N, OC, OH, OW]. Every algorithm allowed.
    public static void Forward(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y) =>
        Forward(g, x, w, bias, default, false, y);

    // The same with the output step fused: y = relu?(conv(x, w) + bias + residual); residual: [N, OC, OH, OW] or empty.
    // cache: derived forms of w kept between calls (the Winograd transform), or null; algorithms: the ones it may
    // choose (all unless given).
    public static void Forward(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> residual, bool relu, Span<float> y, ConvWeightCache? cache = null, ConvAlgorithms? algorithms = null)
    {
        KernelSpans.Conv(g, "ConvKernels.Forward", x.Length, w.Length, y.Length, bias.Length, residual.Length);
        var use = algorithms ?? ConvAlgorithms.All;
        if (g.Batch == 0) return;
        if (use.Winograd && use.Winograd4x4 && WinogradKernels.Applies4x4(g, weightsKept: cache is not null))
        {
            WinogradKernels.Forward4x4(g, x, w, bias, residual, relu, y, cache);
            return;
        }
        if (use.Winograd && WinogradKernels.Applies(g, weightsKept: cache is not null))
        {
            WinogradKernels.Forward(g, x, w, bias, residual, relu, y, cache);
            return;
        }
        if (use.Direct && DirectConvKernels.Applies(g))
        {
            DirectConvKernels.Forward(g, x, w, bias, residual, relu, y);
            return;
        }
        if (DepthwiseKernels.Applies(g))
        {
            DepthwiseKernels.Forward(g, x, w, bias, y);
            var all = y.Slice(0, g.Batch * OutPlane(g));
            if (!residual.IsEmpty) TensorPrimitives.Add(all, residual.Slice(0, all.Length), all);
            if (relu) TensorPrimitives.Max(all, 0f, all);
            return;
        }
        if (Banded(g))
        {
            ForwardBands(g, x, w, bias, residual, relu, y);
            return;
        }
        Im2ColForward(g, x, w, bias, residual, relu, y);
    }

    // dy: [N, OC, OH, OW]; w: [OC, C/G, KH, KW]; dx: [N, C, H, W] (overwritten).
    public static void BackwardData(in Conv2dGeometry g, ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, ConvAlgorithms? algorithms = null)
    {
        var use = algorithms ?? ConvAlgorithms.All;
        KernelSpans.Conv(g, "ConvKernels.BackwardData", dx.Length, w.Length, dy.Length);
        if (g.Batch == 0) return;
        if (DepthwiseKernels.Applies(g))
        {
            DepthwiseKernels.BackwardData(g, dy, w, dx);
            return;
        }
        // For stride 1, the input gradient is the convolution of dy with the weights turned 180 degrees and their
        // channel axes swapped, padded by 2 - pad on the top and left. Winograd runs it that way; so does im2col when
        // the padding keeps the map's size (no more multiply-adds than the transposed GEMM), because one GEMM into
        // dx beats a GEMM into a nine times larger column matrix followed by the scatter-add of col2im.
        bool winograd = false;
        if (TransposedGeometry(g) is { } back &&
            ((winograd = use.Winograd && WinogradKernels.Applies(back)) || SamePadded(g)))
        {
            float[] flipped = ArrayPool<float>.Shared.Rent(WeightLength(g));
            try
            {
                FlipWeights(g, w, flipped);
                if (winograd)
                    WinogradKernels.Forward(back, dy, flipped.AsSpan(0, WeightLength(g)), default, default, false, dx);
                else
                    Forward(back, dy, flipped.AsSpan(0, WeightLength(g)), default, default, false, dx, algorithms: use with { Direct = false });
            }
            finally
            {
                ArrayPool<float>.Shared.Return(flipped);
            }
            return;
        }
        Im2ColBackwardData(g, dy, w, dx);
    }

    // x: [N, C, H, W]; dy: [N, OC, OH, OW]; dw: [OC, C/G, KH, KW] and dbias: [OC] or empty (both overwritten).
    public static void BackwardWeight(in Conv2dGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, Span<float> dbias,
        ConvAlgorithms? algorithms = null)
    {
        var use = algorithms ?? ConvAlgorithms.All;
        KernelSpans.Conv(g, "ConvKernels.BackwardWeight", x.Length, dw.Length, dy.Length, dbias.Length);
        int wl = WeightLength(g);
        if (!dbias.IsEmpty)
        {
            // Per channel, images in order: a fixed summation order.
            dbias.Clear();
            int hw = g.ColCols;
            for (int n = 0; n < g.Batch; n++)
                for (int oc = 0; oc < g.OutChannels; oc++)
                    dbias[oc] += TensorPrimitives.Sum(dy.Slice(n * OutPlane(g) + oc * hw, hw));
        }
        if (g.Batch == 0)
        {
            dw.Slice(0, wl).Clear();
            return;
        }
        if (use.Direct && DirectConvKernels.Applies(g))
        {
            DirectConvKernels.BackwardWeight(g, x, dy, dw);
            return;
        }
        if (use.Winograd && WinogradKernels.Applies(g))
        {
            WinogradKernels.BackwardWeight(g, x, dy, dw);
            return;
        }
        if (DepthwiseKernels.Applies(g))
        {
            DepthwiseKernels.BackwardWeight(g, x, dy, dw);
            return;
        }
        Im2ColBackwardWeight(g, x, dy, dw);
    }

    /// <summary>The geometry of the input gradient as a forward convolution of dy, for 3x3 stride-1 undilated ungrouped layers; else null.</summary>
    private static Conv2dGeometry? TransposedGeometry(in Conv2dGeometry g)
    {
        if (g.KernelHeight != 3 || g.KernelWidth != 3 || g.StrideH != 1 || g.StrideW != 1 || g.DilationH != 1 || g.DilationW != 1 || g.Groups != 1
            || g.PadTop > 2 || g.PadLeft > 2)
            return null;
        int top = 2 - g.PadTop, left = 2 - g.PadLeft;
        var back = new Conv2dGeometry(g.Batch, g.OutChannels, g.OutHeight, g.OutWidth, g.InChannels, 3, 3, 1, 1,
            top, g.InHeight + 2 - g.OutHeight - top, left, g.InWidth + 2 - g.OutWidth - left, 1, 1, 1);
        return back.OutHeight == g.InHeight && back.OutWidth == g.InWidth ? back : null;
    }

    // True when the output map is as large as the input (3x3 with one pixel of padding on each side) and there are
    // enough input channels to fill the GEMM's rows (a 3-channel stem stays on col2im: 27 rows instead of 3).
    private static bool SamePadded(in Conv2dGeometry g) =>
        g.OutHeight == g.InHeight && g.OutWidth == g.InWidth && g.InChannels >= 16;

    // w: [OC, C, 3, 3] -> flipped: [C, OC, 3, 3] with flipped[c, oc, i, j] = w[oc, c, 2 - i, 2 - j]. Written in order
    // (one output channel's taps after another), unrolled: for deep layers this pass is a tenth of the GEMM.
    private static void FlipWeights(in Conv2dGeometry g, ReadOnlySpan<float> w, Span<float> flipped)
    {
        int oc = g.OutChannels, c = g.InChannels;
        if (w.Length < oc * c * 9 || flipped.Length < oc * c * 9)
            throw new ArgumentException($"FlipWeights: {oc * c * 9} weights needed, got {w.Length} and {flipped.Length}.");
        fixed (float* pw = w, pf = flipped)
        {
            for (int ch = 0; ch < c; ch++)
            {
                float* d = pf + (nint)ch * oc * 9;
                float* s = pw + (nint)ch * 9;
                for (int o = 0; o < oc; o++, d += 9, s += (nint)c * 9)
                {
                    d[0] = s[8]; d[1] = s[7]; d[2] = s[6]; d[3] = s[5]; d[4] = s[4];
                    d[5] = s[3]; d[6] = s[2]; d[7] = s[1]; d[8] = s[0];
                }
            }
        }
    }

}
